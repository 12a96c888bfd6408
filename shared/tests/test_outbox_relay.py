"""The embedded outbox survives its relay being killed: nothing lost, effects not doubled."""

from __future__ import annotations

import asyncio
import random
import signal
import sys
from pathlib import Path

from kit_samples import COUNTERS, counter_store, increment, project, registry

from parkgrid.consumer import Backoff, ConsumerRunner, Delivery
from parkgrid.outbox import pending_count
from parkgrid.projection import Projection
from parkgrid.store import Database
from parkgrid.testing.plugin import CreateTopics

WORKER = Path(__file__).with_name("relay_worker.py")
COMMANDS = 1000
COUNTER_IDS = [f"counter-{i:03d}" for i in range(200)]


async def _start_relay(mongodb_uri: str, database: Database, kafka: str, prefix: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(WORKER),
        mongodb_uri,
        database.name,
        "counters",
        kafka,
        prefix,
        "1.5",
        stdout=asyncio.subprocess.DEVNULL,
    )


async def test_relay_killed_at_random_points_loses_and_duplicates_nothing(
    database: Database, mongodb_uri: str, kafka_bootstrap: str, topic_prefix: str, create_topics: CreateTopics
) -> None:
    [topic] = await create_topics([COUNTERS])
    store = counter_store(database["counters"])
    await store.ensure_indexes()
    projection = Projection(database["counter_view"])
    delivered_ids: set[str] = set()
    deliveries = 0

    async def handle(delivery: Delivery) -> None:
        nonlocal deliveries
        deliveries += 1
        delivered_ids.add(delivery.envelope.id)
        await project(projection, delivery)

    consumer = ConsumerRunner(
        name="counter-view",
        bootstrap_servers=kafka_bootstrap,
        group_id=f"{topic_prefix}view",
        topics=[topic],
        handler=handle,
        registry=registry,
        backoff=Backoff(0.05, 0.5),
    )
    consumer_task = asyncio.create_task(consumer.run())

    rng = random.Random(20261127)
    plan = [rng.choice(COUNTER_IDS) for _ in range(COMMANDS)]
    expected = {counter_id: plan.count(counter_id) for counter_id in set(plan)}

    async def write() -> None:
        queue = list(plan)

        async def worker() -> None:
            while queue:
                await increment(store, queue.pop())
                await asyncio.sleep(rng.uniform(0, 0.004))

        await asyncio.gather(*(worker() for _ in range(8)))

    writer = asyncio.create_task(write())
    relay = await _start_relay(mongodb_uri, database, kafka_bootstrap, topic_prefix)
    kills = 0
    while not writer.done() or kills < 5:
        await asyncio.sleep(rng.uniform(0.2, 1.5))
        relay.send_signal(signal.SIGKILL)
        await relay.wait()
        kills += 1
        relay = await _start_relay(mongodb_uri, database, kafka_bootstrap, topic_prefix)
    await writer

    async def settled() -> bool:
        view = {d["_id"]: d["value"] async for d in projection.collection.find({})}
        return view == expected and await pending_count(store.collection) == 0

    loop = asyncio.get_running_loop()
    writes_done_at = loop.time()
    try:
        for _ in range(1800):
            if await settled():
                break
            await asyncio.sleep(0.1)
    finally:
        relay.send_signal(signal.SIGTERM)
        await relay.wait()
        await consumer.stop()
        await consumer_task

    assert kills >= 5
    view = {d["_id"]: d["value"] async for d in projection.collection.find({})}
    assert view == expected, "the projection differs from a run without kills"
    assert await pending_count(store.collection) == 0, "the outbox was not drained"
    assert len(delivered_ids) == COMMANDS, "some events were never delivered"
    assert consumer.dead_lettered_count == 0
    print(
        f"kills={kills} deliveries={deliveries} distinct={len(delivered_ids)} duplicates={deliveries - COMMANDS}"
        f" settled_in={loop.time() - writes_done_at:.1f}s"
    )
