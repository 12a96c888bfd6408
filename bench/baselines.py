"""Raw baselines, taken in the same run as the scenarios they are compared with.

- Kafka produce → consume of envelope-sized messages with the kit's producer settings
  (acks=all, idempotent): a burst for throughput, and an open loop for one-hop latency;
- a two-hop ping-pong (produce → consume → produce → consume), the floor of any saga;
- store writes with the kit's PyMongo async client: single inserts at the HTTP scenarios'
  concurrency, and batched upserts;
- raw consume + batched upsert of the catch-up topic (in `catchup`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from pymongo import UpdateOne

from bench.loadgen import Summary, closed_loop, open_loop, summarize
from bench.samples import MemberEvents, Record
from parkgrid.kafka import make_producer
from parkgrid.store import Database
from parkgrid.topics import TopicSpec, ensure_topics


@dataclass(frozen=True)
class Env:
    """Where the run's infrastructure is, and the names that make this run's data its own."""

    bootstrap: str
    mongodb_uri: str
    run_id: str

    @property
    def prefix(self) -> str:
        return f"bench{self.run_id}."

    def database(self, name: str) -> str:
        return f"bench_{self.run_id}_{name}"


async def _assigned_consumer(bootstrap: str, topic: str, *, from_end: bool) -> AIOKafkaConsumer:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    partitions = consumer.partitions_for_topic(topic)
    while not partitions:
        await consumer._client.force_metadata_update()
        partitions = consumer.partitions_for_topic(topic)
    tps = [TopicPartition(topic, p) for p in sorted(partitions)]
    consumer.assign(tps)
    if from_end:
        await consumer.seek_to_end(*tps)
        for tp in tps:  # resolve the positions now, not at the first fetch
            await consumer.position(tp)
    return consumer


class Hops:
    """Requests through Kafka, answered by futures: one hop (A → client) or two (A → echo → B → client)."""

    def __init__(self, env: Env, name: str, *, two_hops: bool) -> None:
        self.env = env
        self.two_hops = two_hops
        self.topic_a = f"{env.prefix}raw.{name}.a"
        self.topic_b = f"{env.prefix}raw.{name}.b"
        self.template: Record = MemberEvents().envelope_sized()
        self.waiting: dict[bytes, asyncio.Future[float]] = {}

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Hops]:
        await ensure_topics(self.env.bootstrap, [TopicSpec(name=self.topic_a), TopicSpec(name=self.topic_b)])
        producer = make_producer(self.env.bootstrap, client_id="bench-hops")
        echo_producer = make_producer(self.env.bootstrap, client_id="bench-echo")
        await producer.start()
        await echo_producer.start()
        reply_topic = self.topic_b if self.two_hops else self.topic_a
        replies = await _assigned_consumer(self.env.bootstrap, reply_topic, from_end=True)
        tasks = [asyncio.create_task(self._collect(replies))]
        echo: AIOKafkaConsumer | None = None
        if self.two_hops:
            echo = await _assigned_consumer(self.env.bootstrap, self.topic_a, from_end=True)
            tasks.append(asyncio.create_task(self._echo(echo, echo_producer)))
        self.producer = producer
        try:
            yield self
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await replies.stop()
            if echo is not None:
                await echo.stop()
            await producer.stop()
            await echo_producer.stop()

    async def _collect(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            batches = await consumer.getmany(timeout_ms=100)
            for records in batches.values():
                for record in records:
                    future = self.waiting.pop(record.key, None)
                    if future is not None and not future.done():
                        future.set_result(time.perf_counter())

    async def _echo(self, consumer: AIOKafkaConsumer, producer: Any) -> None:
        while True:
            batches = await consumer.getmany(timeout_ms=100)
            for records in batches.values():
                for record in records:
                    await producer.send(self.topic_b, value=record.value, key=record.key, headers=list(record.headers))

    async def request(self, index: int) -> bool:
        key = uuid.uuid4().hex.encode()
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting[key] = future
        await self.producer.send(self.topic_a, value=self.template.value, key=key, headers=self.template.headers)
        try:
            await asyncio.wait_for(future, timeout=30)
        except TimeoutError:
            self.waiting.pop(key, None)
            return False
        return True


async def kafka_burst(env: Env, count: int) -> dict[str, Any]:
    """Produce `count` envelope-sized messages as fast as the producer takes them, consume them all."""
    topic = f"{env.prefix}raw.burst.{uuid.uuid4().hex[:6]}"
    await ensure_topics(env.bootstrap, [TopicSpec(name=topic)])
    template = MemberEvents().envelope_sized()
    consumer = await _assigned_consumer(env.bootstrap, topic, from_end=False)
    producer = make_producer(env.bootstrap, client_id="bench-burst")
    await producer.start()
    received = 0
    try:
        began = time.perf_counter()

        async def consume() -> None:
            nonlocal received
            while received < count:
                batches = await consumer.getmany(timeout_ms=200)
                received += sum(len(r) for r in batches.values())

        consuming = asyncio.create_task(consume())
        futures = [
            await producer.send(topic, value=template.value, key=f"k{i}".encode(), headers=template.headers)
            for i in range(count)
        ]
        await asyncio.gather(*futures)
        produced = time.perf_counter() - began
        await asyncio.wait_for(consuming, timeout=120)
        total = time.perf_counter() - began
    finally:
        await producer.stop()
        await consumer.stop()
    return {
        "messages": count,
        "produce_s": round(produced, 3),
        "end_to_end_s": round(total, 3),
        "produce_rate": round(count / produced, 1),
        "throughput": round(count / total, 1),
    }


async def kafka_latency(env: Env, *, rate: float, duration_s: float, two_hops: bool) -> Summary:
    hops = Hops(env, "pingpong" if two_hops else "onehop", two_hops=two_hops)
    async with hops.running():
        for i in range(5):  # warm the path (metadata, connections, first fetches)
            await hops.request(i)
        return await open_loop(hops.request, rate=rate, duration_s=duration_s)


async def store_single_inserts(db: Database, *, concurrency: int, duration_s: float) -> Summary:
    items = db["raw_inserts"]
    template = MemberEvents().envelope_sized()
    payload = {"offering_id": "off-bench", "member_id": "mb-bench", "party_size": 1, "blob": template.value.decode()}

    async def insert(index: int) -> bool:
        await items.insert_one({"_id": uuid.uuid4().hex, **payload})
        return True

    return await closed_loop(insert, concurrency=concurrency, duration_s=duration_s, warmup_s=0.5)


async def store_batched_upserts(db: Database, *, count: int, batch: int = 500) -> Summary:
    """`count` upserts of member-sized documents, `batch` per bulk write, one bulk write at a time."""
    items = db["raw_upserts"]
    latencies: list[float] = []
    began = time.perf_counter()
    for first in range(0, count, batch):
        ops = [
            UpdateOne(
                {"_id": f"mb-{i}"},
                {"$set": {"kind": "startup", "stage": "incubation", "status": "active", "_seq": 1}},
                upsert=True,
            )
            for i in range(first, min(first + batch, count))
        ]
        t = time.perf_counter()
        await items.bulk_write(ops, ordered=False)
        latencies.append(time.perf_counter() - t)
    elapsed = time.perf_counter() - began
    summary = summarize(latencies, 0, elapsed)
    summary.throughput = count / elapsed  # documents per second, not batches
    return summary
