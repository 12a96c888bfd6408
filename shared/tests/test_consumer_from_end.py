"""A group-less reader from the end (ConsumerRunner(from_end=True)), against the real broker:
every reader gets every new event of every partition, none of the history, and the broker has
no consumer group for it (a grouped runner's group, beside it, is there)."""

from __future__ import annotations

import asyncio

from aiokafka.admin import AIOKafkaAdminClient
from kit_samples import COUNTERS, CounterIncremented, registry

from parkgrid.consumer import ConsumerRunner, Delivery
from parkgrid.envelope import Envelope
from parkgrid.kafka import make_producer
from parkgrid.testing.plugin import CreateTopics, unique


def _event(counter_id: str, value: int) -> Envelope:
    return registry.envelope(
        CounterIncremented(counter_id=counter_id, value=value), source="test", subject=counter_id, sequence=value
    )


async def _publish(kafka: str, topic: str, events: list[Envelope]) -> None:
    producer = make_producer(kafka)
    await producer.start()
    try:
        for e in events:
            await producer.send_and_wait(topic, value=e.kafka_value(), key=e.kafka_key(), headers=e.kafka_headers())
    finally:
        await producer.stop()


async def _groups(kafka: str) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    await admin.start()
    try:
        return {group for group, _ in await admin.list_consumer_groups()}
    finally:
        await admin.close()


async def test_every_reader_gets_every_new_event_and_no_group_exists(
    kafka_bootstrap: str, create_topics: CreateTopics
) -> None:
    [topic] = await create_topics([COUNTERS.model_copy(update={"partitions": 3})])
    await _publish(kafka_bootstrap, topic, [_event(f"old-{i}", 1) for i in range(6)])

    seen: dict[str, list[str]] = {"a": [], "b": [], "grouped": []}

    def runner(name: str, *, from_end: bool) -> ConsumerRunner:
        async def handle(delivery: Delivery) -> None:
            seen[name].append(delivery.envelope.subject)

        group = unique("live-") if from_end else unique("grouped-")
        return ConsumerRunner(
            name=name,
            bootstrap_servers=kafka_bootstrap,
            group_id=group,
            topics=[topic],
            handler=handle,
            registry=registry,
            from_end=from_end,
        )

    readers = [runner("a", from_end=True), runner("b", from_end=True)]
    grouped = runner("grouped", from_end=False)
    tasks = [asyncio.create_task(r.run()) for r in [*readers, grouped]]
    try:
        async with asyncio.timeout(30):
            while not all(r.connected for r in readers) or len(seen["grouped"]) < 6:
                await asyncio.sleep(0.1)
        new = [f"new-{i}" for i in range(9)]  # keys over all three partitions
        await _publish(kafka_bootstrap, topic, [_event(subject, 1) for subject in new])
        async with asyncio.timeout(30):
            while len(seen["a"]) < 9 or len(seen["b"]) < 9:
                await asyncio.sleep(0.1)
        await asyncio.sleep(1)  # anything else would have come by now
        assert sorted(seen["a"]) == sorted(seen["b"]) == sorted(new)  # none of the history
        groups = await _groups(kafka_bootstrap)
        assert grouped.group_id in groups  # the check below can see groups
        assert not {r.group_id for r in readers} & groups
    finally:
        for r in [*readers, grouped]:
            await r.stop()
        await asyncio.gather(*tasks)
    assert not {r.group_id for r in readers} & await _groups(kafka_bootstrap)
