"""docker-compose.yml, checked without a Docker engine: every service of deploy/local/services.tsv
is there with its port, a readiness health check, the environment the kit reads, and the start
order (infrastructure healthy, topics created, then the services, then the seed)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from parkgrid.cli import app as parkgrid_cli
from parkgrid.settings import KitSettings

REPO = Path(__file__).resolve().parents[2]
INFRASTRUCTURE = {"kafka", "mongo"}
DEVELOPMENT_TOOLS = {"smtp"}  # the mail sink insights sends to in a demo stack
JOBS = {"topics", "seed"}
# uvicorn's own settings (the image's CMD runs uvicorn, which reads UVICORN_*).
UVICORN_ENV = {"UVICORN_HOST", "UVICORN_PORT"}


def listed_services() -> list[tuple[str, int]]:
    rows = []
    for line in (REPO / "deploy/local/services.tsv").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, port, _app = line.split("\t")
            rows.append((name, int(port)))
    return rows


SERVICES = listed_services()
NAMES = [name for name, _ in SERVICES]


def kit_env_names() -> set[str]:
    return {str(f.validation_alias) for f in KitSettings.model_fields.values() if f.validation_alias}


def env_names_read() -> set[str]:
    """Every variable the code reads: pydantic settings aliases and os.environ look-ups."""
    pattern = re.compile(r'(?:validation_alias=|os\.environ\.get\(|os\.environ\[)"([A-Z][A-Z0-9_]+)"')
    sources = [*(REPO / "shared/src").rglob("*.py"), *(REPO / "services").glob("*/src/**/*.py")]
    return {name for path in sources for name in pattern.findall(path.read_text())}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def service(compose: dict[str, Any], name: str) -> dict[str, Any]:
    assert name in compose["services"], f"docker-compose.yml has no service {name!r}"
    found: dict[str, Any] = compose["services"][name]
    return found


def environment(spec: dict[str, Any]) -> dict[str, str]:
    env = spec.get("environment") or {}
    if isinstance(env, list):  # the KEY=VALUE form
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def healthcheck_command(spec: dict[str, Any]) -> str:
    test = spec["healthcheck"]["test"]
    return " ".join(test) if isinstance(test, list) else str(test)


def test_services_tsv_is_not_empty() -> None:
    assert {"catalogue", "bookings", "spaces", "community", "frontdesk"} <= set(NAMES)


def test_nothing_unexpected_in_compose(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == INFRASTRUCTURE | DEVELOPMENT_TOOLS | JOBS | set(NAMES)


@pytest.mark.parametrize(("name", "port"), SERVICES)
def test_service_is_built_from_the_shared_dockerfile(compose: dict[str, Any], name: str, port: int) -> None:
    build = service(compose, name)["build"]
    assert build["context"] == "."
    assert (REPO / build["dockerfile"]).is_file()
    assert build["args"]["SERVICE"] == name
    assert build.get("target", "service") == "service"


@pytest.mark.parametrize(("name", "port"), SERVICES)
def test_service_port_matches_services_tsv(compose: dict[str, Any], name: str, port: int) -> None:
    spec = service(compose, name)
    assert f"127.0.0.1:{port}:{port}" in spec["ports"], spec["ports"]
    env = environment(spec)
    assert env["UVICORN_PORT"] == str(port)
    assert env["PARKGRID_SERVICE_NAME"] == name


@pytest.mark.parametrize(("name", "port"), SERVICES)
def test_service_health_check_asks_its_own_readiness(compose: dict[str, Any], name: str, port: int) -> None:
    spec = service(compose, name)
    command = healthcheck_command(spec)
    # Ready, not just alive: depends_on service_healthy must mean "store and Kafka answer".
    assert f"http://127.0.0.1:{port}/readyz" in command
    assert spec["healthcheck"]["retries"] >= 3
    assert spec["healthcheck"]["interval"]


@pytest.mark.parametrize("name", [*NAMES, *JOBS])
def test_environment_names_are_the_ones_the_code_reads(compose: dict[str, Any], name: str) -> None:
    env = environment(service(compose, name))
    assert kit_env_names() <= env_names_read()
    unknown = set(env) - env_names_read() - UVICORN_ENV
    assert not unknown, f"{name} sets variables nothing reads: {sorted(unknown)}"
    assert {"KAFKA_BOOTSTRAP_SERVERS", "MONGODB_URI", "KAFKA_REPLICATION_FACTOR"} <= set(env)


@pytest.mark.parametrize("name", [*NAMES, *JOBS])
def test_addresses_point_at_the_compose_infrastructure(compose: dict[str, Any], name: str) -> None:
    env = environment(service(compose, name))
    kafka_env = environment(service(compose, "kafka"))
    advertised = kafka_env["KAFKA_ADVERTISED_LISTENERS"]
    assert f"//{env['KAFKA_BOOTSTRAP_SERVERS']}" in advertised, "not a listener Kafka advertises"
    assert not env["KAFKA_BOOTSTRAP_SERVERS"].startswith("127.0.0.1"), "loopback is the container itself"
    mongo = service(compose, "mongo")
    replica_set = mongo["command"][mongo["command"].index("--replSet") + 1]
    assert env["MONGODB_URI"].startswith("mongodb://mongo:27017/")
    assert f"replicaSet={replica_set}" in env["MONGODB_URI"]


@pytest.mark.parametrize("name", [*NAMES, *JOBS])
def test_service_urls_name_compose_services_and_their_ports(compose: dict[str, Any], name: str) -> None:
    ports = dict(SERVICES)
    for key, value in environment(service(compose, name)).items():
        match = re.fullmatch(r"http://([a-z]+):(\d+)", value)
        if key.endswith("_URL") and match and match.group(1) != "127.0.0.1":
            assert ports.get(match.group(1)) == int(match.group(2)), f"{name}: {key}={value}"


def test_jobs_do_not_pin_one_service_name(compose: dict[str, Any]) -> None:
    # Each seeder uses its own service's database (parkgrid_<service>); a shared
    # PARKGRID_SERVICE_NAME or PARKGRID_DATABASE would seed every service into one.
    for job in JOBS:
        env = environment(service(compose, job))
        assert "PARKGRID_SERVICE_NAME" not in env
        assert "PARKGRID_DATABASE" not in env


@pytest.mark.parametrize("name", NAMES)
def test_service_starts_after_infrastructure_and_topics(compose: dict[str, Any], name: str) -> None:
    depends = service(compose, name)["depends_on"]
    assert depends["kafka"]["condition"] == "service_healthy"
    assert depends["mongo"]["condition"] == "service_healthy"
    assert depends["topics"]["condition"] == "service_completed_successfully"


def test_seed_runs_once_every_service_is_ready(compose: dict[str, Any]) -> None:
    depends = service(compose, "seed")["depends_on"]
    for name in NAMES:
        assert depends[name]["condition"] == "service_healthy"
    assert depends["topics"]["condition"] == "service_completed_successfully"


def test_every_dependency_exists_and_can_satisfy_its_condition(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, spec in services.items():
        for target, condition in (spec.get("depends_on") or {}).items():
            assert target in services, f"{name} depends on unknown {target}"
            if condition["condition"] == "service_healthy":
                assert "healthcheck" in services[target], f"{target} has no health check, {name} would wait forever"
            if condition["condition"] == "service_completed_successfully":
                assert services[target].get("restart", "no") == "no", f"{target} is a job: it must not restart"


def test_no_dependency_cycle(compose: dict[str, Any]) -> None:
    services = compose["services"]
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, f"cycle: {' -> '.join((*path, name))}"
        if name in done:
            return
        for target in services[name].get("depends_on") or {}:
            visit(target, (*path, name))
        done.add(name)

    for name in services:
        visit(name, ())


def test_infrastructure_images_are_pinned(compose: dict[str, Any]) -> None:
    for name in INFRASTRUCTURE:
        image = service(compose, name)["image"]
        assert re.fullmatch(r"[a-z/]+:\d+\.\d+\.\d+", image), f"{name}: pin a full version, not {image!r}"


def test_kafka_runs_kraft_without_auto_created_topics(compose: dict[str, Any]) -> None:
    kafka = service(compose, "kafka")
    env = environment(kafka)
    assert kafka["image"].startswith("apache/kafka:")
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert not any("ZOOKEEPER" in key for key in env)
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert env["KAFKA_LOG_RETENTION_MS"] == "-1", "projections are rebuilt from the whole history"
    assert "127.0.0.1:9092:9092" in kafka["ports"]
    assert "kafka-broker-api-versions" in healthcheck_command(kafka)
    # Data where the image prepared a directory its non-root user may write, on the volume.
    assert env["KAFKA_LOG_DIRS"] == "/var/lib/kafka/data"
    assert f"kafka-data:{env['KAFKA_LOG_DIRS']}" in kafka["volumes"]


def test_mongo_is_a_replica_set_initiated_by_its_health_check(compose: dict[str, Any]) -> None:
    mongo = service(compose, "mongo")
    assert mongo["image"].startswith("mongo:")
    command = healthcheck_command(mongo)
    replica_set = mongo["command"][mongo["command"].index("--replSet") + 1]
    assert "rs.initiate" in command
    assert f"_id: '{replica_set}'" in command
    # The member's host is what the driver connects to after discovery: it must resolve in
    # the other containers, so the service name, not localhost.
    assert "host: 'mongo:27017'" in command
    assert "isWritablePrimary" in command


@pytest.mark.parametrize(("job", "arguments"), [("topics", ["topics", "--ensure"]), ("seed", ["seed"])])
def test_jobs_run_real_parkgrid_commands(compose: dict[str, Any], job: str, arguments: list[str]) -> None:
    spec = service(compose, job)
    assert spec["command"] == arguments
    assert spec["build"]["target"] == "ops"
    assert spec["build"]["args"]["SERVICE"] == "all", "the seed needs every service's seeder installed"
    assert spec.get("restart", "no") == "no"
    result = CliRunner().invoke(parkgrid_cli, [*arguments, "--help"])
    assert result.exit_code == 0, result.output
    for option in arguments[1:]:
        assert option in result.output


def test_volumes_are_declared(compose: dict[str, Any]) -> None:
    for name in INFRASTRUCTURE:
        for mount in service(compose, name).get("volumes", []):
            volume = mount.split(":", 1)[0]
            assert volume in compose["volumes"]
