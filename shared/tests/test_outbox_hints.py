"""The relay claims this process's writes by id when notified, and sweeps for everything else."""

from __future__ import annotations

import asyncio
import contextlib
import time

from kit_samples import COUNTERS, CounterIncremented, counter_store, increment

from parkgrid.kafka import EventPublisher, make_producer
from parkgrid.outbox import OutboxRelay
from parkgrid.store import Collection, Database
from parkgrid.testing.plugin import CreateTopics


async def _pending(collection: Collection, aggregate_id: str) -> bool:
    doc = await collection.find_one({"_id": aggregate_id})
    assert doc is not None
    return bool(doc["outbox_pending"])


async def _until_published(collection: Collection, aggregate_id: str, within: float) -> None:
    deadline = time.monotonic() + within
    while await _pending(collection, aggregate_id):
        assert time.monotonic() < deadline, f"{aggregate_id} not published within {within} s"
        await asyncio.sleep(0.05)


async def test_notified_writes_are_published_by_id_and_others_by_the_sweep(
    database: Database, kafka_bootstrap: str, topic_prefix: str, create_topics: CreateTopics
) -> None:
    await create_topics([COUNTERS])
    store = counter_store(database["counters"])
    producer = make_producer(kafka_bootstrap, client_id="hints-test")
    await producer.start()
    # The first sweep runs at start; the next one not within this test.
    relay = OutboxRelay(
        [store.collection], EventPublisher(producer, topic_prefix), owner="hints-test", sweep_interval=600.0
    )
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.sleep(0.5)
        # Written as another process would: pending in the store, unknown to this process.
        entries = store._entries("counter-b", 1, [CounterIncremented(counter_id="counter-b", value=1)])
        await store.collection.insert_one(
            {"_id": "counter-b", "value": 1, "version": 1, "outbox": entries, "outbox_pending": True}
        )
        await increment(store, "counter-a")  # this process's write: hinted
        relay.notify()
        await _until_published(store.collection, "counter-a", within=20.0)
        assert await _pending(store.collection, "counter-b"), "published without a sweep: not by the hint path"
        assert relay.published_count == 1

        assert await relay.drain_once(sweep=True) == 1  # the sweep finds what no hint named
        assert not await _pending(store.collection, "counter-b")
    finally:
        await relay.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await producer.stop()
