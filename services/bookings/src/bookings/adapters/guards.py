"""The seat guard as a port, and its in-memory implementation.

Booking, cancelling and promoting stand on one document per session that guards two rules at
once: its seats (taken only while there is room, once per booking) and each member's one place
in it (a booking or a waitlist place). A booking takes both by one conditional write (`seat`), a
waitlist place takes the place alone with its number in line (`queue`). The real guard is a
MongoDB conditional update (`adapters.sessions`); `InMemorySeats` applies the same rule in one
step with no await between the check and the write, which is what atomic means on one event
loop. `tests/test_bookings_seats.py` runs one suite against both, so a service-layer test on the
in-memory guard proves what the real one would do.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from parkgrid.clock import utc_now
from parkgrid.store import Document


@dataclass(frozen=True)
class Seated:
    """What `seat` found: the booking id that has the member's place in the session (None: no
    one's, and the party did not fit), whether the booking asking holds its seats, and whether
    this call claimed them (False: a retried command, or another booking of the member)."""

    holder: str | None
    seats_held: bool = False
    fresh: bool = False


def place_key(member_id: str) -> str:
    """A member's place as a key of the session's `places`: ids may hold ".", which a stored
    field name cannot (it is MongoDB's path separator); they never hold "~" (`ID_PATTERN`)."""
    return member_id.replace(".", "~")


def place_value(booking_id: str, party_size: int = 0) -> str:
    """What a member's place holds: the booking id alone (a place without seats: a waitlist place,
    or a command that has not taken them yet), or with the seats it holds, as "<booking>/<seats>"
    (no id holds "/", `ID_PATTERN`).

    One field per member, not three (the place, a holders array and a party map, as before):
    FerretDB decodes and encodes every field of a document on every command, about 12-25 µs per
    field, so the session's document is the booking path's dearest command and its size is
    what a busy session pays (bench/README.md, 2026-12-06 afternoon)."""
    return f"{booking_id}/{party_size}" if party_size else booking_id


def parse_place(value: object) -> tuple[str, int]:
    """`place_value` read back: (booking id, seats held; 0 for a place without seats)."""
    booking_id, _, seats = str(value).partition("/")
    return booking_id, int(seats) if seats else 0


def seats_held(session: Document) -> dict[str, int]:
    """Booking id → seats it holds in the session, from its stored document."""
    held = (parse_place(value) for value in (session.get("places") or {}).values())
    return {booking_id: seats for booking_id, seats in held if seats}


class SeatGuard(Protocol):
    """The seats of each session: who holds them and how many are taken, and when they last
    changed (`changed_at`, by `clock`: the service's, which `BookingOffice` gives it)."""

    clock: Callable[[], datetime]

    async def take(self, key: str, seats: int, member_id: str, booking_id: str, party_size: int) -> bool:
        """The seats of a booking that has the member's place already (a waitlist place promoted, a
        command whose first run stopped after the place), by one guarded write. True if it holds
        them (now, or already); False when the party does not fit or it has no place."""
        ...

    async def seat(
        self,
        key: str,
        offering_id: str,
        starts_at: datetime,
        seats: int,
        member_id: str,
        booking_id: str,
        party_size: int,
    ) -> Seated:
        """The member's place and the party's seats, by one conditional write: only while the
        member has no place in the session and the party fits. A refusal says why (`Seated`)."""
        ...

    async def queue(
        self, key: str, offering_id: str, starts_at: datetime, member_id: str, booking_id: str
    ) -> tuple[str, int]:
        """The member's place without seats (a waitlist place) and its number in line, by one write:
        the booking id that has the place, and the number when it is `booking_id` (a retried
        command that has it already draws a new one, as `next_in_line` would)."""
        ...

    async def place(self, key: str, member_id: str) -> str | None:
        """The booking id that has the member's place in the session, if any (a read)."""
        ...

    async def free_place(self, key: str, member_id: str, booking_id: str) -> None:
        """The member's place is free again, if `booking_id` has it."""
        ...

    async def release(self, key: str, member_id: str, booking_id: str, party_size: int) -> bool:
        """Give the seats back, once, keeping the member's place: True only if `booking_id` held them."""
        ...

    async def give_up(self, key: str, member_id: str, booking_id: str, party_size: int) -> None:
        """Give back the seats `booking_id` holds and the member's place it has (each once; either may
        be held alone): one write when it has both."""
        ...

    async def without_room(
        self, key: str, seats: int, party_size: int, member_id: str, booking_id: str
    ) -> Seated | None:
        """A refusal that needs no write (the hot slot's 490 of 500), by one read: the member's place
        another booking has, or none and the party does not fit. None when only the guarded write
        can decide (room, or `booking_id` has the place). It never grants: only `seat` does."""
        ...

    async def next_in_line(self, key: str) -> int: ...

    async def taken(self, offering_id: str, first: datetime, last: datetime) -> dict[str, int]: ...

    async def get(self, key: str) -> Document | None: ...

    async def unaudited_quiet_since(
        self, moment: datetime, upcoming_from: datetime, limit: int = 200
    ) -> list[Document]: ...

    async def mark_audited(self, session: Document) -> None: ...


class SeatGuards(Protocol):
    """The guard, as the service layer takes it."""

    @property
    def sessions(self) -> SeatGuard: ...


class InMemorySessionSeats:
    """`SeatGuard` in a dict: the same guard as `SessionSeats`, checked and applied at once."""

    def __init__(self) -> None:
        self.sessions: dict[str, Document] = {}
        self.clock: Callable[[], datetime] = utc_now

    def _session(self, key: str, offering_id: str, starts_at: datetime) -> Document:
        """The session's counter, created by its first booking or place, as the upsert does."""
        return self.sessions.setdefault(
            key, {"_id": key, "offering_id": offering_id, "starts_at": starts_at, "taken": 0, "places": {}}
        )

    def _places(self, key: str) -> dict[str, str]:
        places: dict[str, str] = self.sessions.get(key, {}).get("places", {})
        return places

    def _hold(self, session: Document, member_id: str, booking_id: str, party_size: int) -> None:
        session["taken"] += party_size
        session["places"][place_key(member_id)] = place_value(booking_id, party_size)
        session.update({"changed_at": self.clock(), "audited": False})

    async def take(self, key: str, seats: int, member_id: str, booking_id: str, party_size: int) -> bool:
        await asyncio.sleep(0)  # a real store's round trip: concurrent takers interleave here too
        session = self.sessions.get(key)
        if session is None:
            return False
        value: str | None = session["places"].get(place_key(member_id))
        if value == booking_id and session["taken"] <= seats - party_size:
            self._hold(session, member_id, booking_id, party_size)
            return True
        return value == place_value(booking_id, party_size)

    async def seat(
        self,
        key: str,
        offering_id: str,
        starts_at: datetime,
        seats: int,
        member_id: str,
        booking_id: str,
        party_size: int,
    ) -> Seated:
        await asyncio.sleep(0)
        session = self._session(key, offering_id, starts_at)
        value = session["places"].get(place_key(member_id))
        if value is not None:
            holder, held = parse_place(value)
            return Seated(holder, holder == booking_id and held > 0)
        if session["taken"] > seats - party_size:
            return Seated(None)
        self._hold(session, member_id, booking_id, party_size)
        return Seated(booking_id, True, True)

    async def queue(
        self, key: str, offering_id: str, starts_at: datetime, member_id: str, booking_id: str
    ) -> tuple[str, int]:
        await asyncio.sleep(0)
        session = self._session(key, offering_id, starts_at)
        holder = parse_place(session["places"].setdefault(place_key(member_id), booking_id))[0]
        if holder != booking_id:
            return holder, 0
        session["queued"] = session.get("queued", 0) + 1
        return holder, int(session["queued"])

    async def place(self, key: str, member_id: str) -> str | None:
        await asyncio.sleep(0)
        value = self._places(key).get(place_key(member_id))
        return None if value is None else parse_place(value)[0]

    async def free_place(self, key: str, member_id: str, booking_id: str) -> None:
        await asyncio.sleep(0)
        places = self._places(key)
        if places.get(place_key(member_id)) == booking_id:
            del places[place_key(member_id)]

    def _give_back(self, key: str, member_id: str, booking_id: str, party_size: int, keep_place: bool) -> bool:
        session = self.sessions.get(key)
        if session is None or session["places"].get(place_key(member_id)) != place_value(booking_id, party_size):
            return False
        session["taken"] -= party_size
        if keep_place:
            session["places"][place_key(member_id)] = booking_id
        else:
            del session["places"][place_key(member_id)]
        session["changed_at"] = self.clock()
        return True

    async def release(self, key: str, member_id: str, booking_id: str, party_size: int) -> bool:
        await asyncio.sleep(0)
        return self._give_back(key, member_id, booking_id, party_size, keep_place=True)

    async def give_up(self, key: str, member_id: str, booking_id: str, party_size: int) -> None:
        await asyncio.sleep(0)
        if not self._give_back(key, member_id, booking_id, party_size, keep_place=False):
            await self.free_place(key, member_id, booking_id)

    async def without_room(
        self, key: str, seats: int, party_size: int, member_id: str, booking_id: str
    ) -> Seated | None:
        await asyncio.sleep(0)
        session = self.sessions.get(key)
        if session is None:
            return None
        value = session["places"].get(place_key(member_id))
        if value is not None:
            holder = parse_place(value)[0]
            return None if holder == booking_id else Seated(holder)
        return Seated(None) if session["taken"] > seats - party_size else None

    async def next_in_line(self, key: str) -> int:
        await asyncio.sleep(0)
        session = self.sessions.get(key)
        if session is None:
            return 1
        session["queued"] = session.get("queued", 0) + 1
        return int(session["queued"])

    async def taken(self, offering_id: str, first: datetime, last: datetime) -> dict[str, int]:
        return {
            key: int(s["taken"])
            for key, s in self.sessions.items()
            if s["offering_id"] == offering_id and first <= s["starts_at"] <= last
        }

    async def get(self, key: str) -> Document | None:
        session = self.sessions.get(key)
        return None if session is None else copy.deepcopy(session)

    async def unaudited_quiet_since(
        self, moment: datetime, upcoming_from: datetime, limit: int = 200
    ) -> list[Document]:
        quiet = [
            copy.deepcopy(s)
            for s in self.sessions.values()
            if s["starts_at"] >= upcoming_from
            and "changed_at" in s
            and s["changed_at"] < moment
            and s.get("audited") is False
        ]
        return quiet[:limit]

    async def mark_audited(self, session: Document) -> None:
        stored = self.sessions.get(session["_id"])
        if stored is not None and stored.get("changed_at") == session.get("changed_at"):
            stored["audited"] = True


class InMemorySeats:
    """The in-memory guard (`SeatGuards`)."""

    def __init__(self) -> None:
        self.sessions = InMemorySessionSeats()


__all__ = [
    "InMemorySeats",
    "InMemorySessionSeats",
    "SeatGuard",
    "SeatGuards",
    "Seated",
    "place_key",
]
