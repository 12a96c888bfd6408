"""The seats of each community event: one document per event, changed only by compare-and-set.

`{_id: event_id, version, capacity, taken, waiting, next_arrival, seated, queue, promoting,
closed, starts_at}`, where `seated`, `queue` and `promoting` are each one string of keys
separated by spaces, in order (the queue's order is the promotion order). Why strings: FerretDB
decodes and encodes every value of a document on each command that touches it, so a hot event's
300 keys as array elements cost about 17 µs each per command (bench/README); as three strings they
cost next to nothing. Documents stored with arrays are still read, and their next write stores
strings.

Who gets what is decided in `domain.seats`, on the seats as read; the change is written by one
update whose filter holds the version read (and the decision's premises: open, not started, the
capacity decided on), which bumps the version. Of two decisions on the same seats one is
written, the other finds the version moved, reads again and decides again: that order of writes
*is* the arrival order. In one process, the decisions of one event take turns (a lock per event)
and start from the seats this process last wrote or read (at most `RECENT_SECONDS` ago,
`parkgrid.known.Recent`), so a hot event's registration costs
one command, not a read and a write, and no decision is wasted on a conflict within the process.
The decisions asked while a write is under way are made together, in the order asked, and
written by one update (`_decide_together`): under a rush, a batch of registrations shares one
write of the seats instead of queueing for one write each.
A decision to change nothing (the key is placed already, nobody to move) is made again on the
chart as read before it is answered: what this process remembers may miss another replica's
write, such as a freed seat. Every other write (`resize`, `retime`, `close`) bumps the version too.

Nobody is promoted, and no seat or queue place is given, once the event has started, and a
capacity never goes below the seats taken (`resize`'s condition). The start is copied from the
event after the event is saved (`retime`, a compare-and-set); a crash in between is repaired by
the reconciler (`CommunityStore.align_seat_starts`). The document of a cancelled or completed
event is `closed`: the reconciler's scan (by the `{closed, _id}` index, in bounded batches) never
reads it again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from pymongo import ASCENDING

from community.domain import seats as rules
from community.domain.seats import Occupancy, Placed, SeatChart
from parkgrid.known import Recent
from parkgrid.store import Collection, Document, DuplicateKeyError, create_index

__all__ = ["Occupancy", "Placed", "Placement", "SeatBook", "keys_of"]

T = TypeVar("T")

KNOWN_EVENTS = 256
"""Events whose seats one process keeps as it last wrote or read them (`RECENT_SECONDS` each)."""

MAX_TRIES = 50
"""Decisions on one change before giving up: each lost try means another write won meanwhile."""


@dataclass(frozen=True)
class Placement:
    outcome: Placed
    arrival: int | None = None
    position: int | None = None
    seats: Occupancy | None = None
    """The seats as the placing write left them (or as read when the key was there already)."""


def keys_of(stored: str | list[str] | None) -> tuple[str, ...]:
    """The keys of `seated`, `queue` or `promoting` as stored: a string of keys, or an older array."""
    if stored is None:
        return ()
    if isinstance(stored, str):
        return tuple(stored.split())
    return tuple(stored)


def _seats(doc: Document) -> SeatChart:
    return SeatChart(
        capacity=doc["capacity"],
        taken=doc["taken"],
        waiting=doc["waiting"],
        next_arrival=doc["next_arrival"],
        seated=keys_of(doc.get("seated")),
        queue=keys_of(doc.get("queue")),
        promoting=keys_of(doc.get("promoting")),
        closed=doc["closed"],
        starts_at=doc.get("starts_at"),
    )


class SeatBook:
    def __init__(self, collection: Collection) -> None:
        self.collection = collection
        self._known: Recent[tuple[SeatChart, int | None]] = Recent(KNOWN_EVENTS)
        """Each event's seats and version as this process last wrote or read them (any may be stale:
        the write's version condition finds out)."""
        self._turns: dict[str, tuple[asyncio.Lock, int]] = {}
        self._asked: dict[str, list[_Asked[Any]]] = {}
        """Each event's decisions asked for and not yet taken into a batch."""

    async def ensure_indexes(self) -> None:
        await create_index(self.collection, [("closed", ASCENDING), ("_id", ASCENDING)], name="open")

    async def open(self, event_id: str, capacity: int, starts_at: datetime) -> None:
        """Create the event's seats (nothing if they exist); this process then knows them."""
        chart = SeatChart(capacity, 0, 0, 0, (), (), (), closed=False, starts_at=starts_at)
        with contextlib.suppress(DuplicateKeyError):
            await self.collection.insert_one(
                {"_id": event_id, **_stored(chart, 0), "capacity": capacity, "closed": False, "starts_at": starts_at}
            )
            self._known.put(event_id, (chart, 0))

    async def get(self, event_id: str) -> SeatChart | None:
        doc = await self.collection.find_one({"_id": event_id})
        return _seats(doc) if doc else None

    async def occupancy(self, event_id: str) -> Occupancy | None:
        seats = await self.get(event_id)
        return seats.occupancy() if seats else None

    async def occupancies(self, event_ids: Iterable[str]) -> dict[str, Occupancy]:
        """The seats of several events at once (a page of events), by event id."""
        ids = list(event_ids)
        if not ids:
            return {}
        return {doc["_id"]: _seats(doc).occupancy() async for doc in self.collection.find({"_id": {"$in": ids}})}

    async def retime(self, event_id: str, starts_at: datetime, was: datetime | None = None) -> bool:
        """The event moved: registration and promotion stop at its new start. With `was`, only if
        the document still has that start (a repair never overwrites a newer retime); True if set."""
        guard: Document = {"_id": event_id} if was is None else {"_id": event_id, "starts_at": was}
        return await self._other_write(guard, {"$set": {"starts_at": starts_at}})

    async def resize(self, event_id: str, capacity: int) -> int | None:
        """Set the capacity if no more seats than that are taken (one conditional update); else the seats taken."""
        guard = {"_id": event_id, "closed": False, "taken": {"$lte": capacity}}
        if await self._other_write(guard, {"$set": {"capacity": capacity}}, matched=True):
            return None
        doc = await self.collection.find_one({"_id": event_id}, {"taken": 1, "closed": 1})
        if doc is None or doc["closed"]:
            return 0
        return int(doc["taken"])

    async def close(self, event_id: str) -> None:
        """No more seats are given (the event is cancelled or over); those held are released one by one."""
        await self._other_write({"_id": event_id, "closed": False}, {"$set": {"closed": True}})

    async def _other_write(self, guard: Document, update: dict[str, Any], *, matched: bool = False) -> bool:
        """A change outside the seat decisions: it bumps the version, so no decision on the seats
        from before it is written; True if it changed the document (or, with `matched`, matched it)."""
        self._known.forget(guard["_id"])
        written = await self.collection.update_one(guard, {**update, "$inc": {"version": 1}})
        self._known.forget(guard["_id"])
        return bool(written.matched_count if matched else written.modified_count)

    async def place(self, event_id: str, key: str, now: datetime) -> Placement:
        """A seat if one is free and nobody waits, else a place at the end of the queue; neither
        once the event is closed or has started at `now` (`domain.seats.place`), written only on
        the seats it was decided on. A key already placed is answered where it is."""

        def decide(seats: SeatChart) -> tuple[rules.Placing, SeatChart | None]:
            placing = rules.place(seats, key, now)
            return placing, placing.seats if placing.changed else None

        placing, seats = await self._change(event_id, decide, now=now)
        if placing.outcome in (Placed.CLOSED, Placed.STARTED):
            return Placement(placing.outcome)
        return Placement(placing.outcome, placing.arrival, placing.position, seats.occupancy())

    async def release(self, event_id: str, key: str) -> Placed | None:
        """Give back the seat or the queue place of `key`; None if it holds neither (idempotent)."""

        def decide(seats: SeatChart) -> tuple[Placed | None, SeatChart | None]:
            released = rules.release(seats, key)
            return (None, None) if released is None else released

        with contextlib.suppress(LookupError):
            released, _ = await self._change(event_id, decide)
            return released
        return None

    async def release_other_rounds(self, event_id: str, registration_id: str, keep: str | None) -> None:
        """Give back what older rounds of a registration still hold (after a crash mid-cancel)."""
        seats = await self.get(event_id)
        if seats is None:
            return
        prefix = registration_id + ":"
        for key in [*seats.seated, *seats.queue]:
            if key.startswith(prefix) and key != keep:
                await self.release(event_id, key)

    async def holds(self, event_id: str, key: str) -> Placed | None:
        seats = await self.get(event_id)
        return seats.holds(key) if seats else None

    async def move_head(self, event_id: str, now: datetime) -> str | None:
        """Seat the first in the queue if a seat is free and the event has not started; the key moved, or None."""

        def decide(seats: SeatChart) -> tuple[str | None, SeatChart | None]:
            moved = rules.move_head(seats, now)
            return (None, None) if moved is None else moved

        with contextlib.suppress(LookupError):
            head, _ = await self._change(event_id, decide, now=now)
            return head
        return None

    async def promoted(self, event_id: str, key: str) -> None:
        """The registration of `key` was told of its seat."""
        with contextlib.suppress(LookupError):
            await self._change(event_id, lambda seats: (None, rules.promoted(seats, key)))

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
                if keys_of(doc.get("promoting")) or (doc["waiting"] > 0 and doc["taken"] < doc["capacity"]):
                    found.append(doc["_id"])
            if len(docs) < batch:
                return found
            after = docs[-1]["_id"]

    # --- decisions, written on the seats they were made on ---------------------------

    async def _change(
        self,
        event_id: str,
        decide: Callable[[SeatChart], tuple[T, SeatChart | None]],
        *,
        now: datetime | None = None,
    ) -> tuple[T, SeatChart]:
        """Decide on the seats (`_decide_together`), with every decision on this event asked in
        this process while the last write was under way; the answer, and the seats after it.

        With `now`, the write also holds the event open at `now` (a start or a close written
        without the version, by hand or by an older replica, still stops a decision made before it)."""
        asked: _Asked[T] = _Asked(decide, now, asyncio.get_running_loop().create_future())
        self._asked.setdefault(event_id, []).append(asked)
        try:
            async with self._turn(event_id):
                if not asked.answer.done():  # nobody took it along: take all that wait, this one among them
                    batch = self._asked.pop(event_id, [])
                    try:
                        await self._decide_together(event_id, batch)
                    except BaseException:  # the store failed or this caller was cancelled: the rest wait on
                        self._known.forget(event_id)  # the write may have landed
                        undone = [one for one in batch if not one.answer.done()]
                        self._asked[event_id] = undone + self._asked.get(event_id, [])
                        raise
        finally:
            if not asked.answer.done():  # cancelled while waiting: nobody decides for it any more
                waiting = self._asked.get(event_id, [])
                with contextlib.suppress(ValueError):
                    waiting.remove(asked)
                if not waiting:
                    self._asked.pop(event_id, None)
        return asked.answer.result()

    async def _decide_together(self, event_id: str, asked: list[_Asked[Any]]) -> None:
        """Decide each in turn on the seats as known (read if not), each on the seats the one
        before left, and write the seats after the last one in one update under the version
        decided on; on a lost write, read and decide them all again. One write for a batch is
        what keeps a hot event's seats from being the queue every registration waits in.

        A decision to write nothing is final only on the chart as read (what this process
        remembers may miss another replica's write, such as a freed seat): made on remembered
        seats, it is made again after the others are written."""
        for _ in range(MAX_TRIES):
            if not asked:
                return
            known, fresh = self._known.get(event_id), False
            if known is None:
                doc = await self.collection.find_one({"_id": event_id})
                if doc is None:
                    for one in asked:
                        one.fail(LookupError(event_id))
                    return
                known, fresh = self._known.put(event_id, (_seats(doc), doc.get("version"))), True
            seats, version = known
            decided: list[tuple[_Asked[Any], Any, SeatChart]] = []
            again: list[_Asked[Any]] = []
            after, latest = seats, None
            for one in asked:
                try:
                    answer, changed = one.decide(after)
                except Exception as refused:  # a rule that refuses: that caller's answer, not the others'
                    one.fail(refused)
                    continue
                if changed is None and not fresh:
                    again.append(one)
                    continue
                if changed is not None:
                    after = changed
                    if one.now is not None:
                        latest = one.now if latest is None else max(latest, one.now)
                decided.append((one, answer, after))
            if after is not seats:
                guard: Document = {"_id": event_id, "version": version if version is not None else {"$exists": False}}
                guard |= {"capacity": seats.capacity, "closed": seats.closed}
                if latest is not None:
                    guard["starts_at"] = {"$gt": latest}  # a seat or a place is given: only before the start
                written = await self.collection.update_one(guard, {"$set": _stored(after, (version or 0) + 1)})
                if not written.modified_count:
                    self._known.forget(event_id)  # another write came first: read and decide again
                    asked = [one for one in asked if not one.answer.done()]
                    continue
                self._known.put(event_id, (after, (version or 0) + 1))
            elif again:
                self._known.forget(event_id)  # only the stored chart may say that nothing is to be done
            for one, answer, seats_after in decided:
                one.answer.set_result((answer, seats_after))
            asked = again
        for one in asked:
            one.fail(RuntimeError(f"the seats of {event_id} changed under {MAX_TRIES} decisions in a row"))

    @contextlib.asynccontextmanager
    async def _turn(self, event_id: str) -> AsyncIterator[None]:
        """The decisions of one event in this process, one batch at a time (the lock lives while used)."""
        lock, users = self._turns.get(event_id) or (asyncio.Lock(), 0)
        self._turns[event_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._turns[event_id]
            if users == 1:
                del self._turns[event_id]
            else:
                self._turns[event_id] = (lock, users - 1)


@dataclass(frozen=True)
class _Asked(Generic[T]):
    """One decision asked for, and where its answer goes (whoever writes the batch it is in)."""

    decide: Callable[[SeatChart], tuple[T, SeatChart | None]]
    now: datetime | None
    answer: asyncio.Future[tuple[T, SeatChart]]

    def fail(self, error: Exception) -> None:
        if not self.answer.done():
            self.answer.set_exception(error)


def _stored(seats: SeatChart, version: int) -> Document:
    """The fields a decision changes, as stored (the keys as strings)."""
    return {
        "version": version,
        "taken": seats.taken,
        "waiting": seats.waiting,
        "next_arrival": seats.next_arrival,
        "seated": " ".join(seats.seated),
        "queue": " ".join(seats.queue),
        "promoting": " ".join(seats.promoting),
    }
