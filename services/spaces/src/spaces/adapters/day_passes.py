"""Day passes, and how many were issued per area and day.

A pass takes its place on the area's calendar (`space_calendars`, one document per space),
the very document reservations of the area hold their seats on: the place is taken only if
that calendar is unchanged since it was read, so day passes and reservations together never
pass the area's capacity. (`day_pass_counts`, the per-day counters of earlier versions, are
no longer written.)
"""

from __future__ import annotations

from datetime import date

from pymongo import ASCENDING

from parkgrid.store import Database, Document, create_index
from spaces.adapters.stores import aggregates


class DayPassStore:
    def __init__(self, db: Database) -> None:
        self.passes = aggregates(db, "day_passes", "spaces.day_pass")

    async def ensure_indexes(self) -> None:
        await self.passes.ensure_indexes()
        await create_index(self.passes.collection, [("day", ASCENDING), ("space_id", ASCENDING)], name="day")

    async def taken(self, space_id: str, day: date) -> int:
        """Passes issued for the area on that day."""
        return int(await self.passes.collection.count_documents({"space_id": space_id, "day": day.isoformat()}))

    async def issued_since(self, first: date) -> list[Document]:
        """Every pass for `first` or a later day."""
        return await self.passes.collection.find({"day": {"$gte": first.isoformat()}}, {"outbox": 0}).to_list()

    async def taken_between(self, space_ids: list[str], first: date, last: date) -> dict[tuple[str, date], int]:
        """Passes issued per (area, day) over [first, last]."""
        if not space_ids:
            return {}
        docs = await self.passes.collection.find(
            {"space_id": {"$in": space_ids}, "day": {"$gte": first.isoformat(), "$lte": last.isoformat()}},
            {"space_id": 1, "day": 1},
        ).to_list()
        taken: dict[tuple[str, date], int] = {}
        for d in docs:
            key = (d["space_id"], date.fromisoformat(d["day"]))
            taken[key] = taken.get(key, 0) + 1
        return taken
