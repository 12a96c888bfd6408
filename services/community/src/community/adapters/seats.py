"""The seats of each community event: one document per event, changed only atomically.

`{_id: event_id, capacity, taken, waiting, next_arrival, seated: [key], queue: [key],
promoting: [key], closed, starts_at}`. A seat is taken by one conditional update (`taken < capacity`
and nobody waiting, the key not there yet), else the key joins the end of the queue, in
the same order as the updates are applied: that order *is* the arrival order. Keys are
`<registration>:<round>`, so every operation is idempotent per key: a retried or
duplicated call finds its key where the first call put it. Promotion moves the head of
the queue to a free seat and records it in `promoting` in the same update, so a crash
before the registration is told leaves a trace that the next pass finishes. Nobody is
promoted, and no seat or queue place is given, once the event has started (`starts_at > now`
is in the condition of the update that moves or places), and a capacity never goes below
the seats taken (`resize`'s condition). The start is copied from the event after the event
is saved (`retime`, a compare-and-set); a crash in between is repaired by the reconciler
(`CommunityStore.align_seat_starts`). The document of a
cancelled or completed event is `closed`: the reconciler's scan (by the `{closed, _id}`
index, in bounded batches) never reads it again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from pymongo import ASCENDING, ReturnDocument

from parkgrid.known import Recent
from parkgrid.store import Collection, Document, DuplicateKeyError


class Placed(StrEnum):
    SEATED = "seated"
    QUEUED = "queued"
    CLOSED = "closed"
    STARTED = "started"
    """The event had started when the place was asked for: nothing given."""


@dataclass(frozen=True)
class Placement:
    outcome: Placed
    arrival: int | None = None
    position: int | None = None
    seats: Occupancy | None = None
    """The seat document as the placing update left it (or as read when the key was there already)."""


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
        self.full_lately: Recent[bool] = Recent()
        """Events whose seats this process saw full (or someone waiting) at most `RECENT_SECONDS` ago:
        `place` queues at once, without the seat try that would fail; forgotten when a seat is
        released, the capacity changes, or a queueing shows a seat free (the caller then promotes)."""

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("closed", ASCENDING), ("_id", ASCENDING)], name="open")

    async def open(self, event_id: str, capacity: int, starts_at: datetime) -> None:
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
                    "starts_at": starts_at,
                }
            )

    async def occupancy(self, event_id: str) -> Occupancy | None:
        doc = await self.collection.find_one({"_id": event_id})
        return _occupancy(doc) if doc else None

    async def occupancies(self, event_ids: Iterable[str]) -> dict[str, Occupancy]:
        """The seats of several events at once (a page of events), by event id."""
        ids = list(event_ids)
        if not ids:
            return {}
        return {doc["_id"]: _occupancy(doc) async for doc in self.collection.find({"_id": {"$in": ids}})}

    async def retime(self, event_id: str, starts_at: datetime, was: datetime | None = None) -> bool:
        """The event moved: registration and promotion stop at its new start. With `was`, only if
        the document still has that start (a repair never overwrites a newer retime); True if set."""
        guard: Document = {"_id": event_id} if was is None else {"_id": event_id, "starts_at": was}
        return bool((await self.collection.update_one(guard, {"$set": {"starts_at": starts_at}})).modified_count)

    async def resize(self, event_id: str, capacity: int) -> int | None:
        """Set the capacity if no more seats than that are taken (one conditional update); else the seats taken."""
        resized = await self.collection.update_one(
            {"_id": event_id, "closed": False, "taken": {"$lte": capacity}}, {"$set": {"capacity": capacity}}
        )
        self.full_lately.forget(event_id)
        if resized.matched_count:
            return None
        doc = await self.collection.find_one({"_id": event_id}, {"taken": 1, "closed": 1})
        if doc is None or doc["closed"]:
            return 0
        return int(doc["taken"])

    async def place(self, event_id: str, key: str, now: datetime, capacity: int | None = None) -> Placement:
        """A seat if one is free and nobody waits, else a place at the end of the queue; neither
        once the event has started at `now` (the updates' own condition decides, not a read).

        `capacity` is the event's as the caller read it: the seat is then tried at once, with no
        read of the counts first (the guard has `capacity` equal to it, so a capacity being
        changed meanwhile only fails the try and queues the key), or not at all while this process
        saw the seats full lately (`full_lately`): the key is queued at once. The placement carries
        the seat document as the queueing left it; the caller promotes when it shows a seat free
        (`Registrations.complete_placement`), so a wrong guess of either kind seats the queue's
        head, in order, at once. Without it, the counts are read first and the seat is tried only
        if one looks free."""
        fresh = {
            "_id": event_id,
            "seated": {"$ne": key},
            "queue": {"$ne": key},
            "closed": False,
            "starts_at": {"$gt": now},
        }
        worth_a_try = capacity is not None and self.full_lately.get(event_id) is None
        if capacity is None:
            doc = await self.collection.find_one({"_id": event_id}, {"capacity": 1, "taken": 1, "waiting": 1})
            if doc is None:
                raise LookupError(event_id)
            capacity = int(doc["capacity"])
            worth_a_try = doc["waiting"] == 0 and doc["taken"] < capacity  # else the guard would refuse anyway
        if worth_a_try:
            seated = await self.collection.find_one_and_update(
                {**fresh, "capacity": capacity, "taken": {"$lt": capacity}, "waiting": 0},
                {"$inc": {"taken": 1, "next_arrival": 1}, "$push": {"seated": key}},
                return_document=ReturnDocument.AFTER,
            )
            if seated is not None:
                if seated["taken"] >= seated["capacity"]:
                    self.full_lately.put(event_id, True)
                return Placement(Placed.SEATED, seated["next_arrival"], seats=_occupancy(seated))
        queued = await self.collection.find_one_and_update(
            fresh,
            {"$inc": {"waiting": 1, "next_arrival": 1}, "$push": {"queue": key}},
            return_document=ReturnDocument.AFTER,
        )
        if queued is not None:
            seats = _occupancy(queued)
            if seats.taken < seats.capacity:
                self.full_lately.forget(event_id)
            else:
                self.full_lately.put(event_id, True)
            return Placement(Placed.QUEUED, queued["next_arrival"], queued["waiting"], seats)
        current = await self.collection.find_one({"_id": event_id})
        if current is None:
            raise LookupError(event_id)
        if key in current["seated"]:
            return Placement(Placed.SEATED, seats=_occupancy(current))
        if key in current["queue"]:
            return Placement(Placed.QUEUED, None, current["queue"].index(key) + 1, _occupancy(current))
        if current["closed"]:
            return Placement(Placed.CLOSED)
        if not _after(current.get("starts_at"), now):
            return Placement(Placed.STARTED)
        return await self.place(event_id, key, now)  # the key left between the two reads: try again

    async def release(self, event_id: str, key: str) -> Placed | None:
        """Give back the seat or the queue place of `key`; None if it holds neither (idempotent)."""
        freed = await self.collection.update_one(
            {"_id": event_id, "seated": key},
            {"$inc": {"taken": -1}, "$pullAll": {"seated": [key], "promoting": [key]}},
        )
        if freed.modified_count:
            self.full_lately.forget(event_id)
            return Placed.SEATED
        left = await self.collection.update_one(
            {"_id": event_id, "queue": key}, {"$inc": {"waiting": -1}, "$pullAll": {"queue": [key]}}
        )
        self.full_lately.forget(event_id)
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

    async def move_head(self, event_id: str, now: datetime) -> str | None:
        """Seat the first in the queue if a seat is free and the event has not started; the key moved, or None."""
        while True:
            doc = await self.collection.find_one({"_id": event_id})
            if doc is None or doc["closed"] or not doc["queue"] or doc["taken"] >= doc["capacity"]:
                return None
            head: str = doc["queue"][0]
            moved = await self.collection.update_one(
                {
                    "_id": event_id,
                    "queue": head,
                    "capacity": doc["capacity"],
                    "taken": {"$lt": doc["capacity"]},
                    "starts_at": {"$gt": now},
                    "closed": False,
                },
                {
                    "$inc": {"taken": 1, "waiting": -1},
                    "$pullAll": {"queue": [head]},
                    "$push": {"seated": head, "promoting": head},
                },
            )
            if moved.modified_count:
                return head
            if not await self.collection.count_documents({"_id": event_id, "starts_at": {"$gt": now}}):
                return None  # started (or no start known): the queue stays as it is

    async def promoted(self, event_id: str, key: str) -> None:
        """The registration of `key` was told of its seat."""
        await self.collection.update_one({"_id": event_id}, {"$pullAll": {"promoting": [key]}})

    async def close(self, event_id: str) -> None:
        """No more seats are given (the event is cancelled or over); those held are released one by one."""
        await self.collection.update_one({"_id": event_id, "closed": False}, {"$set": {"closed": True}})

    async def events_to_promote(self, batch: int = 200) -> list[str]:
        """Events where a promotion is half-done or a seat is free while people wait.

        Only open documents are read, by the `{closed, _id}` index, `batch` at a time."""
        found: list[str] = []
        after = ""
        while True:
            docs = (
                await self.collection.find(
                    {"closed": False, "_id": {"$gt": after}},
                    {"taken": 1, "capacity": 1, "waiting": 1, "promoting": 1},
                )
                .sort([("closed", ASCENDING), ("_id", ASCENDING)])
                .limit(batch)
                .to_list()
            )
            for doc in docs:
                if doc["promoting"] or (doc["waiting"] > 0 and doc["taken"] < doc["capacity"]):
                    found.append(doc["_id"])
            if len(docs) < batch:
                return found
            after = docs[-1]["_id"]


def _after(starts_at: datetime | None, now: datetime) -> bool:
    """Whether a stored start (naive UTC from the store) is after `now`; no start known is not."""
    if starts_at is None:
        return False
    return (starts_at if starts_at.tzinfo else starts_at.replace(tzinfo=UTC)) > now


def _occupancy(doc: Document) -> Occupancy:
    return Occupancy(
        capacity=doc["capacity"],
        taken=doc["taken"],
        waiting=doc["waiting"],
        queue=list(doc["queue"]),
        promoting=list(doc["promoting"]),
        closed=doc["closed"],
    )
