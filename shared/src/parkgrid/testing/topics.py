"""Reading what a test's services published: the envelopes on a prefixed topic, from the start."""

from __future__ import annotations

import time

from aiokafka import AIOKafkaConsumer

from parkgrid.envelope import Envelope
from parkgrid.kafka import client_options
from parkgrid.settings import KitSettings


async def read_topic(
    settings: KitSettings,
    topic: str,
    until: int = 0,
    *,
    within: float = 30.0,
    types: set[str] | None = None,
    grace: float = 0.0,
) -> list[Envelope]:
    """Envelopes on `settings`' prefixed `topic` (of `types` if given), read from offset 0.

    Waits until at least `until` arrived (or `within` seconds passed: the caller's
    assertion then says what was missing), then `grace` seconds more so a test can see
    that nothing extra, such as a duplicate, followed.
    """
    consumer = AIOKafkaConsumer(
        settings.topic_prefix + topic,
        **client_options(settings.kafka_bootstrap_servers, settings),
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    found: list[Envelope] = []
    deadline = time.monotonic() + within
    settle_at: float | None = None
    try:
        while time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                for record in records:
                    envelope = Envelope.from_kafka(record.key, record.value, record.headers)
                    if types is None or envelope.type in types:
                        found.append(envelope)
            if len(found) >= until:
                settle_at = settle_at or time.monotonic() + grace
                if time.monotonic() >= settle_at:
                    break
    finally:
        await consumer.stop()
    return found
