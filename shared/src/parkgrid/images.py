"""What one image installs, said once: deploy/docker/Dockerfile and tests/deploy both run this.

An image holds the kit and one service (or, for the ops image `all`, every service and the
kit's `mail-sink` extra), with the third-party packages their pyprojects declare, at the
versions of requirements/lock.txt (the workspace's one lock, used as constraints so the
development tools it also pins are never installed). Standard library only: the Dockerfile
runs it as a plain script before anything is installed.

    python shared/src/parkgrid/images.py requirements SERVICE
    python shared/src/parkgrid/images.py dependencies SERVICE --python VENV/bin/python [--uv UV]
    python shared/src/parkgrid/images.py packages SERVICE --python VENV/bin/python [--uv UV]

`dependencies` (the cacheable layer: needs only the pyprojects and the lock) then `packages`
(the kit and the service(s), without dependencies), which ends by checking that every installed
distribution is the locked version and that nothing is missing (`uv pip check`).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
LOCK = ROOT / "requirements/lock.txt"
KIT = "parkgrid-kit"
OPS_EXTRAS = ("mail-sink",)
# Installed by the build itself, not by the lock (uv's own venv seeds nothing; `python -m venv` seeds pip).
BOOTSTRAP = {"pip", "setuptools", "wheel"}


def _project(path: Path) -> dict[str, object]:
    project: dict[str, object] = tomllib.loads((path / "pyproject.toml").read_text())["project"]
    return project


def packages(service: str, root: Path = ROOT) -> list[Path]:
    """The kit and the service directories an image installs (`all`: every service)."""
    if service == "all":
        services = sorted(p.parent for p in (root / "services").glob("*/pyproject.toml"))
    else:
        if (
            not re.fullmatch(r"[a-z][a-z0-9_-]*", service)
            or not (root / "services" / service / "pyproject.toml").is_file()
        ):
            raise SystemExit(f"no service package at services/{service} (give a directory of services/ or `all`)")
        services = [root / "services" / service]
    return [root / "shared", *services]


def requirements(service: str, root: Path = ROOT) -> list[str]:
    """The third-party requirements an image installs: its packages' dependencies (and extras)."""
    out: list[str] = []
    for package in packages(service, root):
        project = _project(package)
        declared = list(project.get("dependencies", []))  # type: ignore[call-overload]
        if service == "all" and project["name"] == KIT:
            extras: dict[str, list[str]] = project.get("optional-dependencies", {})  # type: ignore[assignment]
            declared += [r for extra in OPS_EXTRAS for r in extras[extra]]
        for requirement in declared:
            name = re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0]
            if name != KIT and requirement not in out:
                out.append(requirement)
    return out


def locked(lock: Path = LOCK) -> dict[str, str]:
    """{normalized name: version} pinned by the lock."""
    pins = re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", lock.read_text(), flags=re.MULTILINE)
    return {_normalized(name): version for name, version in pins}


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def install_dependencies(service: str, python: str, uv: str) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as listed:
        listed.write("\n".join(requirements(service)) + "\n")
        listed.flush()
        _run([uv, "pip", "install", "--python", python, "--constraint", str(LOCK), "--requirement", listed.name])


def install_packages(service: str, python: str, uv: str) -> None:
    _run([uv, "pip", "install", "--python", python, "--no-deps", *map(str, packages(service))])
    _run([uv, "pip", "check", "--python", python])
    pins = locked()
    frozen = subprocess.run(
        [uv, "pip", "freeze", "--python", python], check=True, capture_output=True, text=True
    ).stdout.splitlines()
    ours = {_normalized(_project(p)["name"]) for p in packages("all")}  # type: ignore[arg-type]
    for line in frozen:
        name, _, version = line.partition("==")
        name = _normalized(name)
        if name in ours or name in BOOTSTRAP or " @ " in line:
            continue
        if pins.get(name) != version:
            raise SystemExit(f"{line} is not the locked version ({pins.get(name, 'not in requirements/lock.txt')})")


def _run(command: list[str]) -> None:
    print("+", " ".join(command), flush=True)
    subprocess.run(command, check=True, cwd=ROOT)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("step", choices=["requirements", "dependencies", "packages"])
    parser.add_argument("service", help="a directory of services/, or `all` (the ops image)")
    parser.add_argument("--python", help="the virtualenv's interpreter to install into")
    parser.add_argument("--uv", default="uv", help="the uv executable (the Makefile's UV_VERSION)")
    args = parser.parse_args(argv)
    if args.step == "requirements":
        print("\n".join(requirements(args.service)))
        return
    if not args.python:
        parser.error("--python is required to install")
    if args.step == "dependencies":
        install_dependencies(args.service, args.python, args.uv)
    else:
        install_packages(args.service, args.python, args.uv)


if __name__ == "__main__":
    main(sys.argv[1:])
