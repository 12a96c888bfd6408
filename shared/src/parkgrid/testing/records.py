"""Raw records onto a topic and a consumer that retries quickly: what the kit's own tests of the
consumer path (dead letters, retries, metrics, traces) each set up against the real broker."""

from __future__ import annotations

from typing import Any

from parkgrid.consumer import Backoff, ConsumerRunner, Handler
from parkgrid.envelope import Envelope
from parkgrid.events import EventRegistry
from parkgrid.kafka import make_producer

Record = tuple[bytes, bytes | None, list[tuple[str, bytes]]]
"""A Kafka record as tests write it: key, value (None: a tombstone), headers."""


def record_of(envelope: Envelope) -> Record:
    return envelope.kafka_key(), envelope.kafka_value(), envelope.kafka_headers()


async def produce_records(kafka: str, topic: str, records: list[Record]) -> None:
    """Write records as they are, malformed ones too (what no service's publisher would send)."""
    producer = make_producer(kafka)
    await producer.start()
    try:
        for key, value, headers in records:
            await producer.send_and_wait(topic, value=value, key=key, headers=headers)
    finally:
        await producer.stop()


def quick_consumer(
    kafka: str,
    topic: str,
    group: str,
    handler: Handler,
    registry: EventRegistry,
    *,
    name: str = "test",
    **options: Any,
) -> ConsumerRunner:
    """A consumer runner whose retries back off in milliseconds, not seconds (tests wait on them)."""
    return ConsumerRunner(
        name=name,
        bootstrap_servers=kafka,
        group_id=group,
        topics=[topic],
        handler=handler,
        registry=registry,
        backoff=Backoff(0.01, 0.05),
        **options,
    )
