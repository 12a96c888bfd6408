"""What the kit publishes is readable by clients nobody here wrote (kcat)."""

from __future__ import annotations

import asyncio
import json
import shutil

from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError
from kit_samples import COUNTERS, CounterIncremented, registry

from parkgrid.envelope import Envelope
from parkgrid.kafka import EventPublisher, make_producer
from parkgrid.logging import bind_correlation
from parkgrid.testing.plugin import CreateTopics
from parkgrid.topics import ensure_topics


async def _publish(kafka: str, prefix: str) -> Envelope:
    bind_correlation("corr-kcat", None)
    try:
        env = registry.envelope(
            CounterIncremented(counter_id="k-1", value=1), source="kittest", subject="k-1", sequence=1
        )
    finally:
        bind_correlation(None, None)
    producer = make_producer(kafka)
    await producer.start()
    try:
        await EventPublisher(producer, prefix).publish(COUNTERS.name, env)
    finally:
        await producer.stop()
    return env


async def test_kcat_reads_ce_headers_key_and_json_body(
    kafka_bootstrap: str, topic_prefix: str, create_topics: CreateTopics
) -> None:
    [topic] = await create_topics([COUNTERS])
    env = await _publish(kafka_bootstrap, topic_prefix)
    kcat = shutil.which("kcat") or shutil.which("kafkacat")
    assert kcat, "kcat is installed by `make install` (deploy/local/install.sh kcat)"
    proc = await asyncio.create_subprocess_exec(
        kcat,
        "-C",
        "-b",
        kafka_bootstrap,
        "-t",
        topic,
        "-o",
        "beginning",
        "-e",
        "-q",
        "-f",
        "%k|%h|%s\\n",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()
    key, headers, body = out.decode().strip().split("|")
    assert key == "k-1"
    assert f"ce_id={env.id}" in headers
    assert "ce_type=parkgrid.kittest.counter.incremented" in headers
    assert "ce_specversion=1.0" in headers
    assert "ce_correlationid=corr-kcat" in headers
    assert "ce_dataschema=urn:parkgrid:schema:parkgrid.kittest.counter.incremented:v1" in headers
    assert json.loads(body) == {"counter_id": "k-1", "value": 1}


async def test_aiokafka_reads_back_the_same_envelope(
    kafka_bootstrap: str, topic_prefix: str, create_topics: CreateTopics
) -> None:
    [topic] = await create_topics([COUNTERS])
    env = await _publish(kafka_bootstrap, topic_prefix)
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=kafka_bootstrap, auto_offset_reset="earliest", group_id=None)
    await consumer.start()
    try:
        record = await asyncio.wait_for(consumer.getone(), 30)
    finally:
        await consumer.stop()
    assert Envelope.from_kafka(record.key, record.value, record.headers) == env


async def test_topics_are_created_as_declared_and_never_by_the_broker(kafka_bootstrap: str, topic_prefix: str) -> None:
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    spec = COUNTERS.model_copy(update={"name": f"{topic_prefix}declared", "partitions": 4, "cleanup_policy": "compact"})
    assert await ensure_topics(kafka_bootstrap, [spec]) == [spec.name, spec.name + ".dlq"]
    assert await ensure_topics(kafka_bootstrap, [spec]) == [], "creating twice creates nothing"
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        [described] = await admin.describe_topics([spec.name])
        assert len(described["partitions"]) == 4
        [configs] = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, spec.name)])
        values = {c[0]: c[1] for c in configs.resources[0][4]}
        assert values["cleanup.policy"] == "compact"
        assert values["retention.ms"] == "-1"
    finally:
        await admin.close()

    producer = make_producer(kafka_bootstrap)
    await producer.start()
    try:
        try:
            await asyncio.wait_for(producer.send_and_wait(f"{topic_prefix}undeclared", b"{}"), 15)
            raised = False
        except (KafkaError, TimeoutError):
            raised = True
    finally:
        await producer.stop()
    assert raised, "the broker must not auto-create topics"
