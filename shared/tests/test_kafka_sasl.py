"""The kit's Kafka clients against a real broker that only speaks SASL/SCRAM-SHA-512.

A single KRaft node of its own (the jars `make install` fetched, a temporary directory, free
loopback ports; the shared broker is not touched), formatted with SCRAM credentials. The kit
creates a topic (admin client), publishes (producer) and consumes in a group (consumer
runner) as the `bookings` user; a wrong password and a plaintext client are refused. TLS is
the one part of production's SASL_SSL not exercised here (`test_kafka_security.py` checks the
SSL context the settings build).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from kit_samples import COUNTERS, CounterIncremented, registry

from parkgrid.consumer import Backoff, ConsumerRunner, Delivery
from parkgrid.kafka import client_options, make_producer
from parkgrid.settings import KitSettings
from parkgrid.topics import ensure_topics

# Starts a Kafka broker of its own: not in the --unit tier.
pytestmark = pytest.mark.processes

REPO = Path(__file__).resolve().parents[2]
KAFKA_LIB = REPO / ".local" / "kafka" / "lib"
CLUSTER_ID = "UGFya0dyaWRTYXNsVGVzdA"  # base64url of "ParkGridSaslTest"
USER, PASSWORD = "bookings", "bookings-secret"
CREDENTIALS = {"admin": "admin-secret", USER: PASSWORD}  # admin: the broker's own inter-broker user


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def config(data: Path, port: int, controller: int) -> str:
    return f"""
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:{controller}
listeners=SASL_PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}
advertised.listeners=SASL_PLAINTEXT://127.0.0.1:{port}
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT
inter.broker.listener.name=SASL_PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=\
org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="admin-secret";
log.dirs={data}
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=1
num.io.threads=2
"""


@pytest.fixture(scope="module")
def scram_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A SCRAM-only broker on a free port: its bootstrap address; stopped (by its pid) afterwards."""
    if shutil.which("java") is None or not KAFKA_LIB.is_dir():
        pytest.skip("needs Java and the Kafka jars of `make install` (.local/kafka/lib)")
    root = tmp_path_factory.mktemp("kafka-sasl")
    port, controller = free_port(), free_port()
    properties = root / "server.properties"
    properties.write_text(config(root / "data", port, controller))
    classpath = f"{KAFKA_LIB}/*"
    log = (root / "kafka.log").open("ab")
    users = [f"SCRAM-SHA-512=[name={name},password={secret}]" for name, secret in CREDENTIALS.items()]
    format_command = ["java", "-cp", classpath, "kafka.tools.StorageTool", "format", "-t", CLUSTER_ID]
    format_command += ["-c", str(properties), *(arg for user in users for arg in ("--add-scram", user))]
    subprocess.run(format_command, check=True, stdout=log, stderr=subprocess.STDOUT, timeout=120)
    java = ["java", "-Xms256m", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:ActiveProcessorCount=1"]
    broker = subprocess.Popen(
        [*java, f"-Dkafka.logs.dir={root}/logs", "-cp", classpath, "kafka.Kafka", str(properties)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while not listening(port):
            if broker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the SASL broker did not start:\n" + (root / "kafka.log").read_text()[-3000:])
            time.sleep(0.3)
        yield f"127.0.0.1:{port}"
    finally:
        os.killpg(broker.pid, signal.SIGTERM)
        try:
            broker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(broker.pid, signal.SIGKILL)
            broker.wait(timeout=10)
        log.close()


def listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def scram(bootstrap: str, password: str = PASSWORD) -> dict[str, str]:
    return {
        "PARKGRID_SERVICE_NAME": "bookings",
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
        "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "KAFKA_SASL_USERNAME": USER,
        "KAFKA_SASL_PASSWORD": password,
    }


async def test_the_kit_creates_publishes_and_consumes_over_scram(
    scram_broker: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in scram(scram_broker).items():
        monkeypatch.setenv(name, value)  # the clients built from a bare address read the environment
    settings = KitSettings()
    topic = "sasl.kittest.counter"
    assert await ensure_topics(scram_broker, [COUNTERS.model_copy(update={"name": topic, "partitions": 1})])

    producer = make_producer(scram_broker, settings=settings)
    await producer.start()
    try:
        for n in (1, 2, 3):
            event = registry.envelope(CounterIncremented(counter_id="c", value=n), source="t", subject="c", sequence=n)
            await producer.send_and_wait(
                topic, event.kafka_value(), key=event.kafka_key(), headers=event.kafka_headers()
            )
    finally:
        await producer.stop()

    seen: list[int] = []

    async def handle(delivery: Delivery) -> None:
        seen.append(delivery.envelope.sequence)

    runner = ConsumerRunner(
        name="sasl",
        bootstrap_servers=scram_broker,
        group_id="bookings.sasl-test",
        topics=[topic],
        handler=handle,
        registry=registry,
        backoff=Backoff(0.05, 0.2),
        settings=settings,
    )
    task = asyncio.create_task(runner.run())
    try:
        async with asyncio.timeout(60):
            while len(seen) < 3:
                await asyncio.sleep(0.1)
    finally:
        await runner.stop()
        await task
    assert seen == [1, 2, 3]


async def test_a_wrong_password_or_plaintext_is_refused(scram_broker: str) -> None:
    wrong = AIOKafkaProducer(**client_options(scram_broker, KitSettings(**scram(scram_broker, "nope"))))  # type: ignore[arg-type]
    with pytest.raises(KafkaError):
        await asyncio.wait_for(wrong.start(), 30)
    await wrong.stop()
    plain = AIOKafkaProducer(**client_options(scram_broker, KitSettings()), request_timeout_ms=5000)
    with pytest.raises((KafkaError, asyncio.TimeoutError)):
        await asyncio.wait_for(plain.start(), 15)
    await plain.stop()
