"""deploy/docker/Dockerfile and .dockerignore, checked without a Docker engine: a pinned slim
base, a build stage apart from the runtime, a non-root user, a health check on /healthz, and a
CMD that serves `<service>.bootstrap:app` for every service of deploy/local/services.tsv."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "deploy/docker/Dockerfile"


@dataclass
class Stage:
    name: str
    base: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [arguments for word, arguments in self.instructions if word == keyword]


def instructions(text: str) -> list[tuple[str, str]]:
    """(KEYWORD, arguments) with continuation lines joined and comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        keyword, _, arguments = line.partition(" ")
        out.append((keyword.upper(), arguments.strip()))
    return out


def parse() -> tuple[dict[str, str], list[Stage]]:
    """Global ARG defaults and the stages in order."""
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for keyword, arguments in instructions(DOCKERFILE.read_text()):
        if keyword == "FROM":
            match = re.fullmatch(r"(\S+)(?:\s+AS\s+(\S+))?", arguments, flags=re.IGNORECASE)
            assert match, arguments
            stages.append(Stage(name=match.group(2) or str(len(stages)), base=match.group(1)))
        elif not stages and keyword == "ARG":
            name, _, default = arguments.partition("=")
            args[name] = default
        elif stages:
            stages[-1].instructions.append((keyword, arguments))
    return args, stages


def listed_services() -> list[str]:
    lines = (REPO / "deploy/local/services.tsv").read_text().splitlines()
    return [line.split("\t")[0] for line in lines if line.strip() and not line.startswith("#")]


def resolved(image: str, args: dict[str, str]) -> str:
    return re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), m.group(0)), image)


def chain(stages: list[Stage], stage: Stage) -> list[Stage]:
    """The stage and the stages it is built FROM, nearest first."""
    by_name = {s.name: s for s in stages}
    out = [stage]
    while out[-1].base in by_name:
        out.append(by_name[out[-1].base])
    return out


def test_base_images_are_pinned_and_slim() -> None:
    args, stages = parse()
    external = {s.name: resolved(s.base, args) for s in stages if s.base not in {t.name for t in stages}}
    for name, image in external.items():
        assert re.fullmatch(r"[a-z]+:\d+\.\d+\.\d+-(slim-bookworm|bookworm-slim)", image), f"{name}: pin {image}"
    # Python runs from the python image only; node fetches htmx and stays behind.
    assert external["build"] == external["base"]
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm", external["base"])
    assert external["assets"].startswith("node:")


def test_front_desk_assets_come_from_the_lock_file() -> None:
    _, stages = parse()
    assets = next(s for s in stages if s.name == "assets")
    assert any("package-lock.json" in c for c in assets.all("COPY"))
    assert "node_modules/htmx.org" in " ".join(assets.all("RUN"))
    base = next(s for s in stages if s.name == "base")
    assert any(c.startswith("--from=assets ") and c.endswith(" /opt/htmx/dist") for c in base.all("COPY"))
    assert "FRONTDESK_HTMX_DIR=/opt/htmx/dist" in " ".join(base.all("ENV"))


def test_multi_stage_runtime_carries_no_build_stage() -> None:
    _, stages = parse()
    names = [s.name for s in stages]
    assert {"build", "base", "ops", "service"} <= set(names)
    assert names[-1] == "service", "the default target (the last stage) is the service"
    base = next(s for s in stages if s.name == "base")
    assert any("--from=build /opt/parkgrid /opt/parkgrid" in c for c in base.all("COPY"))


@pytest.mark.parametrize("target", ["ops", "service"])
def test_runtime_stages_run_as_an_unprivileged_user(target: str) -> None:
    _, stages = parse()
    stage = next(s for s in stages if s.name == target)
    users = [u for s in chain(stages, stage) for u in reversed(s.all("USER"))]
    assert users, f"{target} runs as root"
    user = users[0].split(":")[0]
    assert user not in {"root", "0"}
    base = next(s for s in stages if s.name == "base")
    assert any(user in run and "useradd" in run for run in base.all("RUN")), "the user is created in base"


def test_installs_what_images_py_says_under_the_lock() -> None:
    """The image's install list is shared/src/parkgrid/images.py's, never a list kept here
    (tests/deploy/test_deploy_image_install.py runs the same two steps and starts the result)."""
    _, stages = parse()
    build = next(s for s in stages if s.name == "build")
    runs = build.all("RUN")
    assert any('images.py dependencies "$SERVICE" --python /opt/parkgrid/bin/python' in r for r in runs)
    assert any('images.py packages "$SERVICE" --python /opt/parkgrid/bin/python' in r for r in runs)
    assert not any("pip install --constraint" in r or "--requirement" in r for r in runs), "a hand-kept install"
    assert "SERVICE" in build.all("ARG")
    makefile = (REPO / "Makefile").read_text()
    [pinned] = re.findall(r"^UV_VERSION := (\S+)$", makefile, flags=re.MULTILINE)
    assert f"UV_VERSION={pinned}" in build.all("ARG"), "the image's uv is the Makefile's"


def test_service_stage_health_check_and_command() -> None:
    _, stages = parse()
    service = next(s for s in stages if s.name == "service")
    [healthcheck] = service.all("HEALTHCHECK")
    assert "/healthz" in healthcheck
    assert "--interval=" in healthcheck
    env = " ".join(service.all("ENV"))
    assert "PARKGRID_SERVICE_NAME=${SERVICE}" in env
    assert "UVICORN_HOST=0.0.0.0" in env
    [command] = service.all("CMD")
    assert 'exec uvicorn \\"${PARKGRID_SERVICE_NAME}.bootstrap:app\\"' in command


def test_ops_stage_runs_the_parkgrid_command() -> None:
    _, stages = parse()
    ops = next(s for s in stages if s.name == "ops")
    assert ops.all("ENTRYPOINT") == ['["parkgrid"]']


@pytest.mark.parametrize("name", listed_services())
def test_every_service_package_has_the_module_the_image_serves(name: str) -> None:
    package = REPO / "services" / name
    if not (package / "pyproject.toml").exists():
        pytest.skip(f"services/{name} is not built yet")
    assert (package / "src" / name / "bootstrap.py").is_file()


def included(path: str, patterns: list[str]) -> bool:
    """.dockerignore semantics for the patterns used here: the last matching pattern wins."""
    keep = True
    for pattern in patterns:
        negated = pattern.startswith("!")
        glob = pattern.removeprefix("!")
        if glob == "**" or fnmatch.fnmatch(path, glob) or fnmatch.fnmatch(path, glob.replace("/**", "/*")):
            keep = negated
    return keep


def test_dockerignore_keeps_what_the_build_copies_and_nothing_local() -> None:
    patterns = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for needed in (
        "requirements/lock.txt",
        "package-lock.json",
        "shared/src/parkgrid/images.py",
        "shared/pyproject.toml",
        "shared/src/parkgrid/settings.py",
        "services/spaces/pyproject.toml",
        "services/spaces/src/spaces/bootstrap.py",
    ):
        assert included(needed, patterns), needed
    for local in (".venv/bin/python", ".local/kafka/data/meta.properties", ".git/config", "node_modules/x/y.js"):
        assert not included(local, patterns), local


def test_compose_builds_only_existing_targets() -> None:
    import yaml

    _, stages = parse()
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    for name, spec in compose["services"].items():
        if "build" in spec:
            assert spec["build"].get("target", "service") in {s.name for s in stages}, name
            service = spec["build"]["args"]["SERVICE"]
            assert service == "all" or service in listed_services(), name
