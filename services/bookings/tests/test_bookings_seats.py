"""One suite for the seat guards, run against the in-memory ones and the real ones (FerretDB/MongoDB).

What a service-layer test on `InMemorySeats` shows is only as good as this suite is strict:
the same seats are refused, retried, given back and queued for both.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bookings.adapters.guards import InMemorySeats, Seated, SeatGuards, seats_held
from bookings.adapters.sessions import Seats
from parkgrid.clock import utc_now
from parkgrid.store import Database

KEY = "off-1@20300107T0900Z"  # session_key("off-1", STARTS)
STARTS = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)


class SeatGuardContract:
    """The behaviour both guards share. Subclasses provide the `seats` fixture."""

    @pytest.fixture
    def seats(self) -> SeatGuards:
        raise NotImplementedError

    async def take(self, seats: SeatGuards, booking_id: str, *, room: int = 2, party: int = 1) -> bool:
        """The seats of a booking whose member ("m" + its number) has a place without seats (a
        waitlist place, taken here first if it has none)."""
        member = "m" + booking_id.removeprefix("b")
        await seats.sessions.queue(KEY, "off-1", STARTS, member, booking_id)
        return await seats.sessions.take(KEY, room, member, booking_id, party)

    async def test_seats_are_taken_while_the_party_fits_and_once_per_booking(self, seats: SeatGuards) -> None:
        assert not await seats.sessions.take(KEY, 2, "m-1", "b-1", 1)  # no place: no seats
        assert await self.take(seats, "b-1")
        assert await self.take(seats, "b-1")  # a retried command holds what it took
        assert await self.take(seats, "b-2")
        assert not await self.take(seats, "b-3")
        assert not await seats.sessions.take(KEY, 2, "m-1", "b-9", 1)  # another booking's place
        session = await seats.sessions.get(KEY)
        assert session is not None
        assert (session["taken"], seats_held(session)) == (2, {"b-1": 1, "b-2": 1})
        assert session["places"] == {"m-1": "b-1/1", "m-2": "b-2/1", "m-3": "b-3"}  # one field each
        # Nothing else grows with the bookings: FerretDB pays for every field on every command.
        assert set(session) <= {"_id", "offering_id", "starts_at", "taken", "queued", "places", "changed_at", "audited"}
        assert await seats.sessions.taken("off-1", STARTS, STARTS) == {KEY: 2}
        assert await seats.sessions.taken("off-2", STARTS, STARTS) == {}

    async def seat(
        self, seats: SeatGuards, member_id: str, booking_id: str, *, room: int = 2, party: int = 1
    ) -> Seated:
        return await seats.sessions.seat(KEY, "off-1", STARTS, room, member_id, booking_id, party)

    async def test_a_session_without_room_is_refused_by_a_read_that_names_the_members_place(
        self, seats: SeatGuards
    ) -> None:
        sessions = seats.sessions
        assert await sessions.without_room(KEY, 2, 1, "m-1", "b-1") is None  # no session yet
        await self.seat(seats, "m-1", "b-1")
        assert await sessions.without_room(KEY, 2, 1, "m-2", "b-2") is None
        assert await sessions.without_room(KEY, 2, 2, "m-2", "b-2") == Seated(None)  # two do not fit
        assert await sessions.without_room(KEY, 2, 1, "m-1", "b-9") == Seated("b-1")  # the member's place
        await self.seat(seats, "m-2", "b-2")
        assert await sessions.without_room(KEY, 2, 1, "m-3", "b-3") == Seated(None)
        assert await sessions.without_room(KEY, 2, 1, "m-2", "b-2") is None  # a retry of a holder
        await sessions.give_up(KEY, "m-1", "b-1", 1)
        assert await sessions.without_room(KEY, 2, 1, "m-3", "b-3") is None

    async def test_a_member_has_one_place_per_session_taken_with_the_seats(self, seats: SeatGuards) -> None:
        sessions = seats.sessions
        assert await sessions.place(KEY, "m-1") is None
        assert await self.seat(seats, "m-1", "b-1") == Seated("b-1", True, True)
        assert await sessions.place(KEY, "m-1") == "b-1"
        assert await self.seat(seats, "m-1", "b-1") == Seated("b-1", True, False)  # a retried command
        assert await self.seat(seats, "m-1", "b-2") == Seated("b-1")  # another booking of the member
        await sessions.free_place(KEY, "m-1", "b-2")  # not the holder: nothing freed
        assert await sessions.place(KEY, "m-1") == "b-1"
        await sessions.give_up(KEY, "m-1", "b-1", 1)  # the seat and the place, once
        await sessions.give_up(KEY, "m-1", "b-1", 1)
        session = await sessions.get(KEY)
        assert session is not None
        assert (session["taken"], session.get("places")) == (0, {})
        assert await self.seat(seats, "m-1", "b-2") == Seated("b-2", True, True)

    async def test_a_refused_booking_leaves_the_members_place_free_and_a_waitlist_place_takes_it(
        self, seats: SeatGuards
    ) -> None:
        sessions = seats.sessions
        assert await self.seat(seats, "m-1", "b-1", room=1) == Seated("b-1", True, True)
        assert await self.seat(seats, "m-2", "b-2", room=1) == Seated(None)
        assert await sessions.place(KEY, "m-2") is None
        assert await sessions.queue(KEY, "off-1", STARTS, "m-2", "b-2") == ("b-2", 1)
        assert await sessions.queue(KEY, "off-1", STARTS, "m-3", "b-3") == ("b-3", 2)
        assert await sessions.queue(KEY, "off-1", STARTS, "m-2", "b-4") == ("b-2", 0)  # one place each
        assert await self.seat(seats, "m-2", "b-5", room=3) == Seated("b-2")  # waiting is a place too
        assert await self.seat(seats, "m-2", "b-2", room=1) == Seated("b-2", False, False)  # no seat for it
        assert await sessions.take(KEY, 2, "m-2", "b-2", 1)  # promoted: the seat alone
        assert await self.seat(seats, "m-2", "b-2", room=2) == Seated("b-2", True, False)
        session = await sessions.get(KEY)
        assert session is not None
        assert (session["taken"], session["places"]) == (2, {"m-1": "b-1/1", "m-2": "b-2/1", "m-3": "b-3"})

    async def test_a_member_id_with_a_dot_has_its_place_too(self, seats: SeatGuards) -> None:
        assert await self.seat(seats, "acme.io", "b-1") == Seated("b-1", True, True)
        assert await self.seat(seats, "acme.io", "b-2") == Seated("b-1")
        assert await seats.sessions.place(KEY, "acme.io") == "b-1"
        assert await seats.sessions.place(KEY, "acme~io") == "b-1"  # "~" is in no id: the stored key
        await seats.sessions.give_up(KEY, "acme.io", "b-1", 1)
        assert await seats.sessions.place(KEY, "acme.io") is None

    async def test_racing_bookings_of_one_member_take_one_place_and_one_seat(self, seats: SeatGuards) -> None:
        """Issue 21: the place and the seats are one write; without the place in its guard, a
        member's ten racing bookings (other Idempotency-Keys) take ten seats."""
        seated = await asyncio.gather(*(self.seat(seats, "m-1", f"b-{n}", room=5) for n in range(10)))
        assert [s.fresh for s in seated].count(True) == 1
        assert len({s.holder for s in seated}) == 1
        session = await seats.sessions.get(KEY)
        assert session is not None
        assert (session["taken"], len(seats_held(session))) == (1, 1)

    async def test_racing_members_never_oversell_a_session(self, seats: SeatGuards) -> None:
        seated = await asyncio.gather(*(self.seat(seats, f"m-{n}", f"b-{n}", room=5) for n in range(20)))
        assert [s.seats_held for s in seated].count(True) == 5
        assert [s.holder for s in seated].count(None) == 15
        session = await seats.sessions.get(KEY)
        assert session is not None
        assert (session["taken"], len(session["places"])) == (5, 5)

    async def test_a_party_needs_room_for_all_of_it(self, seats: SeatGuards) -> None:
        assert await self.take(seats, "b-1", room=3, party=2)
        assert not await self.take(seats, "b-2", room=3, party=2)
        assert await self.take(seats, "b-3", room=3, party=1)

    async def test_seats_are_given_back_once_and_can_be_taken_again(self, seats: SeatGuards) -> None:
        assert not await seats.sessions.release(KEY, "m-1", "b-1", 1)  # no session yet
        await self.take(seats, "b-1", room=1)
        assert not await self.take(seats, "b-2", room=1)
        assert not await seats.sessions.release(KEY, "m-1", "b-1", 2)  # not what it holds
        assert await seats.sessions.release(KEY, "m-1", "b-1", 1)
        assert not await seats.sessions.release(KEY, "m-1", "b-1", 1)
        session = await seats.sessions.get(KEY)
        assert session is not None
        assert (session["taken"], seats_held(session), session["places"]["m-1"]) == (0, {}, "b-1")  # place kept
        assert await self.take(seats, "b-2", room=1)

    async def test_racing_requests_never_oversell(self, seats: SeatGuards) -> None:
        took = await asyncio.gather(*(self.take(seats, f"b-{n}", room=5) for n in range(20)))
        assert took.count(True) == 5
        session = await seats.sessions.get(KEY)
        assert session is not None
        assert session["taken"] == 5

    async def test_the_waitlist_is_numbered_per_session(self, seats: SeatGuards) -> None:
        assert await seats.sessions.next_in_line(KEY) == 1  # no session: nothing counted
        await self.seat(seats, "m-1", "b-1")
        assert [await seats.sessions.next_in_line(KEY) for _ in range(3)] == [1, 2, 3]

    async def test_a_quiet_session_is_audited_until_its_seats_change(self, seats: SeatGuards) -> None:
        await self.seat(seats, "m-1", "b-1")
        later, now = utc_now() + timedelta(minutes=1), utc_now()
        [quiet] = await seats.sessions.unaudited_quiet_since(later, upcoming_from=now)
        assert quiet["_id"] == KEY
        assert await seats.sessions.unaudited_quiet_since(later, upcoming_from=STARTS + timedelta(days=1)) == []
        await seats.sessions.mark_audited(quiet)
        assert await seats.sessions.unaudited_quiet_since(later, upcoming_from=now) == []
        await self.seat(seats, "m-2", "b-2")
        assert len(await seats.sessions.unaudited_quiet_since(utc_now() + timedelta(minutes=1), upcoming_from=now)) == 1


class TestInMemorySeats(SeatGuardContract):
    @pytest.fixture
    def seats(self) -> SeatGuards:
        return InMemorySeats()


class TestMongoSeats(SeatGuardContract):
    @pytest.fixture
    def seats(self, database: Database) -> SeatGuards:
        return Seats(database)

    async def test_the_places_stored_before_issue_21_move_into_their_sessions(self, database: Database) -> None:
        """`session_members` held one document per place; the service's start moves each into
        its session's `places` once (a place taken there meanwhile wins) and deletes it."""
        old = database["session_members"]
        other = "off-2@20300107T0900Z"
        await old.insert_many(
            [
                {"_id": f"{KEY}|m-1", "booking_id": "b-1"},
                {"_id": f"{KEY}|m-2", "booking_id": "b-old"},
                {"_id": f"{other}|acme.io", "booking_id": "b-3"},
            ]
        )
        seats = Seats(database)
        assert await seats.sessions.seat(KEY, "off-1", STARTS, 5, "m-2", "b-2", 1) == Seated("b-2", True, True)
        assert await seats.adopt_places() == 3
        assert await seats.adopt_places() == 0  # once
        assert await old.count_documents({}) == 0
        assert await seats.sessions.place(KEY, "m-1") == "b-1"
        assert await seats.sessions.place(KEY, "m-2") == "b-2"  # taken in the session meanwhile: kept
        assert await seats.sessions.place(other, "acme.io") == "b-3"
        assert await seats.sessions.seat(KEY, "off-1", STARTS, 5, "m-1", "b-9", 1) == Seated("b-1")
        moved = await seats.sessions.get(other)
        assert moved is not None
        assert (moved["offering_id"], moved["starts_at"].replace(tzinfo=UTC), moved["taken"]) == ("off-2", STARTS, 0)

    async def test_the_holders_stored_before_issue_21_fold_into_their_places(self, database: Database) -> None:
        """A session stored with its holders in an array and their parties in a map: the service's
        start folds each into its member's place (found there, or under its booking's member)."""
        await database["bookings"].insert_one({"_id": "b-2", "member_id": "acme.io", "party_size": 2})
        await database["session_seats"].insert_one(
            {
                "_id": KEY,
                "offering_id": "off-1",
                "starts_at": STARTS,
                "taken": 3,
                "holders": ["b-1", "b-2"],
                "parties": {"b-1": 1},
                "places": {"m-1": "b-1", "m-3": "b-3"},
                "changed_at": STARTS,
            }
        )
        seats = Seats(database)
        assert await seats.adopt_places() == 1
        assert await seats.adopt_places() == 0  # once
        session = await seats.sessions.get(KEY)
        assert session is not None
        assert "holders" not in session
        assert "parties" not in session
        assert session["places"] == {"m-1": "b-1/1", "acme~io": "b-2/2", "m-3": "b-3"}
        assert await seats.sessions.release(KEY, "acme.io", "b-2", 2)  # held as before
        assert await seats.sessions.seat(KEY, "off-1", STARTS, 5, "m-3", "b-9", 1) == Seated("b-3")
