"""Visits in the store: one aggregate per visit (embedded outbox to `spaces.visit`), found by site
and day (the desk's list) and by member organisation (the host's own)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pymongo import ASCENDING

from parkgrid.store import Database, Document, create_index
from spaces.adapters.stores import aggregates

LISTED = 200
"""The most visits one list answers: a site's day, or an organisation's upcoming guests."""


class VisitStore:
    def __init__(self, db: Database) -> None:
        self.visits = aggregates(db, "visits", "spaces.visit")

    async def ensure_indexes(self) -> None:
        await self.visits.ensure_indexes()
        await create_index(self.visits.collection, [("site_id", ASCENDING), ("day", ASCENDING)], name="site_day")
        await create_index(self.visits.collection, [("member_id", ASCENDING), ("day", ASCENDING)], name="member_day")
        await create_index(self.visits.collection, [("erased", ASCENDING), ("day", ASCENDING)], name="erased_day")

    async def listed(
        self, narrowed: dict[str, Any], *, first: date | None = None, last: date | None = None
    ) -> list[Document]:
        """Visits matching `narrowed` (a caller's scope, filters) from `first` to `last`, by day and expected time."""
        days: dict[str, str] = {}
        if first is not None:
            days["$gte"] = first.isoformat()
        if last is not None:
            days["$lte"] = last.isoformat()
        query = {**narrowed, **({"day": days} if days else {})}
        docs = await self.visits.collection.find(query, {"outbox": 0}).sort("day", ASCENDING).limit(LISTED).to_list()
        return sorted(docs, key=lambda d: (d["day"], d.get("expected_at") or "99:99", d.get("guest_name") or ""))

    async def kept_before(self, day: date) -> list[str]:
        """Ids of visits before `day` whose guest is still on record."""
        docs = await self.visits.collection.find(
            {"erased": False, "day": {"$lt": day.isoformat()}}, {"_id": 1}
        ).to_list()
        return [d["_id"] for d in docs]
