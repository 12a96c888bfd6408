"""One suite for the seat guards, run against the in-memory ones and the real ones (FerretDB/MongoDB).

What a service-layer test on `InMemorySeats` shows is only as good as this suite is strict:
the same seats are refused, retried, given back and queued for both.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bookings.adapters.guards import InMemorySeats, SeatGuards
from bookings.adapters.sessions import Seats
from parkgrid.clock import utc_now
from parkgrid.store import Database

KEY = "off-1|2030-01-07T09:00:00+00:00"
STARTS = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)


class SeatGuardContract:
    """The behaviour both guards share. Subclasses provide the `seats` fixture."""

    @pytest.fixture
    def seats(self) -> SeatGuards:
        raise NotImplementedError

    async def take(self, seats: SeatGuards, booking_id: str, *, room: int = 2, party: int = 1) -> bool:
        return await seats.sessions.take(KEY, "off-1", STARTS, room, booking_id, party)

    async def test_seats_are_taken_while_the_party_fits_and_once_per_booking(self, seats: SeatGuards) -> None:
        assert await self.take(seats, "b-1")
        assert await self.take(seats, "b-1")  # a retried command holds what it took
        assert await self.take(seats, "b-2")
        assert not await self.take(seats, "b-3")
        session = await seats.sessions.get(KEY)
        assert session is not None
        assert (session["taken"], sorted(session["holders"]), session["parties"]) == (
            2,
            ["b-1", "b-2"],
            {"b-1": 1, "b-2": 1},
        )
        assert await seats.sessions.taken("off-1", STARTS, STARTS) == {KEY: 2}
        assert await seats.sessions.taken("off-2", STARTS, STARTS) == {}

    async def test_a_session_is_visibly_full_only_to_a_party_that_does_not_fit_and_holds_nothing(
        self, seats: SeatGuards
    ) -> None:
        assert not await seats.sessions.visibly_full(KEY, 2, 1, "b-1")  # no session yet
        await self.take(seats, "b-1")
        assert not await seats.sessions.visibly_full(KEY, 2, 1, "b-2")
        assert await seats.sessions.visibly_full(KEY, 2, 2, "b-2")  # a party of two does not fit
        await self.take(seats, "b-2")
        assert await seats.sessions.visibly_full(KEY, 2, 1, "b-3")
        assert not await seats.sessions.visibly_full(KEY, 2, 1, "b-2")  # a retry of a holder
        await seats.sessions.release(KEY, "b-1", 1)
        assert not await seats.sessions.visibly_full(KEY, 2, 1, "b-3")

    async def test_a_party_needs_room_for_all_of_it(self, seats: SeatGuards) -> None:
        assert await self.take(seats, "b-1", room=3, party=2)
        assert not await self.take(seats, "b-2", room=3, party=2)
        assert await self.take(seats, "b-3", room=3, party=1)

    async def test_seats_are_given_back_once_and_can_be_taken_again(self, seats: SeatGuards) -> None:
        assert not await seats.sessions.release(KEY, "b-1", 1)  # no session yet
        await self.take(seats, "b-1", room=1)
        assert not await self.take(seats, "b-2", room=1)
        assert await seats.sessions.release(KEY, "b-1", 1)
        assert not await seats.sessions.release(KEY, "b-1", 1)
        session = await seats.sessions.get(KEY)
        assert session is not None
        assert (session["taken"], session["holders"], session.get("parties")) == (0, [], {})
        assert await self.take(seats, "b-2", room=1)

    async def test_racing_requests_never_oversell(self, seats: SeatGuards) -> None:
        took = await asyncio.gather(*(self.take(seats, f"b-{n}", room=5) for n in range(20)))
        assert took.count(True) == 5
        session = await seats.sessions.get(KEY)
        assert session is not None
        assert session["taken"] == 5

    async def test_the_waitlist_is_numbered_per_session(self, seats: SeatGuards) -> None:
        assert await seats.sessions.next_in_line(KEY) == 1  # no session: nothing counted
        await self.take(seats, "b-1")
        assert [await seats.sessions.next_in_line(KEY) for _ in range(3)] == [1, 2, 3]

    async def test_a_quiet_session_is_audited_until_its_seats_change(self, seats: SeatGuards) -> None:
        await self.take(seats, "b-1")
        later, now = utc_now() + timedelta(minutes=1), utc_now()
        [quiet] = await seats.sessions.unaudited_quiet_since(later, upcoming_from=now)
        assert quiet["_id"] == KEY
        assert await seats.sessions.unaudited_quiet_since(later, upcoming_from=STARTS + timedelta(days=1)) == []
        await seats.sessions.mark_audited(quiet)
        assert await seats.sessions.unaudited_quiet_since(later, upcoming_from=now) == []
        await self.take(seats, "b-2")
        assert len(await seats.sessions.unaudited_quiet_since(utc_now() + timedelta(minutes=1), upcoming_from=now)) == 1

    async def test_a_member_has_one_place_per_session(self, seats: SeatGuards) -> None:
        members = seats.members
        assert await members.holder(KEY, "m-1") is None
        assert await members.claim(KEY, "m-1", "b-1") == ("b-1", True)
        assert await members.holder(KEY, "m-1") == "b-1"
        assert await members.claim(KEY, "m-1", "b-1") == ("b-1", False)  # a retried command
        assert await members.claim(KEY, "m-1", "b-2") == ("b-1", False)
        assert await members.claim(KEY, "m-2", "b-3") == ("b-3", True)
        await members.free(KEY, "m-1", "b-2")  # not the holder: nothing freed
        assert await members.claim(KEY, "m-1", "b-2") == ("b-1", False)
        await members.free(KEY, "m-1", "b-1")
        assert await members.claim(KEY, "m-1", "b-2") == ("b-2", True)
        await members.free_booking("b-3")
        assert await members.claim(KEY, "m-2", "b-4") == ("b-4", True)

    async def test_racing_claims_give_the_place_to_one(self, seats: SeatGuards) -> None:
        claims = await asyncio.gather(*(seats.members.claim(KEY, "m-1", f"b-{n}") for n in range(10)))
        assert len({holder for holder, _ in claims}) == 1
        assert [fresh for _, fresh in claims].count(True) == 1


class TestInMemorySeats(SeatGuardContract):
    @pytest.fixture
    def seats(self) -> SeatGuards:
        return InMemorySeats()


class TestMongoSeats(SeatGuardContract):
    @pytest.fixture
    def seats(self, database: Database) -> SeatGuards:
        return Seats(database)
