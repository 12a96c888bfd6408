"""Day passes and the per-area, per-day count of places taken.

The count is one document per (area, day); a place is taken with `$inc` guarded by
`taken < capacity` in the same single-document update, so however many members check in
at once, the count never passes the capacity.
"""

from __future__ import annotations

import contextlib
from datetime import date

from parkgrid.events import registry
from parkgrid.outbox import MongoAggregateStore
from parkgrid.store import Database, DuplicateKeyError


class DayPassStore:
    def __init__(self, db: Database) -> None:
        self.passes = MongoAggregateStore(db["day_passes"], registry=registry, source="spaces", topic="spaces.day_pass")
        self.counts = db["day_pass_counts"]

    @staticmethod
    def count_id(space_id: str, day: date) -> str:
        return f"{space_id}:{day.isoformat()}"

    async def take_place(self, space_id: str, day: date, capacity: int) -> int | None:
        """Places taken after taking one, or None when the area is full that day."""
        count_id = self.count_id(space_id, day)
        with contextlib.suppress(DuplicateKeyError):
            await self.counts.insert_one({"_id": count_id, "space_id": space_id, "day": day.isoformat(), "taken": 0})
        doc = await self.counts.find_one_and_update(
            {"_id": count_id, "taken": {"$lt": capacity}}, {"$inc": {"taken": 1}}, return_document=True
        )
        return None if doc is None else int(doc["taken"])

    async def give_back(self, space_id: str, day: date) -> None:
        await self.counts.update_one(
            {"_id": self.count_id(space_id, day), "taken": {"$gt": 0}}, {"$inc": {"taken": -1}}
        )

    async def taken(self, space_id: str, day: date) -> int:
        doc = await self.counts.find_one({"_id": self.count_id(space_id, day)})
        return int(doc["taken"]) if doc else 0

    async def taken_between(self, space_ids: list[str], first: date, last: date) -> dict[tuple[str, date], int]:
        """Places taken per (area, day) over [first, last]."""
        if not space_ids:
            return {}
        docs = await self.counts.find(
            {"space_id": {"$in": space_ids}, "day": {"$gte": first.isoformat(), "$lte": last.isoformat()}}
        ).to_list()
        return {(d["space_id"], date.fromisoformat(d["day"])): int(d["taken"]) for d in docs}
