"""Publishing as another service would, reading what a test's services published (the envelopes
on a prefixed topic, from the start) and how far their consumer groups are behind."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from parkgrid.envelope import Envelope
from parkgrid.kafka import EventPublisher, client_options, make_producer
from parkgrid.settings import KitSettings


@asynccontextmanager
async def publishing(settings: KitSettings, client_id: str = "tests") -> AsyncIterator[EventPublisher]:
    """The kit's publisher onto `settings`' prefixed topics, as a service's own, for one test step."""
    producer = make_producer(settings.kafka_bootstrap_servers, client_id=client_id)
    await producer.start()
    try:
        yield EventPublisher(producer, settings.topic_prefix)
    finally:
        await producer.stop()


async def publish(settings: KitSettings, items: Iterable[tuple[str, Envelope]], client_id: str = "tests") -> None:
    """Publish (topic, envelope) pairs as the service that owns them would."""
    async with publishing(settings, client_id) as publisher:
        await publisher.publish_many(list(items))


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


async def consumer_lag(
    bootstrap: str, groups: Sequence[str] = (), *, group_prefix: str | None = None
) -> dict[str, int]:
    """Each consumer group's lag: messages on its topics it has not committed yet.

    The groups named, and those whose id starts with `group_prefix`. Every partition of a
    topic the group committed on counts, those it never committed on from offset 0.
    """
    admin = AIOKafkaAdminClient(**client_options(bootstrap))
    consumer = AIOKafkaConsumer(**client_options(bootstrap), group_id=None)
    await admin.start()
    await consumer.start()
    try:
        named = list(groups)
        if group_prefix is not None:
            named += [str(g[0]) for g in await admin.list_consumer_groups() if str(g[0]).startswith(group_prefix)]
        await consumer._client.force_metadata_update()
        lags: dict[str, int] = {}
        for group in dict.fromkeys(named):
            committed = {tp: meta.offset for tp, meta in (await admin.list_consumer_group_offsets(group)).items()}
            topics = {tp.topic for tp in committed}
            partitions = [TopicPartition(t, p) for t in topics for p in (consumer.partitions_for_topic(t) or ())]
            ends = await consumer.end_offsets(partitions) if partitions else {}
            lags[group] = sum(max(0, end - max(0, committed.get(tp, 0))) for tp, end in ends.items())
        return lags
    finally:
        with contextlib.suppress(asyncio.CancelledError):  # aiokafka may raise it from a group-less stop
            await consumer.stop()
        await admin.close()


async def topics_named(bootstrap_servers: str, prefix: str) -> list[str]:
    """The broker's topics whose names start with `prefix`, sorted (what a clean-up left)."""
    admin = AIOKafkaAdminClient(**client_options(bootstrap_servers))
    await admin.start()
    try:
        return sorted(t for t in await admin.list_topics() if t.startswith(prefix))
    finally:
        await admin.close()
