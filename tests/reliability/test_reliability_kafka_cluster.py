"""Three brokers (RF 3, min.insync.replicas=2), one killed with SIGKILL mid-stream.

The kit's producer (acks=all, idempotent) publishes a stream of envelopes for a set of
aggregates while a `ConsumerRunner` projects them into the store with the version guard.
The broker leading partition 0 is killed half-way. Proved afterwards: every event is in
the topic (nothing lost), every aggregate's projection holds each sequence exactly once
and in order (no duplicate effect), the producer never gave up on a message and the
consumer kept consuming (it caught up to the end) without dead-lettering anything.

Starting three JVMs takes a minute or more on a loaded 2-core machine, so this runs in
`make chaos` (the `chaos` marker, deselected in `make test`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from pymongo.errors import DuplicateKeyError
from reliability_cluster import Cluster, eventually

from parkgrid.consumer import ConsumerRunner, Delivery
from parkgrid.envelope import Envelope
from parkgrid.kafka import EventPublisher, make_producer
from parkgrid.store import Database
from parkgrid.topics import TopicSpec, delete_topics_with_prefix, ensure_topics

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(600)]

AGGREGATES = 12
EVENTS_EACH = 40  # 480 events, sent in 40 rounds
KILL_AT_ROUND = 15
ROUND_PAUSE = 0.15


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    cluster = Cluster.on_free_ports()
    try:
        cluster.up()
        yield cluster
    finally:
        cluster.down()


async def leader_of(bootstrap: str, topic: str, partition: int) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topic])
        for p in described["partitions"]:
            if p["partition"] == partition:
                assert len(p["replicas"]) == 3, p
                return int(p["leader"])
        raise AssertionError(f"{topic} has no partition {partition}")
    finally:
        await admin.close()


async def read_topic(bootstrap: str, topic: str) -> list[tuple[str, int, str]]:
    """(aggregate, sequence, event id) of every record in the topic."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        out: list[tuple[str, int, str]] = []
        while any([await consumer.position(tp) < end[tp] for tp in partitions]):
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                for r in records:
                    env = Envelope.from_kafka(r.key, r.value, r.headers)
                    out.append((env.subject, env.sequence, env.id))
        return out
    finally:
        await consumer.stop()


async def test_a_broker_killed_mid_stream_loses_nothing_and_duplicates_no_effect(
    cluster: Cluster, database: Database
) -> None:
    bootstrap = cluster.bootstrap
    topic = f"rel{uuid.uuid4().hex[:8]}.cluster.stream"
    await ensure_topics(bootstrap, [TopicSpec(name=topic, partitions=3)], replication_factor=3)
    victim_broker = await leader_of(bootstrap, topic, 0)

    projection = database["stream_projection"]
    deliveries: Counter[tuple[str, int]] = Counter()

    async def project(delivery: Delivery) -> None:
        env = delivery.envelope
        deliveries[(env.subject, env.sequence)] += 1
        # The kit's version guard, with the effect recorded as a list so a duplicate would show.
        guard = {"_id": env.subject, "_seq": {"$lt": env.sequence}}
        update = {"$set": {"_seq": env.sequence}, "$push": {"applied": env.sequence}}
        if (await projection.update_one(guard, update)).matched_count:
            return
        if env.sequence == 1:
            with contextlib.suppress(DuplicateKeyError):  # a redelivered first event
                await projection.insert_one({"_id": env.subject, "_seq": 1, "applied": [1]})

    runner = ConsumerRunner(
        name="cluster-projection",
        bootstrap_servers=bootstrap,
        group_id=f"{topic}.projection",
        topics=[topic],
        handler=project,
    )
    consuming = asyncio.create_task(runner.run())
    producer = make_producer(bootstrap, client_id="reliability-cluster")
    await producer.start()
    publisher = EventPublisher(producer)
    aggregates = [f"agg-{i:02d}-{uuid.uuid4().hex[:6]}" for i in range(AGGREGATES)]
    ids: set[str] = set()
    app_retries = 0
    killed_at = 0.0
    round_after_kill_s: list[float] = []
    started = time.monotonic()
    try:
        await eventually(lambda: asyncio.sleep(0, runner.connected), within=60, what="consumer connected")
        for sequence in range(1, EVENTS_EACH + 1):
            if sequence == KILL_AT_ROUND:
                await asyncio.to_thread(cluster.kill, victim_broker)
                killed_at = time.monotonic()
            t0 = time.monotonic()
            envelopes = [
                Envelope.new(
                    type="parkgrid.test.thing.changed",
                    source="reliability",
                    subject=a,
                    sequence=sequence,
                    data={"n": sequence},
                )
                for a in aggregates
            ]
            for env in envelopes:
                ids.add(env.id)
                # An outbox relay publishes again when a send fails; do the same and count it.
                for attempt in range(1, 6):
                    try:
                        await publisher.publish(topic, env)
                        break
                    except KafkaError:
                        app_retries += 1
                        if attempt == 5:
                            raise
                        await asyncio.sleep(1)
            if sequence >= KILL_AT_ROUND:
                round_after_kill_s.append(time.monotonic() - t0)
            await asyncio.sleep(ROUND_PAUSE)
        produced_s = time.monotonic() - started

        async def caught_up() -> bool:
            docs = await projection.find({}).to_list(None)
            return len(docs) == AGGREGATES and all(d["_seq"] == EVENTS_EACH for d in docs)

        await eventually(caught_up, within=120, what="the projection caught up after the broker kill")
        settled_s = time.monotonic() - killed_at
    finally:
        await producer.stop()
        await runner.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(consuming, 30)

    # Nothing lost: every event sent is in the topic.
    try:
        records = await read_topic(bootstrap, topic)
    finally:  # the cluster's data stays for the next run: without its topics, a restart stays quick
        with contextlib.suppress(Exception):
            await asyncio.wait_for(delete_topics_with_prefix(bootstrap, topic.split(".")[0] + "."), 30)
    in_log = Counter(event_id for _, _, event_id in records)
    assert ids <= set(in_log), f"{len(ids - set(in_log))} event(s) lost"
    # No duplicate effect: each aggregate applied 1..n once each, in order.
    docs = {d["_id"]: d for d in await projection.find({}).to_list(None)}
    for aggregate in aggregates:
        assert docs[aggregate]["applied"] == list(range(1, EVENTS_EACH + 1)), aggregate
    assert runner.dead_lettered_count == 0
    redelivered = sum(n - 1 for n in deliveries.values())
    log_duplicates = sum(n - 1 for n in in_log.values())
    print(
        f"\nkilled broker {victim_broker} at round {KILL_AT_ROUND}/{EVENTS_EACH}; {len(ids)} events sent in "
        f"{produced_s:.1f} s; slowest round after the kill {max(round_after_kill_s):.1f} s; app-level resends "
        f"{app_retries}; duplicates in the log {log_duplicates}; redeliveries to the handler {redelivered}; "
        f"projection settled {settled_s:.1f} s after the kill"
    )
