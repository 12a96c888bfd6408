"""Sites' per-period limits per plan in the store: one aggregate per site (topic `bookings.limits`).

The document is the policy's whole state (its rules, who set them and when) with the embedded
outbox, so a change and its `limits.changed` event are one atomic write, guarded by the
version the admin read (`If-Match`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bookings.domain.booking import Actor
from bookings.domain.limits import LimitPolicy, LimitRule
from parkgrid.contracts.bookings import LimitMeasure, LimitPeriod
from parkgrid.events import registry
from parkgrid.outbox import MongoAggregateStore
from parkgrid.store import Collection, Document


class SiteLimits:
    """The limits of every site, by site id."""

    def __init__(self, collection: Collection) -> None:
        self.collection = collection
        self.store = MongoAggregateStore(collection, registry=registry, source="bookings", topic="bookings.limits")

    async def ensure_indexes(self) -> None:
        await self.store.ensure_indexes()

    async def get(self, site_id: str) -> tuple[LimitPolicy, int] | None:
        doc = await self.store.get(site_id)
        return None if doc is None else (policy_of(doc), int(doc["version"]))


def rule_state(rule: LimitRule) -> dict[str, Any]:
    return {
        "rule_id": rule.rule_id,
        "member_kind": rule.member_kind,
        "stage": rule.stage,
        "measure": rule.measure.value,
        "category": rule.category,
        "period": rule.period.value,
        "max": rule.max,
    }


def rule_of(doc: Document) -> LimitRule:
    return LimitRule(
        rule_id=doc["rule_id"],
        measure=LimitMeasure(doc["measure"]),
        category=doc["category"],
        period=LimitPeriod(doc["period"]),
        max=int(doc["max"]),
        member_kind=doc.get("member_kind"),
        stage=doc.get("stage"),
    )


def policy_state(policy: LimitPolicy) -> Document:
    actor = policy.changed_by
    return {
        "site_id": policy.site_id,
        "rules": [rule_state(r) for r in policy.rules],
        "changed_by": None if actor is None else {"role": actor.role, "subject": actor.subject},
        "changed_at": policy.changed_at,
    }


def policy_of(doc: Document) -> LimitPolicy:
    actor = doc.get("changed_by")
    changed_at: datetime | None = doc.get("changed_at")
    return LimitPolicy(
        site_id=doc["site_id"],
        rules=tuple(rule_of(r) for r in doc.get("rules", [])),
        changed_by=None if actor is None else Actor(actor["role"], actor["subject"]),
        changed_at=changed_at,
    )
