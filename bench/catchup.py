"""Projection catch-up: the catalogue's members projection rebuilt from offset 0.

The stream is `members x 5` contracted community.member events (registered, updated, person
added, stage changed, updated), produced once per run to `<prefix>community.member`. Each
round then
- replays it with a raw consumer and per-batch upserts of each member's newest state,
  16 in flight (the baseline), and
- starts the catalogue service itself (uvicorn, its own consumer group and database) and
  times its members consumer — the kit's ConsumerRunner and the service's handler — from
  its first committed offset to the end of the topic, by the group's committed offsets.
Both must end with every member at sequence 5 and an empty DLQ.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from bench.baselines import Env, _assigned_consumer
from bench.samples import LIFE, MemberEvents
from bench.system import CpuMeter, UvicornProcess, cost, infra_pids
from parkgrid.contracts.topics import TOPICS
from parkgrid.kafka import make_producer
from parkgrid.store import Database
from parkgrid.topics import ensure_topics

MEMBERS_TOPIC = next(t for t in TOPICS if t.name == "community.member")
BLOCK = 100  # members interleaved per block: a batch holds several lives, each in order


def topic(env: Env) -> str:
    return env.prefix + MEMBERS_TOPIC.name


async def produce_stream(env: Env, members: int) -> dict[str, Any]:
    await ensure_topics(env.bootstrap, [MEMBERS_TOPIC.prefixed(env.prefix)])
    builder = MemberEvents()
    producer = make_producer(env.bootstrap, client_id="bench-catchup", linger_ms=20)
    await producer.start()
    began = time.perf_counter()
    try:
        futures = []
        for first in range(0, members, BLOCK):
            for k in range(len(LIFE)):
                for i in range(first, min(first + BLOCK, members)):
                    r = builder.record(i, k)
                    futures.append(await producer.send(topic(env), value=r.value, key=r.key, headers=r.headers))
            if len(futures) > 20_000:
                await asyncio.gather(*futures)
                futures = []
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    elapsed = time.perf_counter() - began
    events = members * len(LIFE)
    return {"events": events, "members": members, "produce_s": round(elapsed, 2), "rate": round(events / elapsed, 1)}


async def raw_catchup(env: Env, db: Database, total: int) -> dict[str, Any]:
    """Consume from offset 0; per fetched batch, upsert each member's newest state (16 in flight)."""
    collection = db["raw_members"]
    consumer: AIOKafkaConsumer = await _assigned_consumer(env.bootstrap, topic(env), from_end=False)
    gate = asyncio.Semaphore(16)

    async def upsert(key: str, fields: dict[str, Any]) -> None:
        async with gate:
            await collection.update_one({"_id": key}, {"$set": fields}, upsert=True)

    seen = 0
    batches = 0
    began = time.perf_counter()
    try:
        while seen < total:
            fetched = await consumer.getmany(timeout_ms=500, max_records=500)
            latest: dict[str, dict[str, Any]] = {}  # per member, the newest event of the batch
            count = 0
            for records in fetched.values():
                for record in records:
                    count += 1
                    data = json.loads(record.value)
                    sequence = int(dict(record.headers)["ce_sequence"])
                    key = record.key.decode()
                    if key in latest and latest[key]["_seq"] >= sequence:
                        continue
                    latest[key] = {
                        "kind": data["kind"],
                        "stage": data["programme"]["stage"],
                        "status": data["status"],
                        "_seq": sequence,
                    }
            if latest:
                # One upsert per member per batch, 16 in flight. Not `bulk_write`: FerretDB
                # 1.24 (SQLite) wedged -- every later write and listDatabases hanging until a
                # restart -- on an ordered bulk of 500 upserts naming 100 ids 5 times each,
                # and again (2026-11-27, 3 times) on unordered bulks of 500 distinct ids while
                # other clients wrote to other databases.
                await asyncio.gather(*(upsert(k, v) for k, v in latest.items()))
                seen += count
                batches += 1
        elapsed = time.perf_counter() - began
    finally:
        await consumer.stop()
    members = total // len(LIFE)
    final = await collection.count_documents({"_seq": len(LIFE)})
    return {
        "events": seen,
        "elapsed_s": round(elapsed, 3),
        "rate": round(seen / elapsed, 1),
        "bulk_writes": batches,
        "check": {"members_at_final_sequence": final, "members": members, "ok": final == members},
    }


async def _committed(admin: AIOKafkaAdminClient, group: str) -> int:
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    except Exception:
        return 0
    return sum(max(0, o.offset) for tp, o in offsets.items() if tp.topic.endswith(MEMBERS_TOPIC.name))


async def end_offsets(bootstrap: str, *names: str) -> int:
    """The sum of the end offsets of these topics (missing ones count 0): messages ever written."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        tps = [TopicPartition(n, p) for n in names for p in (consumer.partitions_for_topic(n) or set())]
        if not tps:
            return 0
        ends = await consumer.end_offsets(tps)
        return sum(ends.values())
    finally:
        # aiokafka 0.14 can raise CancelledError from a group-less consumer's stop right after start
        with contextlib.suppress(asyncio.CancelledError):
            await consumer.stop()


async def service_catchup(
    env: Env, db_name: str, service_name: str, total: int, log_dir: Path, mongo: Any, time_box_s: float
) -> dict[str, Any]:
    """Start the catalogue on the stream and time its members consumer to the end of it.

    Measured for at most `time_box_s` from its first commit: a consumer slower than that is
    reported with the rate it had (`complete: false`), so a quick run stays quick."""
    service = UvicornProcess(
        service_name,
        "catalogue.bootstrap:app",
        {
            "PARKGRID_SERVICE_NAME": service_name,
            "PARKGRID_DATABASE": db_name,
            "PARKGRID_TOPIC_PREFIX": env.prefix,
            "KAFKA_BOOTSTRAP_SERVERS": env.bootstrap,
            "MONGODB_URI": env.mongodb_uri,
            "PARKGRID_LOG_LEVEL": "WARNING",
            "PARKGRID_LOG_JSON": "false",
        },
        log_dir,
    )
    # The kit prefixes group ids with the topic prefix (runs sharing a broker stay apart).
    group = f"{env.prefix}{service_name}.members"
    admin = AIOKafkaAdminClient(bootstrap_servers=env.bootstrap)
    await admin.start()
    spawned = time.perf_counter()
    starting = asyncio.create_task(service.start())
    first: tuple[float, int] | None = None
    meter: CpuMeter | None = None
    try:
        deadline = spawned + 120.0  # to the first commit
        complete = False
        while True:
            await asyncio.sleep(0.1)
            if starting.done() and starting.exception() is not None:
                raise starting.exception()  # type: ignore[misc]
            done = await _committed(admin, group)
            now = time.perf_counter()
            if first is None and done > 0:
                first = (now, done)
                meter = CpuMeter({"catalogue": service.pid, **infra_pids()}).start()
                deadline = now + time_box_s
            if done >= total:
                complete = True
                break
            if now > deadline:
                if first is None:
                    raise RuntimeError(f"catch-up never committed within 120 s; see {service.log_path}")
                break
        assert first is not None
        assert meter is not None
        cpu = meter.stop()
        await starting
        elapsed = now - first[0]
        applied = done - first[1]
        rss = service.resident_mb()
    finally:
        await admin.close()
        if not starting.done():
            starting.cancel()
        service.stop()
    projected = mongo[db_name]["members"]
    members = total // len(LIFE)
    final = await projected.count_documents({"_seq": len(LIFE)})
    dead = await end_offsets(env.bootstrap, topic(env) + ".dlq")
    ok = dead == 0 and (final == members if complete else final <= members)
    return {
        "complete": complete,
        "committed": done,
        "events": applied,
        "elapsed_s": round(elapsed, 3),
        "rate": round(applied / elapsed, 1) if elapsed > 0 else None,
        "from_spawn_s": round(now - spawned, 3),
        "rss_mb": {"catalogue": None if rss is None else round(rss, 1)},
        "cost": cost(cpu, applied),
        "check": {
            "members_at_final_sequence": final,
            "members": members,
            "dead_letters": dead,
            "complete": complete,
            "ok": ok,
        },
    }
