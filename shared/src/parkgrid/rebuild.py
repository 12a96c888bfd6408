"""Dropping a projection and rebuilding it from the topics, from offset 0.

DESIGN.md promises that every projection can be thrown away and rebuilt from the event
history (fact topics keep everything). A rebuild reads the projection's topics without a
consumer group, from the first offset up to the end offsets taken when it starts, and
feeds each message to the projection's own handler: the same code path as live
consumption, so a rebuilt projection is what the live one would be.

It is safe while the service runs: projections apply an event only when it is newer
than what they hold (`parkgrid.projection`), so the live consumer and the rebuild can
interleave. Messages that cannot be parsed are counted and skipped (the live consumer
dead-lettered them already).

A projection may apply a whole fetched batch at once (`apply_batch`, e.g. one bulk insert
instead of one write per event) and recreate its indexes right after the drop (`after_drop`).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from parkgrid.consumer import Delivery, Handler
from parkgrid.envelope import Envelope, MalformedMessage
from parkgrid.events import EventRegistry
from parkgrid.kafka import client_options, rewind
from parkgrid.settings import KitSettings
from parkgrid.store import Collection
from parkgrid.topics import partitions_of

Progress = Callable[[int, int], None]
"""Called as (messages done, messages to do) while a rebuild runs."""


@dataclass(frozen=True)
class ProjectionSpec:
    """A named projection of a service: its topics, its handler and the collections it fills."""

    name: str
    topics: Sequence[str]
    handler: Handler
    collections: Sequence[Collection]
    apply_batch: Callable[[Sequence[Delivery]], Awaitable[None]] | None = None
    """Applies a fetched batch in one go, instead of `handler` per message (same outcome, faster)."""
    after_drop: Callable[[], Awaitable[None]] | None = None
    """Run once the collections are dropped, before the replay (e.g. create their indexes)."""


@dataclass(frozen=True)
class RebuildReport:
    projection: str
    applied: int
    skipped: int
    seconds: float

    @property
    def rate(self) -> float:
        """Messages per second over the whole rebuild (reading and applying)."""
        return (self.applied + self.skipped) / self.seconds if self.seconds > 0 else 0.0


async def rebuild(
    spec: ProjectionSpec,
    *,
    bootstrap_servers: str,
    registry: EventRegistry,
    progress: Progress | None = None,
    drop: bool = True,
    batch_size: int = 1000,
    settings: KitSettings | None = None,
) -> RebuildReport:
    """Drop `spec`'s collections (unless `drop` is false) and replay its topics into it.

    `settings` are the Kafka client's (security); default: this process's environment."""
    started = time.perf_counter()
    consumer = AIOKafkaConsumer(
        **client_options(bootstrap_servers, settings),
        group_id=None,
        enable_auto_commit=False,
        isolation_level="read_committed",
        client_id=f"rebuild-{spec.name}",
    )
    admin = AIOKafkaAdminClient(**client_options(bootstrap_servers, settings))
    await admin.start()
    try:
        numbers = await partitions_of(admin, spec.topics)
    finally:
        await admin.close()
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for topic in spec.topics for p in numbers.get(topic, [])]
        ends = await consumer.end_offsets(partitions) if partitions else {}
        begins = await consumer.beginning_offsets(partitions) if partitions else {}
        todo = {tp: end for tp, end in ends.items() if end > begins[tp]}
        total = sum(end - begins[tp] for tp, end in todo.items())
        if drop:
            for collection in spec.collections:
                await collection.drop()
            if spec.after_drop is not None:
                await spec.after_drop()
        applied = skipped = 0
        if progress:
            progress(0, total)
        if todo:
            consumer.assign(list(todo))
            await rewind(consumer, todo)
        while todo:
            batches = await consumer.getmany(*todo, timeout_ms=1000, max_records=batch_size)
            batch: list[Delivery] = []
            for tp, records in batches.items():
                for record in records:
                    if tp not in todo or record.offset >= todo[tp]:
                        break
                    try:
                        envelope = Envelope.from_kafka(record.key, record.value, record.headers)
                        event = registry.parse(envelope)
                    except MalformedMessage:
                        skipped += 1
                        continue
                    delivery = Delivery(envelope, event, record.topic, record.partition, record.offset)
                    if spec.apply_batch is None:
                        await spec.handler(delivery)
                    else:
                        batch.append(delivery)
                    applied += 1
            if spec.apply_batch is not None and batch:
                await spec.apply_batch(batch)
            for tp in list(todo):
                if await consumer.position(tp) >= todo[tp]:
                    del todo[tp]
            if progress:
                progress(applied + skipped, total)
        return RebuildReport(spec.name, applied, skipped, time.perf_counter() - started)
    finally:
        await consumer.stop()
