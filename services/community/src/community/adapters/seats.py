"""The seats of each community event: one document per event, changed only atomically.

`{_id: event_id, capacity, taken, waiting, next_arrival, seated: [key], queue: [key],
promoting: [key], closed}`. A seat is taken by one conditional update (`taken < capacity`
and nobody waiting, the key not there yet), else the key joins the end of the queue, in
the same order as the updates are applied: that order *is* the arrival order. Keys are
`<registration>:<round>`, so every operation is idempotent per key: a retried or
duplicated call finds its key where the first call put it. Promotion moves the head of
the queue to a free seat and records it in `promoting` in the same update, so a crash
before the registration is told leaves a trace that the next pass finishes.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from enum import StrEnum

from pymongo import ReturnDocument

from parkgrid.store import Collection, Document, DuplicateKeyError


class Placed(StrEnum):
    SEATED = "seated"
    QUEUED = "queued"
    CLOSED = "closed"


@dataclass(frozen=True)
class Placement:
    outcome: Placed
    arrival: int | None = None
    position: int | None = None


@dataclass(frozen=True)
class Occupancy:
    capacity: int
    taken: int
    waiting: int
    queue: list[str]
    promoting: list[str]
    closed: bool

    def position_of(self, key: str) -> int | None:
        return self.queue.index(key) + 1 if key in self.queue else None


class SeatBook:
    def __init__(self, collection: Collection) -> None:
        self.collection = collection

    async def open(self, event_id: str, capacity: int) -> None:
        """Create the event's seats (nothing if they exist)."""
        with contextlib.suppress(DuplicateKeyError):
            await self.collection.insert_one(
                {
                    "_id": event_id,
                    "capacity": capacity,
                    "taken": 0,
                    "waiting": 0,
                    "next_arrival": 0,
                    "seated": [],
                    "queue": [],
                    "promoting": [],
                    "closed": False,
                }
            )

    async def occupancy(self, event_id: str) -> Occupancy | None:
        doc = await self.collection.find_one({"_id": event_id})
        return _occupancy(doc) if doc else None

    async def place(self, event_id: str, key: str) -> Placement:
        """A seat if one is free and nobody waits, else a place at the end of the queue."""
        doc = await self.collection.find_one({"_id": event_id}, {"capacity": 1, "taken": 1, "waiting": 1})
        if doc is None:
            raise LookupError(event_id)
        capacity = doc["capacity"]
        fresh = {"_id": event_id, "seated": {"$ne": key}, "queue": {"$ne": key}, "closed": False}
        if doc["waiting"] == 0 and doc["taken"] < capacity:  # else not worth a try: the guard decides anyway
            seated = await self.collection.find_one_and_update(
                {**fresh, "capacity": capacity, "taken": {"$lt": capacity}, "waiting": 0},
                {"$inc": {"taken": 1, "next_arrival": 1}, "$push": {"seated": key}},
                return_document=ReturnDocument.AFTER,
            )
            if seated is not None:
                return Placement(Placed.SEATED, seated["next_arrival"])
        queued = await self.collection.find_one_and_update(
            fresh,
            {"$inc": {"waiting": 1, "next_arrival": 1}, "$push": {"queue": key}},
            return_document=ReturnDocument.AFTER,
        )
        if queued is not None:
            return Placement(Placed.QUEUED, queued["next_arrival"], queued["waiting"])
        current = await self.collection.find_one({"_id": event_id})
        assert current is not None
        if key in current["seated"]:
            return Placement(Placed.SEATED)
        if key in current["queue"]:
            return Placement(Placed.QUEUED, None, current["queue"].index(key) + 1)
        if current["closed"]:
            return Placement(Placed.CLOSED)
        return await self.place(event_id, key)  # the key left between the two reads: try again

    async def release(self, event_id: str, key: str) -> Placed | None:
        """Give back the seat or the queue place of `key`; None if it holds neither (idempotent)."""
        freed = await self.collection.update_one(
            {"_id": event_id, "seated": key},
            {"$inc": {"taken": -1}, "$pullAll": {"seated": [key], "promoting": [key]}},
        )
        if freed.modified_count:
            return Placed.SEATED
        left = await self.collection.update_one(
            {"_id": event_id, "queue": key}, {"$inc": {"waiting": -1}, "$pullAll": {"queue": [key]}}
        )
        return Placed.QUEUED if left.modified_count else None

    async def release_other_rounds(self, event_id: str, registration_id: str, keep: str | None) -> None:
        """Give back what older rounds of a registration still hold (after a crash mid-cancel)."""
        doc = await self.collection.find_one({"_id": event_id}, {"seated": 1, "queue": 1})
        if doc is None:
            return
        prefix = registration_id + ":"
        for key in [*doc["seated"], *doc["queue"]]:
            if key.startswith(prefix) and key != keep:
                await self.release(event_id, key)

    async def holds(self, event_id: str, key: str) -> Placed | None:
        doc = await self.collection.find_one({"_id": event_id}, {"seated": 1, "queue": 1})
        if doc is None:
            return None
        if key in doc["seated"]:
            return Placed.SEATED
        return Placed.QUEUED if key in doc["queue"] else None

    async def move_head(self, event_id: str) -> str | None:
        """Seat the first in the queue if a seat is free; the key moved, or None."""
        while True:
            doc = await self.collection.find_one({"_id": event_id})
            if doc is None or doc["closed"] or not doc["queue"] or doc["taken"] >= doc["capacity"]:
                return None
            head: str = doc["queue"][0]
            moved = await self.collection.update_one(
                {"_id": event_id, "queue": head, "capacity": doc["capacity"], "taken": {"$lt": doc["capacity"]}},
                {
                    "$inc": {"taken": 1, "waiting": -1},
                    "$pullAll": {"queue": [head]},
                    "$push": {"seated": head, "promoting": head},
                },
            )
            if moved.modified_count:
                return head

    async def promoted(self, event_id: str, key: str) -> None:
        """The registration of `key` was told of its seat."""
        await self.collection.update_one({"_id": event_id}, {"$pullAll": {"promoting": [key]}})

    async def close(self, event_id: str) -> None:
        """No more seats are given (the event is cancelled); those held are released one by one."""
        await self.collection.update_one({"_id": event_id}, {"$set": {"closed": True}})

    async def events_to_promote(self) -> list[str]:
        """Events where a promotion is half-done or a seat is free while people wait."""
        found = []
        async for doc in self.collection.find(
            {"closed": False}, {"taken": 1, "capacity": 1, "waiting": 1, "promoting": 1}
        ):
            if doc["promoting"] or (doc["waiting"] > 0 and doc["taken"] < doc["capacity"]):
                found.append(doc["_id"])
        return found


def _occupancy(doc: Document) -> Occupancy:
    return Occupancy(
        capacity=doc["capacity"],
        taken=doc["taken"],
        waiting=doc["waiting"],
        queue=list(doc["queue"]),
        promoting=list(doc["promoting"]),
        closed=doc["closed"],
    )
