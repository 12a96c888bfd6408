"""Bookings' service layer on in-memory stores: no broker, no store, the same rules.

The aggregates are the kit's `InMemoryAggregateStore` (proved against MongoDB's by the kit's
suite), the seat guards `InMemorySeats` (proved by `test_bookings_seats`); what is left are
the few queries the commands make, answered here from those documents.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from bookings_support import SITE, local, offering

from bookings.adapters.bookings import BookingAggregates
from bookings.adapters.guards import InMemorySeats
from bookings.adapters.ledgers import entitlement_of
from bookings.adapters.sessions import first_state
from bookings.adapters.waitlists import SESSIONS_KEY
from bookings.domain.booking import Actor, Booking, MemberFacts
from bookings.domain.entitlements import Allowance, Entitlement
from bookings.domain.waitlist import WAITING
from bookings.service_layer.commands import BookCommand
from bookings.service_layer.parts import Parts
from bookings.service_layer.ports import Already
from bookings.service_layer.service import BookingOffice
from parkgrid import paging
from parkgrid.aggregates import InMemoryAggregateStore
from parkgrid.contracts.catalogue import OfferingSnapshot
from parkgrid.events import registry
from parkgrid.store import Document


def _store(topic: str) -> InMemoryAggregateStore:
    return InMemoryAggregateStore(registry=registry, source="bookings", topic=topic)


class InMemoryBookings(BookingAggregates):
    def __init__(self) -> None:
        self.memory = _store("bookings.booking")
        super().__init__(self.memory)

    async def stored(self, booking_ids: Sequence[str]) -> set[str]:
        return {b for b in booking_ids if b in self.memory.documents}

    async def of_member(self, member_id: str, first: datetime, last: datetime) -> list[Booking]:
        found = [
            await self.get(booking_id)
            for booking_id, d in self.memory.documents.items()
            if d["member_id"] == member_id and first <= d["starts_at"] < last
        ]
        return [f[0] for f in found if f is not None]

    async def due(self, statuses: Sequence[str], ended_before: datetime, limit: int = 200) -> list[tuple[Booking, int]]:
        found = [
            await self.get(booking_id)
            for booking_id, d in self.memory.documents.items()
            if d["status"] in statuses and d["ends_at"] < ended_before
        ]
        return [f for f in found if f is not None][:limit]

    async def not_checked_in(
        self, site_id: str, started_before: datetime, ending_after: datetime, limit: int = 200
    ) -> list[tuple[Booking, int]]:
        """As `Bookings.not_checked_in`: confirmed first, then soonest first."""
        docs = sorted(
            (
                d
                for d in self.memory.documents.values()
                if d["site_id"] == site_id
                and d["status"] in ("confirmed", "no_show")
                and d["starts_at"] < started_before
                and d["ends_at"] > ending_after
            ),
            key=lambda d: (d["status"], d["starts_at"], d["booking_id"]),
        )
        found = [await self.get(d["booking_id"]) for d in docs[:limit]]
        return [f for f in found if f is not None]

    async def pending_since(self, moment: datetime, limit: int = 200) -> list[tuple[Booking, int]]:
        """As `Bookings.pending_since`: oldest request first."""
        docs = sorted(
            (d for d in self.memory.documents.values() if d["status"] == "pending" and d["requested_at"] < moment),
            key=lambda d: (d["requested_at"], d["booking_id"]),
        )
        found = [await self.get(d["booking_id"]) for d in docs[:limit]]
        return [f for f in found if f is not None]


class InMemoryWaitlist:
    """`ports.WaitingLines` in a dict, in the orders `adapters.waitlists.WaitingLines` reads:
    a session's line by `position`, sessions soonest first in cursor batches, begun ones."""

    def __init__(self) -> None:
        self.store = _store("bookings.waitlist")

    async def get(self, entry_id: str) -> Document | None:
        return await self.store.get(entry_id)

    async def _waiting(self) -> list[Document]:
        ids = [i for i, d in self.store.documents.items() if d["status"] == WAITING]
        return [e for e in [await self.store.get(i) for i in ids] if e is not None]

    async def waiting(self, session_key: str) -> list[Document]:
        entries = [e for e in await self._waiting() if e["session_key"] == session_key]
        return sorted(entries, key=lambda e: (e["position"], e["_id"]))

    async def sessions_waiting(self, cursor: str | None = None, limit: int = 100) -> tuple[list[str], str | None]:
        entries = sorted(await self._waiting(), key=lambda e: (e["starts_at"], e["_id"]))
        if cursor:
            moment, last_id = paging.decode(SESSIONS_KEY, cursor)
            entries = [e for e in entries if (e["starts_at"], e["_id"]) > (moment, last_id)]
        batch, next_cursor = paging.next_cursor(entries[: limit + 1], SESSIONS_KEY, limit)
        return list(dict.fromkeys(e["session_key"] for e in batch)), next_cursor

    async def started(self, before: datetime, limit: int = 200) -> list[Document]:
        entries = [e for e in await self._waiting() if e["starts_at"] <= before]
        return sorted(entries, key=lambda e: (e["starts_at"], e["position"], e["_id"]))[:limit]


class InMemoryAllowances:
    """`Allowances` in a dict: the real store's first document (`first_state`) and the same guard
    as `MemberAllowances.allowance_filter`, checked and applied with no await in between
    (`test_bookings_allowances_contract` holds both to one suite)."""

    def __init__(self) -> None:
        self.allowances: dict[str, Document] = {}

    async def reserve(
        self, allowance: Allowance, booking_id: str, replaces: str | None = None, already: Already | None = None
    ) -> bool:
        await asyncio.sleep(0)  # a real store's round trip: concurrent reservations interleave here too
        if allowance.amount > allowance.limit:
            return False
        if allowance.allowance_id not in self.allowances:
            first = await first_state(allowance, booking_id, already)
            # The first creator wins, as the unique insert decides.
            self.allowances.setdefault(allowance.allowance_id, first)
        doc = self.allowances[allowance.allowance_id]
        if booking_id in doc["held"]:
            return True
        room = doc["used"] <= allowance.limit - allowance.amount
        lent = replaces is not None and replaces in doc["held"] and doc["used"] <= allowance.limit
        if not (room or lent):
            return False
        doc["used"] += allowance.amount
        doc["held"][booking_id] = allowance.amount
        doc["holders"].append(booking_id)
        return True

    async def give_back(self, member_id: str, booking_id: str, kinds: Sequence[str]) -> int:
        await asyncio.sleep(0)
        given = 0
        for doc in self.allowances.values():
            if doc["member_id"] == member_id and doc["kind"] in kinds and booking_id in doc["held"]:
                given += self._give_back(doc, booking_id)
        return given

    async def give_back_lost(self, booking_id: str) -> int:
        await asyncio.sleep(0)
        return sum(self._give_back(doc, booking_id) for doc in self.allowances.values() if booking_id in doc["held"])

    @staticmethod
    def _give_back(doc: Document, booking_id: str) -> int:
        doc["used"] -= doc["held"].pop(booking_id)
        doc["holders"].remove(booking_id)
        return 1

    async def get(self, allowance_id: str) -> Document | None:
        doc = self.allowances.get(allowance_id)
        return None if doc is None else copy.deepcopy(doc)


class InMemoryLedger:
    """Entitlements: what the ledger writes (`Entitlements`) and what a booking command reserves (`CreditsHeld`)."""

    def __init__(self) -> None:
        self.store = _store("bookings.entitlement")
        self.allowances = InMemoryAllowances()

    async def get(self, entitlement_id: str) -> tuple[Entitlement, int] | None:
        doc = await self.store.get(entitlement_id)
        return None if doc is None else (entitlement_of(doc), doc["version"])

    async def of_member(self, member_id: str) -> list[Entitlement]:
        docs = [d for d in self.store.documents.values() if d["member_id"] == member_id]
        return [entitlement_of(d) for d in sorted(docs, key=lambda d: d["period_start"])]


class KnownOfferings:
    def __init__(self, offerings: Iterable[OfferingSnapshot]) -> None:
        self.known = {o.offering_id: o for o in offerings}

    async def get(self, offering_id: str) -> OfferingSnapshot | None:
        return self.known.get(offering_id)


class KnownZones:
    """Sites' zones; `closed` names the sites whose calendar refuses everything, and why."""

    def __init__(self, zones: dict[str, str]) -> None:
        self.zones = zones
        self.closed: dict[str, str] = {}
        self.releasing: dict[str, int] = {}
        """Sites that release a booking not checked in so many minutes after its start."""

    async def time_zone(self, site_id: str | None) -> str | None:
        return self.zones.get(site_id) if site_id else None

    async def refusal_for(self, site_id: str, starts_at: datetime, ends_at: datetime) -> str | None:
        return self.closed.get(site_id)

    async def releasing_no_shows(self) -> dict[str, int]:
        return dict(self.releasing)


class KnownFacts:
    """The projections, as given: offerings, members and the sites' zones."""

    def __init__(
        self, offerings: Iterable[OfferingSnapshot], members: Iterable[MemberFacts], zones: dict[str, str]
    ) -> None:
        self.offerings = KnownOfferings(offerings)
        self.sites = KnownZones(zones)
        self.members = {m.member_id: m for m in members}

    async def member(self, member_id: str) -> MemberFacts | None:
        return self.members.get(member_id)

    async def member_lately(self, member_id: str) -> MemberFacts | None:
        return self.members.get(member_id)


class InMemoryOffice(BookingOffice):
    """`BookingOffice` on in-memory stores, which a test reads back directly."""

    def __init__(self, known: KnownFacts, now: datetime) -> None:
        self.bookings = InMemoryBookings()
        self.seats = InMemorySeats()
        self.waitlist = InMemoryWaitlist()
        self.ledger = InMemoryLedger()
        self.known = known
        parts = Parts(self.bookings, self.seats, self.waitlist, known, self.ledger, clock=lambda: now)
        super().__init__(parts, self.ledger)

    def at(self, now: datetime) -> None:
        """Move the office's clock."""
        self.clock = lambda: now

    async def published(self, booking_id: str) -> list[str]:
        """The public event types in a booking's outbox, in order (the last part of each)."""
        return [e["envelope"]["type"].rsplit(".", 1)[-1] for e in await self.bookings.memory.outbox(booking_id)]


# The office tests' world (`test_bookings_office`, `test_bookings_waitlist_office`): twelve
# startups at one site, a mentoring session and a meeting room, three days after NOW.
NOW = datetime(2026, 11, 10, 8, 0, tzinfo=UTC)
DAY = NOW.date() + timedelta(days=3)
SESSION = local(DAY, 10)
MENTORING = "off-mentoring"
ROOM = "off-room"
MEMBERS = [MemberFacts(f"m-{n}", f"Startup {n}", "startup", "incubation", True, SITE, (f"p-{n}",)) for n in range(12)]


def office(seats: int = 1) -> InMemoryOffice:
    """An office at NOW offering the mentoring session (`seats` a session) and the room."""
    room = {"kind": "meeting_room", "seats": 2, "features": []}
    known = KnownFacts(
        [offering(MENTORING, seats_per_session=seats), offering(ROOM, space_requirement=room)],
        MEMBERS,
        {SITE: "Africa/Casablanca"},
    )
    return InMemoryOffice(known, NOW)


def command(n: int, offering_id: str = MENTORING, starts_at: datetime = SESSION, **changes: object) -> BookCommand:
    """Member m-{n}'s person p-{n} books one place (booking b-{n}); `changes` replace any field."""
    fields: dict[str, object] = {
        "booking_id": f"b-{n}",
        "offering_id": offering_id,
        "member_id": f"m-{n}",
        "person_id": None,
        "starts_at": starts_at,
        "party_size": 1,
        "join_waitlist": False,
        "actor": Actor("member", f"p-{n}"),
    }
    fields.update(changes)
    return BookCommand(**fields)  # type: ignore[arg-type]
