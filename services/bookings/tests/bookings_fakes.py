"""Bookings' service layer on in-memory stores: no broker, no store, the same rules.

The aggregates are the kit's `InMemoryAggregateStore` (proved against MongoDB's by the kit's
suite), the seat guards `InMemorySeats` (proved by `test_bookings_seats`); what is left are
the few queries the commands make, answered here from those documents.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from bookings.adapters.bookings import BookingAggregates
from bookings.adapters.guards import InMemorySeats
from bookings.adapters.ledgers import WAITING, entitlement_of
from bookings.domain.booking import Booking, MemberFacts
from bookings.domain.entitlements import Entitlement
from bookings.service_layer.parts import Parts
from bookings.service_layer.service import BookingOffice
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

    async def count_for_limit(
        self, member_id: str, offering_id: str, first: datetime, last: datetime, statuses: Sequence[str]
    ) -> int:
        return sum(
            1
            for d in self.memory.documents.values()
            if (d["member_id"], d["offering_id"]) == (member_id, offering_id)
            and d["status"] in statuses
            and first <= d["starts_at"] < last
        )

    async def stored(self, booking_ids: Sequence[str]) -> set[str]:
        return {b for b in booking_ids if b in self.memory.documents}

    async def due(self, statuses: Sequence[str], ended_before: datetime, limit: int = 200) -> list[tuple[Booking, int]]:
        found = [
            await self.get(booking_id)
            for booking_id, d in self.memory.documents.items()
            if d["status"] in statuses and d["ends_at"] < ended_before
        ]
        return [f for f in found if f is not None][:limit]


class InMemoryWaitlist:
    def __init__(self) -> None:
        self.store = _store("bookings.waitlist")

    async def get(self, entry_id: str) -> Document | None:
        return await self.store.get(entry_id)

    async def waiting(self, session_key: str) -> list[Document]:
        ids = [i for i, d in self.store.documents.items() if d["session_key"] == session_key and d["status"] == WAITING]
        entries = [e for e in [await self.store.get(i) for i in ids] if e is not None]
        return sorted(entries, key=lambda e: (e["joined_at"], e["_id"]))

    async def sessions_waiting(self, limit: int = 100) -> list[str]:
        return sorted({d["session_key"] for d in self.store.documents.values() if d["status"] == WAITING})[:limit]


class InMemoryLedger:
    """Entitlements: what the ledger writes (`Entitlements`) and what a booking command checks (`CreditsHeld`)."""

    def __init__(self) -> None:
        self.store = _store("bookings.entitlement")

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
    def __init__(self, zones: dict[str, str]) -> None:
        self.zones = zones

    async def time_zone(self, site_id: str | None) -> str | None:
        return self.zones.get(site_id) if site_id else None


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
