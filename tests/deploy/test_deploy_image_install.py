"""Each image's install, reproduced: what deploy/docker/Dockerfile installs, in a fresh virtualenv,
starts and answers.

No Docker engine here, so the test runs the Dockerfile's own two steps,
`python shared/src/parkgrid/images.py dependencies|packages SERVICE --python VENV/bin/python`
(the lists and the lock both read from images.py, so the test and the image cannot drift;
test_deploy_docker checks the Dockerfile still calls it), with uv from its local cache, into one
virtualenv per image. None of the development tools the lock also pins may be there. Then every
service runs from its image's virtualenv as a process (as the image runs it:
`python -m uvicorn <service>.bootstrap:app`, PARKGRID_ENV=production with secrets of its own)
against the local Kafka and store, and must be ready (/readyz) and answer one real request.
A service that imports a package its pyproject does not declare fails here, not in a cluster.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from parkgrid.auth import Role
from parkgrid.images import ROOT
from parkgrid.testing.infrastructure import Infrastructure
from parkgrid.testing.stack import REPO, Stack, declared_services

# Builds a virtualenv per image with uv and runs its commands: not in the --unit tier.
pytestmark = pytest.mark.processes

IMAGES_PY = ROOT / "shared/src/parkgrid/images.py"
SERVICES = [s.name for s in declared_services()]
DEVELOPMENT_TOOLS = ("pytest", "mypy", "playwright", "ruff")

# One real request per service, as the platform's admin: a list each service serves.
REQUESTS = {
    "catalogue": "/v1/offerings",
    "bookings": "/v1/bookings",
    "spaces": "/v1/sites",
    "community": "/v1/members",
    "insights": "/v1/kpis",
    "billing": "/v1/invoices",
}


def uv() -> str:
    found = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if found is None:
        pytest.fail("uv is not installed (make install puts it in .venv/bin)")
    return found


def build(image: str, where: Path) -> Path:
    """The Dockerfile's build stage for SERVICE=image: a virtualenv, then images.py's two steps."""
    venv = where / image
    python = venv / "bin" / "python"
    steps = [
        [uv(), "venv", "--quiet", "--python", sys.executable, str(venv)],
        [sys.executable, str(IMAGES_PY), "dependencies", image, "--python", str(python), "--uv", uv()],
        [sys.executable, str(IMAGES_PY), "packages", image, "--python", str(python), "--uv", uv()],
    ]
    for step in steps:
        done = subprocess.run(step, cwd=where, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{' '.join(step)}\n{done.stdout}\n{done.stderr}"
    return python


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """{image: its virtualenv's python}, each service's and the ops image's (`all`), built once."""
    where = tmp_path_factory.mktemp("images")
    names = [*SERVICES, "all"]
    with ThreadPoolExecutor(max_workers=3) as pool:
        return dict(zip(names, pool.map(lambda name: build(name, where), names), strict=True))


def installed(python: Path, modules: tuple[str, ...]) -> list[str]:
    """Which of these modules the interpreter can import (found, without importing them)."""
    probe = "import importlib.util, sys; print(' '.join(m for m in sys.argv[1:] if importlib.util.find_spec(m)))"
    done = subprocess.run([str(python), "-c", probe, *modules], capture_output=True, text=True, check=True)
    return done.stdout.split()


@pytest.mark.parametrize("image", [*SERVICES, "all"])
def test_an_image_has_no_development_tools(images: dict[str, Path], image: str) -> None:
    python = images[image]
    assert installed(python, DEVELOPMENT_TOOLS) == []
    assert not [tool for tool in DEVELOPMENT_TOOLS if (python.parent / tool).exists()]
    services = [image] if image != "all" else SERVICES
    # The interpreter is the virtualenv's, not the test run's: its own service and nothing else.
    assert installed(python, ("parkgrid", *SERVICES)) == ["parkgrid", *[s for s in SERVICES if s in services]]


def test_the_ops_image_runs_its_commands(images: dict[str, Path]) -> None:
    """`parkgrid` (seed finds every service's seeder) and compose's mail sink, `python -m aiosmtpd`."""
    python = images["all"]
    seeders = subprocess.run(
        [
            str(python),
            "-c",
            "from importlib.metadata import entry_points; "
            "print(' '.join(sorted(e.name for e in entry_points(group='parkgrid.seeders'))))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    # spaces seeds residencies after community; billing invoices last month after everyone
    assert seeders == sorted([*SERVICES, "spaces-stays", "billing-invoices"])
    for command in ([str(python.parent / "parkgrid"), "--help"], [str(python), "-m", "aiosmtpd", "--help"]):
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, f"{command}: {done.stderr}"


@pytest.fixture(scope="module")
def stack(infrastructure: Infrastructure, images: dict[str, Path]) -> Iterator[Stack]:
    """Every service from its image's virtualenv, configured as in production (secrets of its own)."""
    stack = Stack(
        infrastructure.kafka_bootstrap_servers,
        infrastructure.mongodb_uri,
        logs=REPO / ".local" / "logs" / "images",
        extra_env={
            "PARKGRID_ENV": "production",
            "PARKGRID_TICKET_KEY": "ticket-key-" + uuid.uuid4().hex,
            "INSIGHTS_WEBHOOK_SEALING_KEY": "sealing-key-" + uuid.uuid4().hex,
        },
        python={name: str(images[name]) for name in SERVICES},
    )
    try:
        stack.start_all(SERVICES)
        yield stack
    finally:
        stack.stop()


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_starts_from_its_image_and_answers(stack: Stack, images: dict[str, Path], service: str) -> None:
    instance = stack.instances[service][0]
    assert instance.process.args[0] == str(images[service])  # type: ignore[index]
    assert httpx.get(f"{stack.url(service)}/readyz", timeout=5).status_code == 200
    if service == "frontdesk":
        answer = httpx.get(f"{stack.url(service)}/sign-in", timeout=10)
        assert answer.status_code == 200, answer.text
        assert "text/html" in answer.headers["content-type"]
        # Production: no demo sign-in offered, and the demo route refused.
        assert "/sign-in/demo" not in answer.text
        assert httpx.get(f"{stack.url(service)}/sign-in/demo", timeout=10).status_code == 404
    else:
        answer = httpx.get(f"{stack.url(service)}{REQUESTS[service]}", headers=stack.headers(Role.ADMIN), timeout=10)
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("application/json")
