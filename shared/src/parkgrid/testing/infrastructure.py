"""Finding real Kafka and a real MongoDB-wire store for tests.

In order: `KAFKA_BOOTSTRAP_SERVERS`/`MONGODB_URI` when set (CI with its own cluster);
testcontainers (real `apache/kafka` and `mongo` images) when a Docker engine answers;
else the project's local infrastructure (`deploy/local/infra.sh`), started if it is
not running and stopped again at the end if the tests started it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Infrastructure:
    kafka_bootstrap_servers: str
    mongodb_uri: str
    origin: str


def repo_root(start: Path | None = None) -> Path:
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "deploy" / "local" / "infra.sh").exists():
            return candidate
    env = os.environ.get("PARKGRID_ROOT")
    if env:
        return Path(env)
    raise RuntimeError("cannot find the ParkGrid repository (deploy/local/infra.sh); set PARKGRID_ROOT")


def docker_engine_answers() -> bool:
    if os.environ.get("PARKGRID_TESTCONTAINERS", "auto") == "off" or shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=5).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@contextmanager
def provide() -> Iterator[Infrastructure]:
    kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    mongo = os.environ.get("MONGODB_URI")
    if kafka and mongo:
        yield Infrastructure(kafka, mongo, "environment")
        return
    if docker_engine_answers():
        with _containers() as infra:
            yield infra
        return
    with _local() as infra:
        yield infra


@contextmanager
def _containers() -> Iterator[Infrastructure]:
    from testcontainers.kafka import KafkaContainer
    from testcontainers.mongodb import MongoDbContainer

    with KafkaContainer("apache/kafka:4.1.1").with_kraft() as kafka, MongoDbContainer("mongo:8.0") as mongo:
        yield Infrastructure(kafka.get_bootstrap_server(), mongo.get_connection_url(), "testcontainers")


@contextmanager
def _local() -> Iterator[Infrastructure]:
    script = repo_root() / "deploy" / "local" / "infra.sh"
    running = subprocess.run(["bash", str(script), "status"], capture_output=True).returncode == 0
    if not running:
        subprocess.run(["bash", str(script), "up"], check=True)
    host_k = os.environ.get("KAFKA_HOST", "127.0.0.1")
    host_m = os.environ.get("FERRETDB_HOST", "127.0.0.1")
    infra = Infrastructure(
        f"{host_k}:{os.environ.get('KAFKA_PORT', '9092')}",
        f"mongodb://{host_m}:{os.environ.get('FERRETDB_PORT', '27017')}/?retryWrites=false",
        "local",
    )
    try:
        yield infra
    finally:
        if not running:
            subprocess.run(["bash", str(script), "down"], check=False)
