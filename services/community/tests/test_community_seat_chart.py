"""An event's seat chart: the rules (pure, `domain.seats`) and their store (`adapters.seats`).

The store writes a decision only on the seats it was made on (the version it read); several
processes deciding at once on one event's seats are here several `SeatBook`s over one
collection, each with its own memory of the seats, as replicas of the service would be.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from community.adapters.seats import SeatBook, keys_of
from community.domain import seats as rules
from community.domain.seats import Placed, SeatChart
from parkgrid.store import Collection, Database

NOW = datetime(2026, 12, 6, 9, tzinfo=UTC)
LATER = NOW + timedelta(days=3)


def _chart(capacity: int = 2, **changes: object) -> SeatChart:
    chart = SeatChart(capacity, 0, 0, 0, (), (), (), closed=False, starts_at=LATER)
    return replace(chart, **changes)  # type: ignore[arg-type]


# --- the rules ------------------------------------------------------------------------


def test_seats_go_in_arrival_order_then_the_queue_and_a_key_is_placed_once() -> None:
    chart = _chart()
    outcomes = []
    for key in ("a:1", "b:1", "c:1", "d:1"):
        placing = rules.place(chart, key, NOW)
        outcomes.append((placing.outcome, placing.arrival, placing.position))
        chart = placing.seats
    assert outcomes == [
        (Placed.SEATED, 1, None),
        (Placed.SEATED, 2, None),
        (Placed.QUEUED, 3, 1),
        (Placed.QUEUED, 4, 2),
    ]
    again = rules.place(chart, "c:1", NOW)
    assert (again.outcome, again.position, again.changed) == (Placed.QUEUED, 1, False)
    assert not rules.place(chart, "a:1", NOW).changed
    assert (chart.taken, chart.waiting, chart.seated, chart.queue) == (2, 2, ("a:1", "b:1"), ("c:1", "d:1"))


def test_nobody_is_placed_or_moved_once_closed_or_started() -> None:
    assert rules.place(_chart(closed=True), "a:1", NOW).outcome == Placed.CLOSED
    assert rules.place(_chart(starts_at=NOW), "a:1", NOW).outcome == Placed.STARTED
    assert rules.place(_chart(starts_at=None), "a:1", NOW).outcome == Placed.STARTED
    naive = LATER.replace(tzinfo=None)  # as the store gives a start back
    assert rules.place(_chart(starts_at=naive), "a:1", NOW).outcome == Placed.SEATED
    waiting = _chart(capacity=1, taken=0, waiting=1, queue=("q:1",))
    assert rules.move_head(replace(waiting, starts_at=NOW), NOW) is None
    assert rules.move_head(replace(waiting, closed=True), NOW) is None


def test_a_freed_seat_goes_to_the_head_of_the_queue_until_told() -> None:
    chart = _chart(capacity=1, taken=1, waiting=2, seated=("a:1",), queue=("b:1", "c:1"))
    released = rules.release(chart, "a:1")
    assert released is not None
    assert released[0] == Placed.SEATED
    assert rules.move_head(chart, NOW) is None  # no seat free yet
    moved = rules.move_head(released[1], NOW)
    assert moved is not None
    head, after = moved
    assert (head, after.seated, after.queue, after.promoting) == ("b:1", ("b:1",), ("c:1",), ("b:1",))
    assert (after.taken, after.waiting) == (1, 1)
    told = rules.promoted(after, "b:1")
    assert told is not None
    assert told.promoting == ()
    assert rules.promoted(told, "b:1") is None
    left = rules.release(told, "c:1")
    assert left is not None
    assert (left[0], left[1].waiting, left[1].queue) == (Placed.QUEUED, 0, ())
    assert rules.release(left[1], "c:1") is None


def test_stored_keys_are_read_as_strings_or_older_arrays() -> None:
    assert keys_of("a:1 b:2") == ("a:1", "b:2")
    assert keys_of("") == ()
    assert keys_of(["a:1", "b:2"]) == ("a:1", "b:2")
    assert keys_of(None) == ()


# --- the store --------------------------------------------------------------------------


async def test_replicas_deciding_at_once_seat_exactly_the_capacity_in_one_arrival_order(database: Database) -> None:
    """Four books (four processes' memories) over one document, 120 keys for 10 seats, all at once.

    Negative control: with the version taken out of the write's condition, books deciding on
    seats they remember from before another book's write overwrite it, and the counts go wrong."""
    collection = database["seats"]
    books = [SeatBook(collection) for _ in range(4)]
    await books[0].open("cevt-race", 10, LATER)
    for book in books:  # each remembers the empty seats: every first decision starts from them
        assert await book.place("cevt-race", "warm:1", NOW) is not None
    await books[0].release("cevt-race", "warm:1")
    keys = [f"r{n}:1" for n in range(120)]
    random.Random(7).shuffle(keys)

    placements = await asyncio.gather(*(books[n % 4].place("cevt-race", key, NOW) for n, key in enumerate(keys)))

    outcomes = Counter(p.outcome for p in placements)
    assert outcomes == {Placed.SEATED: 10, Placed.QUEUED: 110}
    chart = await books[0].get("cevt-race")
    assert chart is not None
    assert (chart.taken, chart.waiting) == (10, 110)
    assert sorted(chart.seated + chart.queue) == sorted(keys)
    arrivals = sorted(p.arrival for p in placements if p.arrival is not None)
    assert arrivals == list(range(arrivals[0], arrivals[0] + 120)), "one arrival number per key, none twice"
    # every placement has its arrival (just asserted): the filter on it only tells mypy so
    placed = [(p.outcome, p.arrival, k) for p, k in zip(placements, keys, strict=True) if p.arrival is not None]
    seated_by_arrival = sorted((a, k) for outcome, a, k in placed if outcome == "seated")
    queued_by_arrival = sorted((a, k) for outcome, a, k in placed if outcome == "queued")
    assert list(chart.seated) == [k for _, k in seated_by_arrival]
    assert list(chart.queue) == [k for _, k in queued_by_arrival], "the queue is the order of the decisions"
    assert max(a for a, _ in seated_by_arrival) < min(a for a, _ in queued_by_arrival)


class Gated:
    """The seats' collection, counting the seat writes; a write waits while `gate` is clear."""

    def __init__(self, collection: Collection) -> None:
        self.collection = collection
        self.writes = 0
        self.passed = 0
        self.gate = asyncio.Event()
        self.gate.set()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.collection, name)

    async def update_one(self, *args: Any, **kwargs: Any) -> Any:
        self.writes += 1
        await self.gate.wait()
        self.passed += 1
        return await self.collection.update_one(*args, **kwargs)

    async def writing(self, count: int) -> None:
        while self.writes < count:
            await asyncio.sleep(0.001)


def _gated(database: Database) -> tuple[Gated, SeatBook]:
    gated = Gated(database["seats"])
    return gated, SeatBook(cast(Collection, gated))


async def test_decisions_asked_while_a_write_is_under_way_are_written_together_in_the_order_asked(
    database: Database,
) -> None:
    """Forty registrations at once in one process: the first is written alone, the 39 asked
    meanwhile by one more write, each decided on the seats the one before left. Written one by
    one, as before the batches, the forty would cost forty writes."""
    gated, book = _gated(database)
    await book.open("cevt-rush", 10, LATER)
    keys = [f"r{n:02d}:1" for n in range(40)]

    placements = await asyncio.gather(*(book.place("cevt-rush", key, NOW) for key in keys))

    assert [p.arrival for p in placements] == list(range(1, 41)), "arrival order is the order asked"
    assert [p.outcome for p in placements] == [Placed.SEATED] * 10 + [Placed.QUEUED] * 30
    assert [p.position for p in placements[10:]] == list(range(1, 31))
    assert [p.seats.taken for p in placements if p.seats] == [*range(1, 11), *[10] * 30], "the seats after each"
    assert gated.writes == 2
    chart = await book.get("cevt-rush")
    assert chart is not None
    assert (chart.seated, chart.queue) == (tuple(keys[:10]), tuple(keys[10:]))
    doc = await database["seats"].find_one({"_id": "cevt-rush"})
    assert doc is not None
    assert doc["version"] == 2


async def test_a_caller_cancelled_while_its_batch_is_written_leaves_the_others_decided(database: Database) -> None:
    gated, book = _gated(database)
    await book.open("cevt-cancel", 10, LATER)
    gated.gate.clear()
    first = asyncio.create_task(book.place("cevt-cancel", "a:1", NOW))
    await gated.writing(1)  # `a` is being written: the next ones wait for their turn
    leader = asyncio.create_task(book.place("cevt-cancel", "b:1", NOW))
    others = [asyncio.create_task(book.place("cevt-cancel", f"{k}:1", NOW)) for k in "cde"]
    await asyncio.sleep(0.01)
    gated.gate.set()
    while gated.passed < 1:
        await asyncio.sleep(0)
    gated.gate.clear()  # `a` is written; `b` takes c, d and e along and waits to write them
    await gated.writing(2)
    leader.cancel()
    gated.gate.set()

    assert (await first).outcome == Placed.SEATED
    assert [(p.outcome, p.arrival) for p in await asyncio.gather(*others)] == [(Placed.SEATED, n) for n in (2, 3, 4)]
    assert leader.cancelled()
    chart = await book.get("cevt-cancel")
    assert chart is not None
    assert chart.seated == ("a:1", "c:1", "d:1", "e:1"), "b was never written; the rest were, once each"
    assert book._asked == {}


async def test_a_decision_that_fails_fails_only_its_caller_in_a_batch(database: Database) -> None:
    gated, book = _gated(database)
    await book.open("cevt-fail", 10, LATER)
    gated.gate.clear()
    first = asyncio.create_task(book.place("cevt-fail", "a:1", NOW))
    await gated.writing(1)

    def refuse(seats: SeatChart) -> tuple[None, SeatChart | None]:
        raise ValueError("refused")

    failing = asyncio.create_task(book._change("cevt-fail", refuse))
    placing = asyncio.create_task(book.place("cevt-fail", "b:1", NOW))
    await asyncio.sleep(0.01)
    gated.gate.set()

    assert (await first).outcome == Placed.SEATED
    assert (await placing).outcome == Placed.SEATED
    assert isinstance(failing.exception(), ValueError)
    assert gated.writes == 2


async def test_a_batch_decided_on_remembered_seats_another_replica_changed_is_decided_again(
    database: Database,
) -> None:
    """`one` remembers the seat taken; `other` frees it. A batch of `one` (move the head, place
    c) decided on what it remembers loses its write, and is decided again on the stored seats."""
    one, other = SeatBook(database["seats"]), SeatBook(database["seats"])
    await one.open("cevt-batch", 1, LATER)
    assert (await one.place("cevt-batch", "a:1", NOW)).outcome == Placed.SEATED
    assert (await one.place("cevt-batch", "b:1", NOW)).outcome == Placed.QUEUED
    assert await other.release("cevt-batch", "a:1") == Placed.SEATED
    async with one._turn("cevt-batch"):  # both are asked while the turn is taken: one batch
        head = asyncio.create_task(one.move_head("cevt-batch", NOW))
        third = asyncio.create_task(one.place("cevt-batch", "c:1", NOW))
        await asyncio.sleep(0.01)
    assert await head == "b:1"
    placed = await third
    assert (placed.outcome, placed.position) == (Placed.QUEUED, 1)
    chart = await other.get("cevt-batch")
    assert chart is not None
    assert (chart.seated, chart.queue, chart.promoting) == (("b:1",), ("c:1",), ("b:1",))


async def test_a_decision_on_seats_another_process_changed_is_made_again(database: Database) -> None:
    one, other = SeatBook(database["seats"]), SeatBook(database["seats"])
    await one.open("cevt-two", 2, LATER)
    assert (await one.place("cevt-two", "a:1", NOW)).outcome == Placed.SEATED  # `one` remembers 1 taken
    assert (await other.place("cevt-two", "b:1", NOW)).outcome == Placed.SEATED
    third = await one.place("cevt-two", "c:1", NOW)
    assert (third.outcome, third.arrival, third.position) == (Placed.QUEUED, 3, 1)
    await other.close("cevt-two")
    assert (await one.place("cevt-two", "d:1", NOW)).outcome == Placed.CLOSED
    assert await one.release("cevt-two", "a:1") == Placed.SEATED  # a close still lets seats go


async def test_a_seat_freed_by_another_replica_is_given_by_one_that_remembers_the_chart_full(
    database: Database,
) -> None:
    """Nothing to do on the chart remembered is not an answer: only the stored chart may say so
    (else a replica that saw the seats full would never promote, not even by the reconciler)."""
    one, other = SeatBook(database["seats"]), SeatBook(database["seats"])
    await one.open("cevt-freed", 1, LATER)
    assert (await one.place("cevt-freed", "a:1", NOW)).outcome == Placed.SEATED
    assert (await one.place("cevt-freed", "b:1", NOW)).outcome == Placed.QUEUED  # `one`: full, b waits
    assert await other.release("cevt-freed", "a:1") == Placed.SEATED
    assert await one.move_head("cevt-freed", NOW) == "b:1"
    assert await one.move_head("cevt-freed", NOW) is None


async def test_a_start_written_without_the_version_still_stops_a_decision(database: Database) -> None:
    """An older replica or a hand repair may write the start alone: the write's own condition holds it."""
    book = SeatBook(database["seats"])
    await book.open("cevt-moved", 2, LATER)
    assert (await book.place("cevt-moved", "a:1", NOW)).outcome == Placed.SEATED
    await database["seats"].update_one({"_id": "cevt-moved"}, {"$set": {"starts_at": NOW}})
    assert (await book.place("cevt-moved", "b:1", NOW)).outcome == Placed.STARTED
    assert await book.move_head("cevt-moved", NOW) is None


async def test_seats_stored_as_arrays_are_read_and_stored_as_strings_by_their_next_write(database: Database) -> None:
    collection = database["seats"]
    await collection.insert_one(
        {
            "_id": "cevt-old",
            "capacity": 1,
            "taken": 1,
            "waiting": 1,
            "next_arrival": 2,
            "seated": ["a:1"],
            "queue": ["b:1"],
            "promoting": [],
            "closed": False,
            "starts_at": LATER,
        }
    )
    book = SeatBook(collection)
    assert await book.holds("cevt-old", "b:1") == Placed.QUEUED
    assert await book.events_to_promote() == []
    assert await book.release("cevt-old", "a:1") == Placed.SEATED
    assert await book.events_to_promote() == ["cevt-old"]
    assert await book.move_head("cevt-old", NOW) == "b:1"
    doc = await collection.find_one({"_id": "cevt-old"})
    assert doc is not None
    assert (doc["seated"], doc["queue"], doc["promoting"], doc["version"]) == ("b:1", "", "b:1", 2)


async def test_the_seat_chart_is_stored_as_a_few_values_however_many_keys(database: Database) -> None:
    """FerretDB decodes every value of a document on each command (bench/README): 300 keys must not be 300 values."""
    book = SeatBook(database["seats"])
    await book.open("cevt-big", 50, LATER)
    for n in range(60):
        await book.place("cevt-big", f"reg-{n:020d}:1", NOW)
    doc = await database["seats"].find_one({"_id": "cevt-big"})
    assert doc is not None
    assert all(not isinstance(value, list | dict) for value in doc.values()), doc
    assert (doc["taken"], doc["waiting"], len(doc["queue"].split())) == (50, 10, 10)
