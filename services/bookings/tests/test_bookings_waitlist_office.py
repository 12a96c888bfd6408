"""Holds that expire, leaving a waitlist, a leave racing a promotion, the promotion scan in batches
and a promotion a crash left half done: through `BookingOffice` on the in-memory stores
(`make test-unit`), whose waitlist answers in the real store's orders (`bookings_fakes`).

The race tests run the same two commands with every interleaving the event loop allows (the
leave started after 0..N turns of the loop), so both outcomes happen, and each must be whole:
a place that left has no booking, a promoted place has exactly one, never both.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from bookings_fakes import DAY, MEMBERS, MENTORING, NOW, ROOM, SESSION, InMemoryOffice, KnownFacts, command, office
from bookings_support import SITE, local, offering

from bookings.adapters.guards import seats_held
from bookings.domain.booking import Actor, Unavailable
from bookings.domain.slots import session_key
from parkgrid.contracts.bookings import BookingStatus


async def said(desk: InMemoryOffice, entry_id: str) -> list[str]:
    return [e["envelope"]["type"].rsplit(".", 1)[-1] for e in await desk.waitlist.store.outbox(entry_id)]


async def test_a_hold_expires_once_however_many_sweeps_race() -> None:
    desk = office()
    made = await desk.book(command(1, ROOM))
    assert made.booking is not None
    assert made.booking.status == BookingStatus.PENDING
    desk.at(NOW + timedelta(minutes=14))
    assert await desk.expire_holds(desk.clock()) == 0
    desk.at(NOW + timedelta(minutes=15, seconds=1))
    assert sum(await asyncio.gather(*(desk.expire_holds(desk.clock()) for _ in range(6)))) == 1
    rejected, _ = await desk.get("b-1")
    assert (rejected.status, rejected.reason) == (BookingStatus.REJECTED, "hold_expired")
    assert await desk.published("b-1") == ["requested", "requested", "rejected", "release_requested"]
    seats = await desk.seats.sessions.get(session_key(ROOM, SESSION))
    assert seats is not None
    assert (seats["taken"], seats_held(seats)) == (0, {})
    assert seats.get("places") == {}


async def test_a_place_leaves_once_of_ten_concurrent_leaves_and_frees_the_members_place() -> None:
    desk = office()
    await desk.book(command(1))
    waiting = await desk.book(command(2, join_waitlist=True))
    assert waiting.entry is not None
    leaves = await asyncio.gather(*(desk.leave_waitlist("wl-b-2") for _ in range(10)), return_exceptions=True)
    assert sum(1 for r in leaves if not isinstance(r, BaseException)) == 1
    assert all(isinstance(r, Unavailable) for r in leaves if isinstance(r, BaseException))
    assert await said(desk, "wl-b-2") == ["joined", "left"]
    assert await desk.seats.sessions.place(session_key(MENTORING, SESSION), "m-2") is None
    await desk.cancel("b-1", Actor("member", "p-1"))  # the seat frees: nobody is promoted
    assert await desk.bookings.get("b-2") is None


async def race_leave_and_promotion(turns: int) -> str:
    """b-1 holds the one seat, b-2 waits; the seat frees (no promotion yet), then the promotion and
    b-2's leave race, the leave starting `turns` turns of the loop later. Returns who won."""
    desk = office()
    await desk.book(command(1))
    await desk.book(command(2, join_waitlist=True))
    key = session_key(MENTORING, SESSION)
    assert await desk.seats.sessions.release(key, "m-1", "b-1", 1)

    async def leave() -> None:
        for _ in range(turns):
            await asyncio.sleep(0)
        await desk.leave_waitlist("wl-b-2")

    await asyncio.gather(desk.promote(key), leave(), return_exceptions=True)
    place = await desk.waitlist.get("wl-b-2")
    assert place is not None
    booking = await desk.bookings.get("b-2")
    told = await said(desk, "wl-b-2")
    seats = await desk.seats.sessions.get(key)
    assert seats is not None
    if place["status"] == "left":
        assert (booking, told) == (None, ["joined", "left"]), f"turns={turns}: left, yet {booking} {told}"
        assert (seats["taken"], seats_held(seats)) == (0, {})
        return "left"
    assert place["status"] == "promoted"
    assert booking is not None, f"turns={turns}: promoted without a booking"
    assert booking[0].status == BookingStatus.CONFIRMED
    assert told == ["joined", "promoted"], f"turns={turns}: {told}"
    assert (seats["taken"], seats_held(seats)) == (1, {"b-2": 1})
    return "promoted"


async def test_a_leave_racing_a_promotion_ends_left_without_a_booking_or_promoted_with_one() -> None:
    outcomes = [await race_leave_and_promotion(turns) for turns in range(40)]
    assert set(outcomes) == {"left", "promoted"}  # both sides of the race were run


async def test_the_promotion_scan_reaches_sessions_behind_batches_of_full_ones() -> None:
    """Three full sessions with someone waiting come first; the fourth has a free seat. The scan
    reads two waiting places at a time and still promotes into the fourth."""
    desk = office()
    starts = [local(DAY, hour) for hour in (9, 10, 11, 12)]
    for n, start in enumerate(starts):
        await desk.book(command(n, starts_at=start))
        await desk.book(command(n + 4, starts_at=start, join_waitlist=True))
    last = session_key(MENTORING, starts[-1])
    assert await desk.seats.sessions.release(last, "m-3", "b-3", 1)  # freed, its promotion lost
    keys, cursor = await desk.waitlist.sessions_waiting(None, 2)
    assert last not in keys
    assert cursor is not None
    assert await desk.sweepers.promote_waiting(batch=2) == 1
    promoted, _ = await desk.get("b-7")
    assert promoted.status == BookingStatus.CONFIRMED


async def test_a_promotion_a_crash_left_without_its_booking_is_finished_by_the_sweeper() -> None:
    desk = office()
    await desk.book(command(1))
    await desk.book(command(2, join_waitlist=True))
    key = session_key(MENTORING, SESSION)
    assert await desk.seats.sessions.release(key, "m-1", "b-1", 1)
    # What a process dying after marking the place promoted leaves: the seat, the mark, no booking.
    assert await desk.seats.sessions.take(key, 1, "m-2", "b-2", 1)
    await desk.seating._mark_promoted("wl-b-2")
    assert await desk.bookings.get("b-2") is None
    desk.at(NOW + timedelta(minutes=11))
    assert await desk.reclaim_lost_seats(desk.clock()) == 0  # nothing given back: finished instead
    finished, _ = await desk.get("b-2")
    assert (finished.status, finished.waitlist_entry_id) == (BookingStatus.CONFIRMED, "wl-b-2")
    seats = await desk.seats.sessions.get(key)
    assert seats is not None
    assert seats_held(seats) == {"b-2": 1}


async def test_the_lost_seat_sweeper_gives_back_the_allowances_of_a_booking_never_stored() -> None:
    known = KnownFacts(
        [offering(MENTORING, credits=2, rules={"min_notice_minutes": 60, "max_advance_days": 120,
                  "cancellation_window_minutes": 60, "per_member_limit": {"count": 4, "period": "month"}})],
        MEMBERS,
        {SITE: "Africa/Casablanca"},
    )  # fmt: skip
    desk = InMemoryOffice(known, NOW)
    original = desk.seating.open

    async def dies(*args: object, **kwargs: object) -> object:
        raise SystemExit("the process died after the seat")

    desk.seating.open = dies  # type: ignore[method-assign,assignment]
    with pytest.raises(SystemExit):
        await desk.book(command(1))
    desk.seating.open = original  # type: ignore[method-assign]
    held = {d["kind"]: d for d in desk.ledger.allowances.allowances.values()}
    assert set(held) == {"limit", "credits"}
    assert all(d["holders"] == ["b-1"] for d in held.values())
    desk.at(NOW + timedelta(minutes=11))
    assert await desk.reclaim_lost_seats(desk.clock()) == 1
    assert all((d["used"], d["held"], d["holders"]) == (0, {}, []) for d in held.values())
    assert all(not session.get("places") for session in desk.seats.sessions.sessions.values())
