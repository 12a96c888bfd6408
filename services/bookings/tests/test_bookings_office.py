"""Booking, cancelling and checking in through the service layer, on in-memory stores and guards.

No broker, no store (`make test-unit`): the same `BookingOffice` as in production, over the
fakes of `bookings_fakes`. What the real stores add (indexes, FerretDB, the 500-request race
over HTTP) is covered by `test_bookings_api`, `test_bookings_lifecycle` and
`test_bookings_concurrency`.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from bookings_fakes import MENTORING, ROOM, SESSION, InMemoryOffice, command, office

from bookings.adapters.guards import Seated
from bookings.domain.booking import Actor, Unavailable
from bookings.domain.slots import session_key
from parkgrid.contracts.bookings import BookingStatus

DESK = Actor("front_desk", "desk-1")


async def taken(desk: InMemoryOffice, offering_id: str = MENTORING) -> int:
    session = await desk.seats.sessions.get(session_key(offering_id, SESSION))
    return 0 if session is None else int(session["taken"])


async def test_a_booking_is_confirmed_at_once_and_a_retry_finds_it() -> None:
    desk = office()
    made = await desk.book(command(1))
    assert made.booking is not None
    assert (made.booking.status, made.booking.person_id, made.version) == (BookingStatus.CONFIRMED, "p-1", 1)
    again = await desk.book(command(1))  # the same Idempotency-Key
    assert (again.booking, again.version) == (made.booking, 1)
    assert await taken(desk) == 1
    assert await desk.published("b-1") == ["confirmed"]


async def test_a_full_session_refuses_or_waitlists_and_a_cancellation_promotes() -> None:
    desk = office()
    await desk.book(command(1))
    with pytest.raises(Unavailable, match="full"):
        await desk.book(command(2))
    waiting = await desk.book(command(3, join_waitlist=True))
    assert waiting.entry is not None
    assert (waiting.entry["position"], waiting.entry["status"]) == (1, "waiting")

    cancelled, _ = await desk.cancel("b-1", Actor("member", "p-1"))
    assert (cancelled.status, cancelled.late) == (BookingStatus.CANCELLED, False)
    assert await desk.published("b-1") == ["confirmed", "cancelled"]
    promoted, _ = await desk.get("b-3")
    assert (promoted.status, promoted.waitlist_entry_id) == (BookingStatus.CONFIRMED, "wl-b-3")
    assert await taken(desk) == 1
    assert (await desk.waitlist.store.outbox("wl-b-3"))[-1]["envelope"]["type"].endswith(".promoted")


async def test_a_member_books_a_session_once() -> None:
    desk = office(seats=3)
    await desk.book(command(1))
    with pytest.raises(Unavailable, match="already has a booking"):
        await desk.book(command(1, booking_id="b-1-again"))
    assert await taken(desk) == 1


async def test_racing_members_never_get_more_seats_than_there_are() -> None:
    desk = office(seats=3)
    outcomes = await asyncio.gather(*(desk.book(command(n)) for n in range(12)), return_exceptions=True)
    booked = [o for o in outcomes if not isinstance(o, BaseException)]
    assert len(booked) == 3
    assert all(isinstance(o, Unavailable) for o in outcomes if isinstance(o, BaseException))
    assert await taken(desk) == 3


async def test_a_visibly_full_session_is_refused_with_reads_only() -> None:
    """The hot slot's many refusals claim no place and try no seat (issue 21): the same answers
    as the guarded path gives, a member's own place named first; one that waits still queues."""
    desk = office()
    await desk.book(command(1))
    claims: list[tuple[str, ...]] = []
    seat, queue = desk.seats.sessions.seat, desk.seats.sessions.queue

    async def counted(
        key: str, offering_id: str, starts_at: datetime, seats: int, member_id: str, booking_id: str, party_size: int
    ) -> Seated:
        claims.append((member_id, booking_id))
        return await seat(key, offering_id, starts_at, seats, member_id, booking_id, party_size)

    async def queued(
        key: str, offering_id: str, starts_at: datetime, member_id: str, booking_id: str
    ) -> tuple[str, int]:
        claims.append((member_id, booking_id))
        return await queue(key, offering_id, starts_at, member_id, booking_id)

    desk.seats.sessions.seat = counted  # type: ignore[method-assign]
    desk.seats.sessions.queue = queued  # type: ignore[method-assign]
    with pytest.raises(Unavailable, match="this session is full"):
        await desk.book(command(2))  # the guarded path finds it full: the office remembers
    assert claims == [("m-2", "b-2")]
    with pytest.raises(Unavailable, match="this session is full"):
        await desk.book(command(4))
    with pytest.raises(Unavailable, match="already has a booking"):
        await desk.book(command(1, booking_id="b-1-again"))
    assert claims == [("m-2", "b-2")]  # neither claimed a place nor tried a seat
    assert await desk.published("b-4") == []
    waiting = await desk.book(command(3, join_waitlist=True))
    assert waiting.entry is not None
    assert claims[-1] == ("m-3", "b-3")
    assert await taken(desk) == 1


async def test_a_seat_freed_after_the_office_saw_the_session_full_is_booked() -> None:
    desk = office()
    await desk.book(command(1))
    with pytest.raises(Unavailable, match="full"):
        await desk.book(command(2))
    await desk.cancel("b-1", Actor("member", "p-1"))
    made = await desk.book(command(4))
    assert made.booking is not None
    assert made.booking.status == BookingStatus.CONFIRMED
    assert await taken(desk) == 1


async def test_a_late_cancellation_is_late_unless_staff_waive_it() -> None:
    desk = office(seats=2)
    await desk.book(command(1))
    await desk.book(command(2))
    desk.at(SESSION - timedelta(hours=2))
    late, _ = await desk.cancel("b-1", Actor("member", "p-1"))
    waived, _ = await desk.cancel("b-2", DESK, staff_override=True)
    assert (late.late, waived.late) == (True, False)
    with pytest.raises(Unavailable, match="cannot be cancelled"):
        await desk.cancel("b-1", Actor("member", "p-1"))
    assert await taken(desk) == 0


async def test_a_retry_after_its_booking_let_its_seat_go_answers_that_booking_not_full() -> None:
    desk = office(seats=1)
    await desk.book(command(1))
    await desk.cancel("b-1", Actor("member", "p-1"))
    await desk.book(command(2))  # the freed seat goes to another member: the session is full again
    retried = await desk.book(command(1))  # the first command again (a client retry after a crash)
    assert retried.booking is not None
    assert (retried.booking.booking_id, retried.booking.status) == ("b-1", BookingStatus.CANCELLED)
    assert await taken(desk) == 1
    with pytest.raises(Unavailable, match="full"):  # its place in the session was given back: only seats lack
        await desk.book(command(1, booking_id="b-1-again"))


async def test_cancelling_a_booking_waiting_for_its_room_releases_the_request() -> None:
    desk = office()
    pending = await desk.book(command(1, ROOM))
    assert pending.booking is not None
    assert pending.booking.status == BookingStatus.PENDING
    await desk.cancel("b-1", Actor("member", "p-1"))
    outbox = await desk.bookings.memory.outbox("b-1")
    assert [(e["topic"], e["envelope"]["type"].rsplit(".", 1)[-1]) for e in outbox] == [
        ("bookings.booking", "requested"),
        ("spaces.commands", "requested"),
        ("bookings.booking", "cancelled"),
        ("spaces.commands", "release_requested"),
    ]
    assert await taken(desk, ROOM) == 0


async def test_check_in_opens_an_hour_before_closes_at_the_end_and_happens_once() -> None:
    desk = office(seats=2)
    await desk.book(command(1))
    await desk.book(command(2))
    with pytest.raises(Unavailable, match="check-in opens at 09:00 on 2026-11-13"):
        await desk.check_in("b-1", DESK)
    desk.at(SESSION - timedelta(minutes=61))
    with pytest.raises(Unavailable, match="check-in opens at 09:00"):
        await desk.check_in("b-1", DESK)
    desk.at(SESSION - timedelta(minutes=30))
    checked, version = await desk.check_in("b-1", DESK)
    assert (checked.status, version) == (BookingStatus.CHECKED_IN, 2)
    with pytest.raises(Unavailable, match=r"^already checked in at 09:30$"):
        await desk.check_in("b-1", DESK)
    assert await desk.published("b-1") == ["confirmed", "checked_in"]
    desk.at(SESSION + timedelta(hours=1))
    with pytest.raises(Unavailable, match="check-in closed at 11:00 on 2026-11-13"):
        await desk.check_in("b-2", DESK)
    with pytest.raises(Unavailable, match="cannot be cancelled"):
        await desk.cancel("b-1", DESK)
