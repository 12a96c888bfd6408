"""Rebuild the insights projection through the kit's `parkgrid.rebuild`, and prove it equals the live one.

1. Fingerprint the live projection (facts, every aggregate's sequence) and compute its
   KPIs as of now, for the network and for every known site, over a range wide enough to
   hold every session.
2. Drop it and replay every projected topic from offset 0 (`parkgrid.rebuild.rebuild`: no
   consumer group, up to the end offsets taken at the start, in batches).
3. Recompute, compare, report the rate.
While it runs the API serves a partial projection; the live consumer may keep writing to
it, which is harmless (facts are keyed by event id, aggregates are version-guarded).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from insights.adapters.projection import PROJECTED_TOPICS, InsightsStore
from insights.domain.facts import Fact
from insights.domain.kpis import Scope, compute
from insights.service_layer.projection import Projector, projection_spec
from parkgrid.events import registry
from parkgrid.rebuild import Progress, rebuild
from parkgrid.settings import KitSettings
from parkgrid.store import Database, connect


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


async def rebuild_and_compare(
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
        spec = projection_spec(Projector(store), [settings.topic_prefix + t for t in PROJECTED_TOPICS])
        replayed = await rebuild(
            spec,
            bootstrap_servers=settings.kafka_bootstrap_servers,
            registry=registry,
            progress=on_progress,
            settings=settings,
        )
        rebuilt_facts = await store.facts_until(as_of)
        rebuilt = {name: compute(rebuilt_facts, scope) for name, scope in scopes.items()}
        facts_after, seqs_after = await store.fingerprint()
        report = RebuildReport(
            events=replayed.applied,
            skipped=replayed.skipped,
            seconds=replayed.seconds,
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
