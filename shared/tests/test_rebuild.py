"""Rebuilding a projection from offset 0, against the real broker and store."""

from __future__ import annotations

import functools

from kit_samples import COUNTERS, CounterIncremented, project, registry

from parkgrid.kafka import EventPublisher, make_producer
from parkgrid.projection import Projection
from parkgrid.rebuild import ProjectionSpec, rebuild
from parkgrid.store import Database
from parkgrid.testing.plugin import CreateTopics


async def test_rebuild_replays_every_event_into_a_dropped_projection(
    kafka_bootstrap: str, topic_prefix: str, create_topics: CreateTopics, database: Database
) -> None:
    (topic,) = await create_topics([COUNTERS])
    producer = make_producer(kafka_bootstrap)
    await producer.start()
    try:
        publisher = EventPublisher(producer)
        items = []
        for counter in range(20):
            for value in range(1, counter % 5 + 2):
                event = CounterIncremented(counter_id=f"c{counter}", value=value)
                items.append((topic, registry.envelope(event, source="kittest", subject=f"c{counter}", sequence=value)))
        # a duplicate delivery and an out-of-order one: the projection guard ignores both
        items.append(items[3])
        items.insert(0, items[5])
        await publisher.publish_many(items)
        await producer.send_and_wait(topic, b"{not json", key=b"c0")  # poison: skipped, not fatal
    finally:
        await producer.stop()

    collection = database["counters"]
    await collection.insert_one({"_id": "stale", "value": 99, "_seq": 1})  # to be dropped
    projection = Projection(collection)
    seen: list[tuple[int, int]] = []
    spec = ProjectionSpec("counters", [topic], functools.partial(project, projection), [collection])

    report = await rebuild(
        spec, bootstrap_servers=kafka_bootstrap, registry=registry, progress=lambda d, t: seen.append((d, t))
    )

    expected = {f"c{counter}": counter % 5 + 1 for counter in range(20)}
    rebuilt = {doc["_id"]: doc["value"] async for doc in collection.find({})}
    assert rebuilt == expected
    assert report.applied == len(items)
    assert report.skipped == 1
    assert seen[0] == (0, len(items) + 1)
    assert seen[-1] == (len(items) + 1, len(items) + 1)
    assert report.rate > 0

    again = await rebuild(spec, bootstrap_servers=kafka_bootstrap, registry=registry, drop=False)
    assert again.applied == report.applied
    assert {doc["_id"]: doc["value"] async for doc in collection.find({})} == expected


async def test_rebuild_of_an_empty_topic_leaves_an_empty_projection(
    kafka_bootstrap: str, create_topics: CreateTopics, database: Database
) -> None:
    (topic,) = await create_topics([COUNTERS])
    collection = database["counters"]
    await collection.insert_one({"_id": "stale", "value": 1, "_seq": 1})
    spec = ProjectionSpec("counters", [topic], functools.partial(project, Projection(collection)), [collection])
    report = await rebuild(spec, bootstrap_servers=kafka_bootstrap, registry=registry)
    assert (report.applied, report.skipped) == (0, 0)
    assert await collection.count_documents({}) == 0
