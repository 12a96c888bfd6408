"""What the sweep reads, over the real store: every due booking of the statuses asked, within the
limit, and never the park's history. The sweep runs every half minute at every replica; on FerretDB
a `$in` on the status (as `due` asked until 2026-12-07) was a scan of the whole collection, settled
bookings of every past day included, so its cost grew with the park's age. Each status is now an
equality the `{status, ends_at}` index answers, and the end a range with both bounds
(`parkgrid.store.before`), which FerretDB searches that index by too; the lost-seat audit's sessions, an equality on
`audited` (it was a `$ne`), which the `{audited, starts_at}` index answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from bookings_support import a_booking

from bookings.adapters.bookings import Bookings, due_filter
from bookings.adapters.sessions import SessionSeats, unaudited_filter
from parkgrid.contracts.bookings import BookingStatus
from parkgrid.store import Database
from parkgrid.testing.plans import assert_read_from_an_index

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
SETTLED = (BookingStatus.COMPLETED, BookingStatus.CANCELLED, BookingStatus.NO_SHOW, BookingStatus.REJECTED)


async def stored(database: Database) -> tuple[Bookings, dict[str, str]]:
    """A history of settled bookings, and confirmed / checked-in ones ended or to come; their ids by kind."""
    bookings = Bookings(database["bookings"])
    await bookings.ensure_indexes()
    kinds: dict[str, str] = {}
    for i in range(40):
        starts = NOW + timedelta(hours=i - 20)
        status = SETTLED[i % len(SETTLED)] if i < 12 else (BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN)[i % 2]
        booking = a_booking(starts, starts - timedelta(days=1), booking_id=f"b-{i:02d}", status=status)
        await bookings.add(booking, [])
        ended = booking.ends_at < NOW
        kinds[booking.booking_id] = f"{status.value}, {'ended' if ended else 'to come'}"
    return bookings, kinds


async def test_the_sweep_finds_every_due_booking_of_the_statuses_asked_and_no_other(database: Database) -> None:
    bookings, kinds = await stored(database)
    asked = [BookingStatus.CONFIRMED.value, BookingStatus.CHECKED_IN.value]

    due = await bookings.due(asked, ended_before=NOW)

    expected = sorted(i for i, kind in kinds.items() if kind in ("confirmed, ended", "checked_in, ended"))
    assert len(expected) == 7
    assert sorted(b.booking_id for b, _ in due) == expected
    assert all(version == 1 for _, version in due)
    limited = await bookings.due(asked, ended_before=NOW, limit=5)
    assert len(limited) == 5
    assert {b.booking_id for b, _ in limited} <= set(expected)
    assert await bookings.due([BookingStatus.CONFIRMED.value], ended_before=NOW - timedelta(days=2)) == []


async def test_the_lost_seat_audit_reads_its_sessions_from_the_index_on_audited(database: Database) -> None:
    sessions = SessionSeats(database["session_seats"])
    await sessions.ensure_indexes()
    planner = (await sessions.collection.find(unaudited_filter(NOW, NOW)).explain())["queryPlanner"]
    assert_read_from_an_index(planner, "audited_1_starts_at_1")


async def test_each_status_the_sweep_reads_is_answered_from_an_index_on_the_status(database: Database) -> None:
    bookings, _ = await stored(database)
    for status in (BookingStatus.CONFIRMED.value, BookingStatus.CHECKED_IN.value):
        planner = (await bookings.collection.find(due_filter(status, NOW)).explain())["queryPlanner"]
        # MongoDB or SQLite may take either index the status leads; SQLite searches the
        # `{status, ends_at}` one by the range too, so the confirmed bookings to come are not read
        assert_read_from_an_index(planner, "status_1_ends_at_1", ranged=True)
    # A bare `$lt` (until 2026-12-07): FerretDB searches by the status only, and reads the JSON of
    # every confirmed booking, future ones included, to test the rest.
    planner = (await bookings.collection.find({"status": "confirmed", "ends_at": {"$lt": NOW}}).explain())[
        "queryPlanner"
    ]
    if "Plan" in planner:
        with pytest.raises(AssertionError):
            assert_read_from_an_index(planner, "status_1_ends_at_1", ranged=True)
    # What `due` asked before: FerretDB scans every document for it.
    before = {
        "status": {"$in": [BookingStatus.CONFIRMED.value, BookingStatus.CHECKED_IN.value]},
        "ends_at": {"$lt": NOW},
    }
    planner = (await bookings.collection.find(before).explain())["queryPlanner"]
    if "Plan" in planner:
        assert any("detail=SCAN" in step for step in planner["Plan"]), planner
