"""Rebuild the insights projection from offset 0 and prove it equals the live one.

1. Fingerprint the live projection (facts, every aggregate's sequence) and compute its
   KPIs as of now, for the network and for every known site, over a range wide enough to
   hold every session.
2. Drop it, read every projected topic from its first offset to the end offsets taken at
   the start (no consumer group: nothing is committed, the live consumers are untouched),
   and store the records in batches (one unordered insert of facts, each aggregate once
   at its newest event).
3. Recompute, compare, report the rate.
While it runs the API serves a partial projection; the live consumer may keep writing to
it, which is harmless (facts are keyed by event id, aggregates are version-guarded).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from insights.adapters.projection import PROJECTED_TOPICS, InsightsStore
from insights.domain.facts import Fact
from insights.domain.kpis import Scope, compute
from parkgrid.envelope import Envelope, MalformedMessage
from parkgrid.events import registry
from parkgrid.kafka import client_options, rewind
from parkgrid.settings import KitSettings
from parkgrid.store import Database, connect
from parkgrid.topics import partitions_of

Progress = Callable[[int, int], None]
BATCH = 500
STALL_SECONDS = 60.0


@dataclass
class RebuildReport:
    events: int
    skipped: int
    seconds: float
    as_of: datetime
    live: dict[str, dict[str, Any]]
    rebuilt: dict[str, dict[str, Any]]
    live_fingerprint: tuple[int, int]
    rebuilt_fingerprint: tuple[int, int]
    differences: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else float(self.events)

    @property
    def equal(self) -> bool:
        return not self.differences


def comparison_scopes(facts: list[Fact], as_of: datetime) -> dict[str, Scope]:
    """The network and each site, over every date the facts can touch."""
    if facts:
        first = min(f.time for f in facts).date() - timedelta(days=366)
        last = max(f.time for f in facts).date() + timedelta(days=731)
    else:
        first = last = as_of.date()
    sites = sorted({f.subject for f in facts if f.aggregate == "spaces.site"})
    scopes = {"network": Scope(first, last, as_of)}
    scopes.update({site: Scope(first, last, as_of, site) for site in sites})
    return scopes


def _canonical(value: Any) -> str:
    def rounded(v: Any) -> Any:
        if isinstance(v, float):
            return round(v, 9)
        if isinstance(v, dict):
            return {k: rounded(x) for k, x in v.items()}
        return v

    return json.dumps(rounded(value), sort_keys=True, default=str)


def differences(live: dict[str, dict[str, Any]], rebuilt: dict[str, dict[str, Any]]) -> list[str]:
    out: list[str] = []
    for scope in sorted(set(live) | set(rebuilt)):
        a, b = live.get(scope, {}), rebuilt.get(scope, {})
        out += [f"{scope}.{k}" for k in sorted(set(a) | set(b)) if _canonical(a.get(k)) != _canonical(b.get(k))]
    return out


async def replay(settings: KitSettings, store: InsightsStore, on_progress: Progress | None = None) -> tuple[int, int]:
    """Store every record of the projected topics, offset 0 to the end; returns (stored, skipped)."""
    names = [settings.topic_prefix + t for t in PROJECTED_TOPICS]
    admin = AIOKafkaAdminClient(**client_options(settings.kafka_bootstrap_servers, settings))
    await admin.start()
    try:
        partitions = await partitions_of(admin, names)
    finally:
        await admin.close()
    assigned = [TopicPartition(topic, p) for topic, ps in partitions.items() for p in ps]
    consumer = AIOKafkaConsumer(
        **client_options(settings.kafka_bootstrap_servers, settings),
        group_id=None,
        enable_auto_commit=False,
        isolation_level="read_committed",
        client_id=f"{settings.service_name}-rebuild",
    )
    await consumer.start()
    stored = skipped = 0
    try:
        if not assigned:
            return 0, 0
        consumer.assign(assigned)
        start = await consumer.beginning_offsets(assigned)
        end = await consumer.end_offsets(assigned)
        total = sum(end[tp] - start[tp] for tp in assigned)
        remaining = {tp for tp in assigned if end[tp] > start[tp]}
        await rewind(consumer, assigned)
        if on_progress:
            on_progress(0, total)
        idle_since = time.monotonic()
        while remaining:
            batches = await consumer.getmany(*remaining, timeout_ms=1000, max_records=BATCH)
            envelopes: list[Envelope] = []
            for tp, records in batches.items():
                for record in records:
                    if record.offset >= end[tp]:
                        continue
                    try:
                        envelope = Envelope.from_kafka(record.key, record.value, record.headers)
                        registry.parse(envelope)  # what the live consumer dead-letters is not projected
                        envelopes.append(envelope)
                    except MalformedMessage:
                        skipped += 1
            for tp in list(remaining):
                if await consumer.position(tp) >= end[tp]:
                    remaining.discard(tp)
            if batches:
                idle_since = time.monotonic()
            elif time.monotonic() - idle_since > STALL_SECONDS:
                raise TimeoutError(f"no records for {STALL_SECONDS} s from {sorted(map(str, remaining))}")
            await store.record_many(envelopes)
            stored += len(envelopes)
            if on_progress:
                on_progress(stored + skipped, total)
    finally:
        await consumer.stop()
    return stored, skipped


async def rebuild(
    settings: KitSettings, *, db: Database | None = None, on_progress: Progress | None = None
) -> RebuildReport:
    client = None
    if db is None:
        client = connect(settings.mongodb_uri, app_name=f"{settings.service_name}-rebuild")
        db = client[settings.database]
    try:
        store = InsightsStore(db)
        as_of = datetime.now(UTC)
        live_facts = await store.facts_until(as_of)
        scopes = comparison_scopes(live_facts, as_of)
        live = {name: compute(live_facts, scope) for name, scope in scopes.items()}
        facts_before, seqs_before = await store.fingerprint()
        await store.drop()
        await store.ensure_indexes()
        started = time.perf_counter()
        stored, skipped = await replay(settings, store, on_progress)
        seconds = time.perf_counter() - started
        rebuilt_facts = await store.facts_until(as_of)
        rebuilt = {name: compute(rebuilt_facts, scope) for name, scope in scopes.items()}
        facts_after, seqs_after = await store.fingerprint()
        report = RebuildReport(
            events=stored,
            skipped=skipped,
            seconds=seconds,
            as_of=as_of,
            live=live,
            rebuilt=rebuilt,
            live_fingerprint=(facts_before, len(seqs_before)),
            rebuilt_fingerprint=(facts_after, len(seqs_after)),
            differences=differences(live, rebuilt),
        )
        after = dict(seqs_after)
        if facts_after < facts_before or any(after.get(key, -1) < seq for key, seq in seqs_before):
            report.differences.append("projection: aggregates or facts missing after the rebuild")
        return report
    finally:
        if client is not None:
            await client.close()
