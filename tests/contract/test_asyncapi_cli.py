"""The official AsyncAPI CLI (node_modules, from package.json) accepts shared/contracts/asyncapi.yaml.

The CLI runs offline: anonymous analytics off (a config file it is pointed to by
ASYNCAPI_METRICS_CONFIG_PATH, otherwise it creates ~/.asyncapi-analytics with analytics
on and sends metrics), no update check, and a throwaway HOME so it writes nothing
outside tmp_path.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

# Runs the AsyncAPI CLI, a node process: not in the --unit tier.
pytestmark = pytest.mark.processes

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "node_modules" / ".bin" / "asyncapi"
DOCUMENT = ROOT / "shared" / "contracts" / "asyncapi.yaml"
TIMEOUT_S = 180


def _validate(document: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    if not CLI.exists():
        pytest.fail(f"the AsyncAPI CLI is not installed ({CLI.relative_to(ROOT)}): run make install")
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    analytics = tmp_path / "asyncapi-analytics.json"
    analytics.write_text(json.dumps({"analyticsEnabled": "false", "infoMessageShown": "true", "userID": "parkgrid"}))
    env = {
        **os.environ,
        "ASYNCAPI_METRICS_CONFIG_PATH": str(analytics),
        "ASYNCAPI_SKIP_NEW_VERSION_CHECK": "true",
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "SUPPRESS_NO_CONFIG_WARNING": "1",  # node-config, a dependency, looks for ./config
        "SUPPRESS_STRICTNESS_CHECK": "1",
        "NO_COLOR": "1",
    }
    return subprocess.run(
        [str(CLI), "validate", str(document), "--fail-severity", "warn", "--diagnostics-format", "text"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )


def test_the_asyncapi_document_is_valid(tmp_path: Path) -> None:
    assert DOCUMENT.is_file(), "shared/contracts/asyncapi.yaml is missing: run `make contracts`"
    result = _validate(DOCUMENT, tmp_path)
    assert result.returncode == 0, f"asyncapi validate failed:\n{result.stdout}\n{result.stderr}"
    assert not (tmp_path / "home" / ".asyncapi-analytics").exists()


def test_the_validator_rejects_a_broken_document(tmp_path: Path) -> None:
    doc = yaml.safe_load(DOCUMENT.read_text())
    channel = next(iter(doc["channels"].values()))
    channel["messages"]["broken"] = {"$ref": "#/components/messages/does-not-exist"}
    broken = tmp_path / "asyncapi.yaml"
    broken.write_text(yaml.safe_dump(doc, sort_keys=False))
    result = _validate(broken, tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode != 0, f"asyncapi validate accepted a dangling $ref:\n{output}"
    assert "does-not-exist" in output
