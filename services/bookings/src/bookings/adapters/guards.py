"""The seat guards as a port, and their in-memory implementation.

Booking, cancelling and promoting stand on two guards: the seats of a session (taken only
while there is room, once per booking) and the member's one place in a session. The real
ones are MongoDB conditional updates (`adapters.sessions`); `InMemorySeats` applies the same
rule in one step with no await between the check and the write, which is what atomic means
on one event loop. `tests/test_bookings_seats.py` runs one suite against both, so a
service-layer test on the in-memory guards proves what the real ones would do.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from parkgrid.clock import utc_now
from parkgrid.store import Document


class SeatGuard(Protocol):
    """The seats of each session: who holds them and how many are taken, and when they last
    changed (`changed_at`, by `clock`: the service's, which `BookingOffice` gives it)."""

    clock: Callable[[], datetime]

    async def take(
        self, key: str, offering_id: str, starts_at: datetime, seats: int, booking_id: str, party_size: int
    ) -> bool:
        """True if `booking_id` holds its seats (now, or already); False when the party does not fit."""
        ...

    async def release(self, key: str, booking_id: str, party_size: int) -> bool:
        """Give the seats back, once: True only if `booking_id` held them."""
        ...

    async def visibly_full(self, key: str, seats: int, party_size: int, booking_id: str) -> bool:
        """True when the party does not fit now and `booking_id` holds none of the seats: a
        refusal that needs no write. A read only: it never grants (only `take`, guarded, does)."""
        ...

    async def next_in_line(self, key: str) -> int: ...

    async def taken(self, offering_id: str, first: datetime, last: datetime) -> dict[str, int]: ...

    async def get(self, key: str) -> Document | None: ...

    async def unaudited_quiet_since(
        self, moment: datetime, upcoming_from: datetime, limit: int = 200
    ) -> list[Document]: ...

    async def mark_audited(self, session: Document) -> None: ...


class PlaceGuard(Protocol):
    """One booking (or waitlist place) per member per session."""

    async def claim(self, key: str, member_id: str, booking_id: str) -> tuple[str, bool]: ...

    async def holder(self, key: str, member_id: str) -> str | None:
        """The booking id that has the member's place in the session, if any (a read)."""
        ...

    async def free(self, key: str, member_id: str, booking_id: str) -> None: ...

    async def free_booking(self, booking_id: str) -> None: ...


class SeatGuards(Protocol):
    """Both guards, as the service layer takes them."""

    @property
    def sessions(self) -> SeatGuard: ...

    @property
    def members(self) -> PlaceGuard: ...


class InMemorySessionSeats:
    """`SeatGuard` in a dict: the same guard as `SessionSeats.seat_filter`, checked and applied at once."""

    def __init__(self) -> None:
        self.sessions: dict[str, Document] = {}
        self.clock: Callable[[], datetime] = utc_now

    async def take(
        self, key: str, offering_id: str, starts_at: datetime, seats: int, booking_id: str, party_size: int
    ) -> bool:
        await asyncio.sleep(0)  # a real store's round trip: concurrent takers interleave here too
        session = self.sessions.get(key)
        if session is None:  # the session's first booking creates its counter, as the upsert does
            session = {"_id": key, "offering_id": offering_id, "starts_at": starts_at, "taken": 0, "holders": []}
            self.sessions[key] = session
        elif booking_id in session["holders"] or session["taken"] > seats - party_size:
            return booking_id in session["holders"]
        session["taken"] += party_size
        session["holders"].append(booking_id)
        session.setdefault("parties", {})[booking_id] = party_size
        session.update({"changed_at": self.clock(), "audited": False})
        return True

    async def release(self, key: str, booking_id: str, party_size: int) -> bool:
        await asyncio.sleep(0)
        session = self.sessions.get(key)
        if session is None or booking_id not in session["holders"]:
            return False
        session["taken"] -= party_size
        session["holders"] = [h for h in session["holders"] if h != booking_id]
        session.get("parties", {}).pop(booking_id, None)
        session["changed_at"] = self.clock()
        return True

    async def visibly_full(self, key: str, seats: int, party_size: int, booking_id: str) -> bool:
        await asyncio.sleep(0)
        session = self.sessions.get(key)
        return session is not None and booking_id not in session["holders"] and session["taken"] > seats - party_size

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
            if s["starts_at"] >= upcoming_from and s["changed_at"] < moment and s.get("audited") is not True
        ]
        return quiet[:limit]

    async def mark_audited(self, session: Document) -> None:
        stored = self.sessions.get(session["_id"])
        if stored is not None and stored["changed_at"] == session["changed_at"]:
            stored["audited"] = True


class InMemorySessionMembers:
    """`PlaceGuard` in a dict: the first claim of a (session, member) keeps it until freed."""

    def __init__(self) -> None:
        self.places: dict[str, str] = {}

    async def claim(self, key: str, member_id: str, booking_id: str) -> tuple[str, bool]:
        await asyncio.sleep(0)
        place = f"{key}|{member_id}"
        if place in self.places:
            return self.places[place], False
        self.places[place] = booking_id
        return booking_id, True

    async def holder(self, key: str, member_id: str) -> str | None:
        await asyncio.sleep(0)
        return self.places.get(f"{key}|{member_id}")

    async def free(self, key: str, member_id: str, booking_id: str) -> None:
        await asyncio.sleep(0)
        if self.places.get(f"{key}|{member_id}") == booking_id:
            del self.places[f"{key}|{member_id}"]

    async def free_booking(self, booking_id: str) -> None:
        await asyncio.sleep(0)
        for place in [p for p, holder in self.places.items() if holder == booking_id]:
            del self.places[place]


class InMemorySeats:
    """Both in-memory guards (`SeatGuards`)."""

    def __init__(self) -> None:
        self.sessions = InMemorySessionSeats()
        self.members = InMemorySessionMembers()


__all__ = [
    "InMemorySeats",
    "InMemorySessionMembers",
    "InMemorySessionSeats",
    "PlaceGuard",
    "SeatGuard",
    "SeatGuards",
]
