"""The consumer runner against the real broker: poison to the DLQ, duplicates harmless."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from kit_samples import COUNTERS, CounterIncremented, project, registry

from parkgrid.consumer import COMMIT_SECONDS, FULL_STATE_BATCH, ConsumerRunner, Delivery, Handler, TransientError
from parkgrid.deadletters import read_dead_letters, redrive
from parkgrid.envelope import Envelope
from parkgrid.events import IntegrationEvent
from parkgrid.projection import Projection
from parkgrid.store import Database
from parkgrid.testing.plugin import CreateTopics
from parkgrid.testing.records import produce_records, quick_consumer, record_of
from parkgrid.testing.topics import consumer_lag


def _event(counter_id: str, value: int) -> Envelope:
    return registry.envelope(
        CounterIncremented(counter_id=counter_id, value=value), source="test", subject=counter_id, sequence=value
    )


async def _run_until(runner: ConsumerRunner, done: Callable[[], Awaitable[bool]], limit: float = 60) -> None:
    task = asyncio.create_task(runner.run())
    try:
        async with asyncio.timeout(limit):
            while not await done():
                await asyncio.sleep(0.1)
    finally:
        await runner.stop()
        await task


def _runner(kafka: str, topic: str, group: str, handler: Handler, **options: Any) -> ConsumerRunner:
    return quick_consumer(kafka, topic, group, handler, registry, **options)


async def test_poison_goes_to_the_dlq_and_the_partition_keeps_flowing(
    database: Database, kafka_bootstrap: str, topic_prefix: str, create_topics: CreateTopics
) -> None:
    [topic] = await create_topics([COUNTERS.model_copy(update={"partitions": 1})])
    unknown = Envelope(type="parkgrid.kittest.counter.exploded", source="t", subject="c-1", sequence=9, data={})
    await produce_records(
        kafka_bootstrap,
        topic,
        [
            record_of(_event("c-1", 1)),
            (b"c-1", b"{this is not json", [("ce_type", b"parkgrid.kittest.counter.incremented")]),
            record_of(unknown),
            record_of(_event("c-1", 2)),
            record_of(_event("c-1", 3)),
        ],
    )
    projection = Projection(database["view"])

    async def handle(delivery: Delivery) -> None:
        await project(projection, delivery)

    async def caught_up() -> bool:
        doc = await projection.get("c-1")
        return doc is not None and doc["value"] == 3

    runner = _runner(kafka_bootstrap, topic, f"{topic_prefix}g", handle)
    await _run_until(runner, caught_up)

    letters = await read_dead_letters(kafka_bootstrap, topic)
    assert [(d.origin_topic, d.header("dlq_origin_partition"), d.header("dlq_origin_offset")) for d in letters] == [
        (topic, "0", "1"),
        (topic, "0", "2"),
    ]
    assert letters[0].header("dlq_error_class") == "MalformedMessage"
    assert "not JSON" in (letters[0].error or "")
    assert letters[1].header("dlq_error_class") == "UnknownEventType"
    assert "exploded" in (letters[1].error or "")
    assert letters[1].header("dlq_consumer_group") == f"{topic_prefix}g"
    assert letters[1].header("ce_type") == b"parkgrid.kittest.counter.exploded".decode(), "original headers are kept"
    assert runner.dead_lettered_count == 2


@pytest.mark.parametrize("concurrency", [1, 8], ids=["one-at-a-time", "8-keys-at-once"])
async def test_each_event_delivered_three_times_projects_as_once(
    database: Database, kafka_bootstrap: str, topic_prefix: str, create_topics: CreateTopics, concurrency: int
) -> None:
    [topic] = await create_topics([COUNTERS])
    events = {c: [_event(c, v) for v in range(1, 6)] for c in ("a", "b", "c")}
    # Three deliveries of everything, replays interleaved with late duplicates of older events.
    records = []
    for round_ in range(3):
        for evs in events.values():
            for env in evs if round_ != 1 else reversed(evs):
                records.append(record_of(env))
    await produce_records(kafka_bootstrap, topic, records)

    once = Projection(database["once"])
    thrice = Projection(database["thrice"])
    applied = 0

    async def handle(delivery: Delivery) -> None:
        nonlocal applied
        applied += 1
        await project(thrice, delivery)

    for evs in events.values():
        for env in evs:
            event = registry.parse(env)
            assert isinstance(event, CounterIncremented)
            await once.apply_event(env, {"value": event.value})

    runner = _runner(kafka_bootstrap, topic, f"{topic_prefix}g", handle, concurrency=concurrency)

    async def all_seen() -> bool:
        return applied == len(records)

    await _run_until(runner, all_seen)
    strip = {"_id": 1, "value": 1, "_seq": 1}
    assert await thrice.collection.find({}, strip).sort("_id").to_list() == (
        await once.collection.find({}, strip).sort("_id").to_list()
    )


async def test_newest_per_key_applies_each_key_once_per_batch_and_still_dead_letters_poison(
    database: Database,
    kafka_bootstrap: str,
    topic_prefix: str,
    create_topics: CreateTopics,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    [topic] = await create_topics([COUNTERS.model_copy(update={"partitions": 1})])
    records = [record_of(_event(c, v)) for v in range(1, 6) for c in ("a", "b")]
    records.insert(3, (b"a", b"{this is not json", [("ce_type", b"parkgrid.kittest.counter.incremented")]))
    records.append(record_of(_event("a", 2)))  # a late older event: newest means highest sequence
    await produce_records(kafka_bootstrap, topic, records)  # all there before the consumer's first fetch
    projection = Projection(database["view"])
    handled: list[tuple[str, int]] = []

    async def handle(delivery: Delivery) -> None:
        handled.append((delivery.envelope.subject, delivery.envelope.sequence))
        await project(projection, delivery)

    async def caught_up() -> bool:
        docs = await projection.collection.find({}, {"value": 1}).to_list()
        return sorted((d["_id"], d["value"]) for d in docs) == [("a", 5), ("b", 5)]

    runner = _runner(kafka_bootstrap, topic, f"{topic_prefix}g", handle, concurrency=4, newest_per_key=True)
    assert runner.batch_size == FULL_STATE_BATCH
    assert runner.registry is not None
    parse, parsed = runner.registry.parse, 0

    def counted(envelope: Envelope) -> IntegrationEvent:
        nonlocal parsed
        parsed += 1
        return parse(envelope)

    monkeypatch.setattr(runner.registry, "parse", counted)
    await _run_until(runner, caught_up)
    assert handled == [("a", 5), ("b", 5)] or handled == [("b", 5), ("a", 5)], handled  # one batch
    assert runner.superseded_count == 9
    assert parsed == 11, "each valid record parsed once: the newest is not parsed again to be handled"
    letters = await read_dead_letters(kafka_bootstrap, topic)
    assert [d.header("dlq_origin_offset") for d in letters] == ["3"]


async def test_transient_failures_are_retried_and_bugs_dead_lettered_after_attempts(
    database: Database, kafka_bootstrap: str, topic_prefix: str, create_topics: CreateTopics
) -> None:
    [topic] = await create_topics([COUNTERS.model_copy(update={"partitions": 1})])
    await produce_records(
        kafka_bootstrap,
        topic,
        [record_of(_event("flaky", 1)), record_of(_event("buggy", 1)), record_of(_event("ok", 1))],
    )
    attempts: dict[str, int] = {}
    done: set[str] = set()

    async def handle(delivery: Delivery) -> None:
        subject = delivery.envelope.subject
        attempts[subject] = attempts.get(subject, 0) + 1
        if subject == "flaky" and attempts[subject] <= 3:
            raise TransientError("store briefly away")
        if subject == "buggy":
            raise KeyError("a bug in the handler")
        done.add(subject)

    runner = _runner(kafka_bootstrap, topic, f"{topic_prefix}g", handle, max_attempts=3)

    async def finished() -> bool:
        return "ok" in done

    await _run_until(runner, finished)
    assert attempts == {"flaky": 4, "buggy": 3, "ok": 1}
    assert done == {"flaky", "ok"}
    [letter] = await read_dead_letters(kafka_bootstrap, topic)
    assert letter.header("dlq_error_class") == "KeyError"


async def test_offsets_are_committed_only_after_the_effect_and_a_restart_resumes(
    kafka_bootstrap: str, topic_prefix: str, create_topics: CreateTopics
) -> None:
    [topic] = await create_topics([COUNTERS.model_copy(update={"partitions": 1})])
    await produce_records(kafka_bootstrap, topic, [record_of(_event("x", v)) for v in range(1, 21)])
    seen: list[int] = []
    group = f"{topic_prefix}g"

    async def stop_after_ten(delivery: Delivery) -> None:
        if len(seen) == 10:
            raise TransientError("the store went away")  # never stored: must be redelivered
        seen.append(delivery.envelope.sequence)

    first = _runner(kafka_bootstrap, topic, group, stop_after_ten)

    async def ten() -> bool:
        return len(seen) == 10

    await _run_until(first, ten)
    resumed: list[int] = []

    async def record(delivery: Delivery) -> None:
        resumed.append(delivery.envelope.sequence)

    second = _runner(kafka_bootstrap, topic, group, record)

    async def rest() -> bool:
        return bool(resumed) and resumed[-1] == 20

    await _run_until(second, rest)
    assert seen == list(range(1, 11))
    assert resumed == list(range(11, 21)), "the message whose effect was not stored must come again; nothing twice"


async def test_a_steady_stream_commits_its_offsets_twice_a_second_and_all_of_them_once_idle(
    kafka_bootstrap: str, topic_prefix: str, create_topics: CreateTopics
) -> None:
    """Each commit is a write at the broker's group coordinator: one per record handled cost the
    broker about 1 ms of CPU per record and consumer group (bench/README). Committing what was
    handled every `COMMIT_SECONDS` while records keep coming, and at once when none come, bounds
    the commits by the time elapsed, not by the records; a crash redelivers at most that much,
    which handlers already take (they are idempotent)."""
    [topic] = await create_topics([COUNTERS.model_copy(update={"partitions": 1})])
    group = f"{topic_prefix}g"
    commits = 0
    handled: list[int] = []

    class Counting(ConsumerRunner):
        async def _commit(self, consumer: Any, partitions: Any) -> None:
            nonlocal commits
            commits += any(tp in self._processed for tp in partitions)
            await super()._commit(consumer, partitions)

    async def handle(delivery: Delivery) -> None:
        handled.append(delivery.envelope.sequence)

    runner = Counting(name="test", bootstrap_servers=kafka_bootstrap, group_id=group, topics=[topic], handler=handle)
    task = asyncio.create_task(runner.run())
    started = asyncio.get_running_loop().time()
    try:
        async with asyncio.timeout(60):
            while not runner.connected:
                await asyncio.sleep(0.05)
            await asyncio.sleep(1)  # the group joined: records sent from now are fetched as they come
            for value in range(1, 61):
                await produce_records(kafka_bootstrap, topic, [record_of(_event("s", value))])
            while len(handled) < 60:
                await asyncio.sleep(0.05)
            while (await consumer_lag(kafka_bootstrap, [group]))[group]:  # committed while still running
                await asyncio.sleep(0.1)
        elapsed = asyncio.get_running_loop().time() - started
        assert handled == list(range(1, 61))
        assert 1 <= commits <= elapsed / COMMIT_SECONDS + 2, (commits, elapsed)
    finally:
        await runner.stop()
        await task


async def test_redrive_sends_dead_letters_back_once(
    database: Database, kafka_bootstrap: str, topic_prefix: str, create_topics: CreateTopics
) -> None:
    [topic] = await create_topics([COUNTERS.model_copy(update={"partitions": 1})])
    await produce_records(kafka_bootstrap, topic, [record_of(_event("r", 1))])
    broken = True
    handled: list[int] = []

    async def handle(delivery: Delivery) -> None:
        if broken:
            raise RuntimeError("a bug, fixed later")
        handled.append(delivery.offset)

    runner = _runner(kafka_bootstrap, topic, f"{topic_prefix}g", handle, max_attempts=1)

    async def dead() -> bool:
        return runner.dead_lettered_count == 1

    await _run_until(runner, dead)
    broken = False
    assert await redrive(kafka_bootstrap, topic) == 1
    assert await redrive(kafka_bootstrap, topic) == 0, "a dead letter is redriven once"
    runner = _runner(kafka_bootstrap, topic, f"{topic_prefix}g", handle)

    async def again() -> bool:
        return len(handled) == 1

    await _run_until(runner, again)
    assert handled == [1]
