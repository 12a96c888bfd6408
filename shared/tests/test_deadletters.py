"""A poison message dead-lettered twice is one dead letter: listed once, redriven once.

The consumer writes the dead letter, then commits the offset past the poison. Killed between
the two, it reads the poison again after its restart and dead-letters it again. Here the
restart is real (a second runner in the same group) and the kill is the group's offset set
back to the poison, which is exactly what an uncommitted offset leaves behind.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition
from kit_samples import COUNTERS, CounterIncremented, registry

from parkgrid.consumer import Delivery
from parkgrid.deadletters import read_dead_letters, redrive
from parkgrid.store import Database
from parkgrid.testing.plugin import CreateTopics
from parkgrid.testing.records import produce_records, quick_consumer, record_of


async def consume_until_dead_lettered(kafka: str, topic: str, group: str, *, good: int = 1) -> None:
    """One consumer life: it dead-letters the poison (offset 0: a bug of this handler, so its
    redriven copy goes through), handles `good` other records, commits, stops."""
    handled: list[int] = []

    async def handle(delivery: Delivery) -> None:
        if delivery.offset == 0:
            raise RuntimeError("a bug on this one record")
        handled.append(delivery.offset)

    runner = quick_consumer(kafka, topic, group, handle, registry, name="dlq-twice", max_attempts=1)
    task = asyncio.create_task(runner.run())
    try:
        async with asyncio.timeout(60):
            while not (runner.dead_lettered_count == 1 and len(handled) == good):
                await asyncio.sleep(0.1)
    finally:
        await runner.stop()
        await task


async def forget_commit(kafka: str, topic: str, group: str) -> None:
    """The group's offset back before the poison: what a kill before the commit leaves."""
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        await consumer.commit({partition: 0})
    finally:
        await consumer.stop()


async def redriven_records(kafka: str, topic: str) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka, group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        await consumer.seek_to_beginning(partition)
        end = (await consumer.end_offsets([partition]))[partition]
        count = 0
        while await consumer.position(partition) < end:
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                count += sum(1 for r in records if ("dlq_redriven", b"1") in (r.headers or ()))
        return count
    finally:
        await consumer.stop()


def cli(kafka: str, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PARKGRID_", "KAFKA_"))}
    env.update(KAFKA_BOOTSTRAP_SERVERS=kafka, PARKGRID_LOG_LEVEL="WARNING", COLUMNS="200", PARKGRID_ENV="development")
    done = subprocess.run(
        [str(Path(sys.executable).with_name("parkgrid")), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    return done.stdout


async def test_a_poison_dead_lettered_twice_is_listed_once_and_redriven_once(
    database: Database, kafka_bootstrap: str, topic_prefix: str, create_topics: CreateTopics
) -> None:
    [topic] = await create_topics([COUNTERS.model_copy(update={"partitions": 1})])
    events = [
        registry.envelope(CounterIncremented(counter_id="c", value=n), source="test", subject="c", sequence=n)
        for n in (1, 2)
    ]
    await produce_records(kafka_bootstrap, topic, [record_of(e) for e in events])
    group = f"{topic_prefix}dlq-twice"

    await consume_until_dead_lettered(kafka_bootstrap, topic, group)
    await forget_commit(kafka_bootstrap, topic, group)
    await consume_until_dead_lettered(kafka_bootstrap, topic, group)  # the restart after the kill

    copies = await read_dead_letters(kafka_bootstrap, topic, copies=True)
    assert len(copies) == 2, "the kill left two copies in the DLQ"
    assert copies[0].identity == copies[1].identity == f"{topic}/0@0#{group}"
    [letter] = await read_dead_letters(kafka_bootstrap, topic)
    assert letter.value == events[0].kafka_value()
    listed = await asyncio.to_thread(cli, kafka_bootstrap, "dlq", "list", topic)
    assert "1 dead letter(s)" in listed, listed

    assert await redrive(kafka_bootstrap, topic) == 1, "one source record, re-injected once"
    assert await redrive(kafka_bootstrap, topic) == 0

    # Killed again after the redrive: the copy that arrives later is not redriven a second time.
    await forget_commit(kafka_bootstrap, topic, group)
    await consume_until_dead_lettered(kafka_bootstrap, topic, group, good=2)  # offset 1, and the redriven copy
    assert len(await read_dead_letters(kafka_bootstrap, topic, copies=True)) == 3
    assert await redrive(kafka_bootstrap, topic) == 0
    assert await redriven_records(kafka_bootstrap, topic) == 1
