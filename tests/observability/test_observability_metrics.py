"""The consumer runner's metrics against the real broker: dead letters counted, lag shown then drained."""

from __future__ import annotations

import asyncio

from observability_samples import ORDERS, OrderPlaced, registry
from prometheus_client import REGISTRY

from parkgrid.consumer import Delivery
from parkgrid.testing.plugin import CreateTopics
from parkgrid.testing.records import Record, produce_records, quick_consumer, record_of

PLACED = OrderPlaced.event_type


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def _until(check: object, limit: float = 60) -> None:
    async with asyncio.timeout(limit):
        while not check():  # type: ignore[operator]
            await asyncio.sleep(0.05)


def _placed(order_id: str) -> Record:
    return record_of(registry.envelope(OrderPlaced(order_id=order_id), source="obstest", subject=order_id, sequence=1))


async def test_lag_shows_the_backlog_then_zero_and_a_malformed_message_is_counted_dead(
    kafka_bootstrap: str, topic_prefix: str, create_topics: CreateTopics
) -> None:
    [topic] = await create_topics([ORDERS])
    group = f"{topic_prefix}obstest.metrics"
    backlog = 6
    malformed = (b"order-x", b"not json", [("ce_type", PLACED.encode()), ("ce_id", b"x")])
    await produce_records(kafka_bootstrap, topic, [_placed(f"order-{i}") for i in range(backlog)] + [malformed])
    permits = asyncio.Semaphore(0)

    async def handle(delivery: Delivery) -> None:
        await permits.acquire()

    runner = quick_consumer(kafka_bootstrap, topic, group, handle, registry, name="metrics", batch_size=1)
    handled = {"consumer": "metrics", "group": group, "type": PLACED}
    dead = {"consumer": "metrics", "group": group, "type": PLACED}
    lag = {"group": group, "topic": topic, "partition": "0"}
    assert _sample("parkgrid_consumer_dead_lettered_messages_total", **dead) == 0
    task = asyncio.create_task(runner.run())
    try:
        permits.release()
        await _until(lambda: _sample("parkgrid_consumer_handled_messages_total", **handled) == 1)
        # one handled, the rest (five orders and the malformed record) still waiting
        await _until(lambda: REGISTRY.get_sample_value("parkgrid_consumer_lag_messages", lag) is not None)
        assert _sample("parkgrid_consumer_lag_messages", **lag) == backlog
        for _ in range(backlog - 1):
            permits.release()
        await _until(lambda: _sample("parkgrid_consumer_dead_lettered_messages_total", **dead) == 1)
        await _until(lambda: _sample("parkgrid_consumer_lag_messages", **lag) == 0)
        assert _sample("parkgrid_consumer_handled_messages_total", **handled) == backlog
        assert _sample("parkgrid_consumer_handle_seconds_count", consumer="metrics", group=group) == backlog
    finally:
        await runner.stop()
        await task
    assert REGISTRY.get_sample_value("parkgrid_consumer_lag_messages", lag) is None, (
        "a stopped member reports no lag for partitions it no longer reads"
    )


async def test_a_failing_handler_is_counted_as_retried_then_dead(
    kafka_bootstrap: str, topic_prefix: str, create_topics: CreateTopics
) -> None:
    [topic] = await create_topics([ORDERS])
    group = f"{topic_prefix}obstest.failing"
    await produce_records(kafka_bootstrap, topic, [_placed("order-1")])

    async def handle(delivery: Delivery) -> None:
        raise RuntimeError("a handler bug")

    runner = quick_consumer(kafka_bootstrap, topic, group, handle, registry, name="failing", max_attempts=3)
    labels = {"consumer": "failing", "group": group, "type": PLACED}
    task = asyncio.create_task(runner.run())
    try:
        await _until(lambda: _sample("parkgrid_consumer_dead_lettered_messages_total", **labels) == 1)
    finally:
        await runner.stop()
        await task
    assert _sample("parkgrid_consumer_retried_messages_total", **labels, reason="error") == 2
    assert _sample("parkgrid_consumer_handled_messages_total", **labels) == 0
