"""ParkGrid's envelope is the CloudEvents Kafka binding, proven with clients nobody here wrote.

Against the real broker: what the kit publishes is read by the CloudEvents Python SDK
(through aiokafka and through kcat) with every attribute and the data intact, and what
the SDK writes (a producer that knows nothing of ParkGrid) is read by `Envelope.from_kafka`.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import ConsumerRecord
from cloudevents.core.base import BaseCloudEvent
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary, to_binary
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from cloudevents.v1 import kafka as legacy_kafka
from dateutil.parser import isoparse

from parkgrid.envelope import Envelope
from parkgrid.events import EventRegistry, IntegrationEvent
from parkgrid.kafka import EventPublisher, make_producer
from parkgrid.logging import bind_correlation
from parkgrid.testing.plugin import CreateTopics
from parkgrid.topics import TopicSpec

registry = EventRegistry()
INTEROP = TopicSpec(name="interoptest.booking", partitions=3)


@registry.register
class SeatsBooked(IntegrationEvent):
    """A throwaway event, v2 so that `dataschema` carries a version other than the default."""

    event_type = "parkgrid.interoptest.booking.confirmed"
    version = 2
    booking_id: str
    seats: int
    starts_at: datetime
    price: dict[str, Any]
    note: str
    tags: list[str]


ATTRIBUTES = {"id", "type", "source", "subject", "time", "specversion", "datacontenttype", "dataschema"}
EXTENSIONS = {"sequence", "correlationid", "causationid", "actor"}


async def _publish_with_kit(kafka: str, prefix: str) -> Envelope:
    event = SeatsBooked(
        booking_id="bk-42",
        seats=3,
        starts_at=datetime(2026, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=1))),
        price={"amount_minor": 15000, "currency": "MAD"},
        note="Salle Atlas, café à 10h — قاعة",
        tags=["mentoring", "casablanca"],
    )
    bind_correlation("corr-interop-1", "cause-interop-1")
    try:
        envelope = registry.envelope(event, source="interoptest", subject="bk-42", sequence=7)
    finally:
        bind_correlation(None, None)
    producer = make_producer(kafka)
    await producer.start()
    try:
        await EventPublisher(producer, prefix).publish(INTEROP.name, envelope)
    finally:
        await producer.stop()
    return envelope


async def _read_all(kafka: str, topic: str, count: int) -> list[ConsumerRecord[bytes, bytes]]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=kafka, auto_offset_reset="earliest", group_id=None)
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    try:
        async with asyncio.timeout(30):
            while len(records) < count:
                batch = await consumer.getmany(timeout_ms=500)
                for partition_records in batch.values():
                    records.extend(partition_records)
    finally:
        await consumer.stop()
    assert len(records) == count, f"expected {count} records on {topic}, got {len(records)}"
    return records


def _message(record: ConsumerRecord[bytes, bytes]) -> KafkaMessage:
    names = [name for name, _ in record.headers]
    assert len(names) == len(set(names)), f"a header appears twice: {names}"
    assert record.value is not None
    return KafkaMessage(headers=dict(record.headers), key=record.key, value=record.value)


def _assert_same_event(event: BaseCloudEvent, envelope: Envelope) -> None:
    assert event.get_id() == envelope.id
    assert event.get_type() == envelope.type
    assert event.get_source() == envelope.source
    assert event.get_subject() == envelope.subject
    assert event.get_time() == envelope.time
    assert event.get_dataschema() == envelope.dataschema
    assert event.get_datacontenttype() == envelope.datacontenttype == "application/json"
    assert event.get_specversion() == envelope.specversion == "1.0"
    assert event.get_extension("sequence") == f"{envelope.sequence:020d}"  # zero-padded: sorts as a string
    assert event.get_extension("correlationid") == envelope.correlationid
    assert event.get_extension("causationid") == envelope.causationid
    assert event.get_extension("actor") == envelope.actor
    # The binding turns the Kafka key into the `partitionkey` extension: the aggregate id.
    assert event.get_extension("partitionkey") == envelope.subject
    assert set(event.get_attributes()) == ATTRIBUTES | EXTENSIONS | {"partitionkey"}
    assert event.get_data() == envelope.data


async def test_the_sdk_reads_a_kit_event_with_every_attribute(
    kafka_bootstrap: str, topic_prefix: str, create_topics: CreateTopics
) -> None:
    [topic] = await create_topics([INTEROP])
    envelope = await _publish_with_kit(kafka_bootstrap, topic_prefix)
    assert envelope.dataschema == "urn:parkgrid:schema:parkgrid.interoptest.booking.confirmed:v2"
    assert envelope.correlationid == "corr-interop-1"
    assert envelope.causationid == "cause-interop-1"

    [record] = await _read_all(kafka_bootstrap, topic, 1)
    assert record.key == b"bk-42"
    event = from_binary(_message(record), JSONFormat())
    assert isinstance(event, CloudEvent)
    _assert_same_event(event, envelope)
    assert event.get_data() == {
        "booking_id": "bk-42",
        "seats": 3,
        "starts_at": "2026-03-01T09:30:00+01:00",
        "price": {"amount_minor": 15000, "currency": "MAD"},
        "note": "Salle Atlas, café à 10h — قاعة",
        "tags": ["mentoring", "casablanca"],
    }

    # Teams still on the 1.x SDK (`cloudevents.kafka`, kept as `cloudevents.v1.kafka`) read it too.
    legacy = legacy_kafka.from_binary(
        legacy_kafka.KafkaMessage(headers=dict(record.headers), key=record.key, value=record.value)
    )
    legacy_attributes = dict(legacy.get_attributes())
    assert isoparse(legacy_attributes.pop("time")) == envelope.time
    assert legacy_attributes == {
        "id": envelope.id,
        "type": envelope.type,
        "source": envelope.source,
        "subject": envelope.subject,
        "specversion": "1.0",
        "datacontenttype": "application/json",
        "dataschema": envelope.dataschema,
        "sequence": "00000000000000000007",
        "correlationid": "corr-interop-1",
        "causationid": "cause-interop-1",
        "actor": "service:interoptest",
        "partitionkey": b"bk-42",
    }
    assert legacy.get_data() == envelope.data


async def test_kcat_output_rebuilds_the_same_cloudevent(
    kafka_bootstrap: str, topic_prefix: str, create_topics: CreateTopics
) -> None:
    [topic] = await create_topics([INTEROP])
    envelope = await _publish_with_kit(kafka_bootstrap, topic_prefix)
    [record] = await _read_all(kafka_bootstrap, topic, 1)
    via_aiokafka = from_binary(_message(record), JSONFormat())

    kcat = shutil.which("kcat") or shutil.which("kafkacat")
    assert kcat, "kcat is installed by `make install` (deploy/local/install.sh kcat); or `apt-get install kcat`"
    proc = await asyncio.create_subprocess_exec(
        *(kcat, "-C", "-b", kafka_bootstrap, "-t", topic, "-o", "beginning", "-e", "-q", "-J"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()
    [line] = out.decode().splitlines()
    message = json.loads(line)
    flat = message["headers"]  # kcat -J: ["name1", "value1", "name2", "value2", ...]
    headers = dict(zip(flat[::2], flat[1::2], strict=True))
    assert len(headers) * 2 == len(flat), f"a header appears twice: {flat}"
    via_kcat = from_binary(
        KafkaMessage(
            headers={name: value.encode() for name, value in headers.items()},
            key=message["key"].encode(),
            value=message["payload"].encode(),
        ),
        JSONFormat(),
    )
    assert via_kcat.get_attributes() == via_aiokafka.get_attributes()
    assert via_kcat.get_data() == via_aiokafka.get_data()
    _assert_same_event(via_kcat, envelope)


async def test_an_sdk_producer_is_understood_by_the_kit(
    kafka_bootstrap: str, topic_prefix: str, create_topics: CreateTopics
) -> None:
    [topic] = await create_topics([INTEROP])
    event_id = str(uuid.uuid4())
    full = CloudEvent(
        attributes={
            "id": event_id,
            "type": "parkgrid.interoptest.booking.confirmed",
            "source": "urn:example:partner-crm",
            "subject": "bk-77",
            "time": datetime(2026, 1, 15, 8, 0, 0, 123456, tzinfo=UTC),
            "datacontenttype": "application/json",
            "dataschema": "urn:parkgrid:schema:parkgrid.interoptest.booking.confirmed:v2",
            "sequence": "12",
            "correlationid": "corr-partner-9",
            "causationid": "cause-partner-9",
            "partitionkey": "bk-77",
        },
        data={"booking_id": "bk-77", "seats": 1, "note": "réservé par le CRM"},
    )
    # Only the required attributes and the ones ParkGrid requires (sequence); the
    # subject comes from the key, as the kit's reader falls back to it.
    minimal = CloudEvent(
        attributes={
            "type": "parkgrid.interoptest.booking.confirmed",
            "source": "urn:example:partner-crm",
            "sequence": "1",
            "partitionkey": "bk-78",
        },
        data={"booking_id": "bk-78"},
    )
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for event in (full, minimal):
            message = to_binary(event, JSONFormat())
            key = message.key.encode() if isinstance(message.key, str) else message.key
            await producer.send_and_wait(topic, value=message.value, key=key, headers=list(message.headers.items()))
    finally:
        await producer.stop()

    records = await _read_all(kafka_bootstrap, topic, 2)
    envelopes = {env.subject: env for env in (Envelope.from_kafka(r.key, r.value, r.headers) for r in records)}

    got = envelopes["bk-77"]
    assert got.id == event_id
    assert got.type == full.get_type()
    assert got.source == "urn:example:partner-crm"
    assert got.subject == "bk-77"
    assert got.time == full.get_time()
    assert got.specversion == "1.0"
    assert got.datacontenttype == "application/json"
    assert got.dataschema == full.get_dataschema()
    assert got.sequence == 12
    assert got.correlationid == "corr-partner-9"
    assert got.causationid == "cause-partner-9"
    assert got.data == {"booking_id": "bk-77", "seats": 1, "note": "réservé par le CRM"}

    bare = envelopes["bk-78"]
    assert bare.id == minimal.get_id()
    assert bare.time == minimal.get_time()
    assert bare.sequence == 1
    assert bare.datacontenttype == "application/json"  # the SDK writes none; JSON is the default
    assert (bare.dataschema, bare.correlationid, bare.causationid) == (None, None, None)
    assert bare.data == {"booking_id": "bk-78"}
