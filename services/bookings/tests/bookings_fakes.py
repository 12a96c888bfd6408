"""Bookings' service layer on in-memory stores: no broker, no store, the same rules.

The aggregates are the kit's `InMemoryAggregateStore` (proved against MongoDB's by the kit's
suite), the seat guards `InMemorySeats` (proved by `test_bookings_seats`); what is left are
the few queries the commands make, answered here from those documents.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Iterable, Sequence
from datetime import datetime

from bookings.adapters.bookings import BookingAggregates
from bookings.adapters.guards import InMemorySeats
from bookings.adapters.ledgers import WAITING, entitlement_of
from bookings.domain.booking import Booking, MemberFacts
from bookings.domain.entitlements import Allowance, Entitlement
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


class InMemoryAllowances:
    """`Allowances` in a dict: the same guard as `MemberAllowances.allowance_filter`, checked and
    applied with no await in between (`test_bookings_allowances_contract` holds both to one suite)."""

    def __init__(self) -> None:
        self.allowances: dict[str, Document] = {}

    async def reserve(self, allowance: Allowance, booking_id: str, replaces: str | None = None) -> bool:
        await asyncio.sleep(0)  # a real store's round trip: concurrent reservations interleave here too
        if allowance.amount > allowance.limit:
            return False
        doc = self.allowances.setdefault(
            allowance.allowance_id,
            {
                "_id": allowance.allowance_id,
                "member_id": allowance.member_id,
                "kind": allowance.kind,
                "limit": allowance.limit,
                "used": 0,
                "held": {},
            },
        )
        if booking_id in doc["held"]:
            return True
        room = doc["used"] <= allowance.limit - allowance.amount
        lent = replaces is not None and replaces in doc["held"] and doc["used"] <= allowance.limit
        if not (room or lent):
            return False
        doc["used"] += allowance.amount
        doc["held"][booking_id] = allowance.amount
        return True

    async def give_back(self, member_id: str, booking_id: str, kinds: Sequence[str]) -> int:
        await asyncio.sleep(0)
        given = 0
        for doc in self.allowances.values():
            if doc["member_id"] == member_id and doc["kind"] in kinds and booking_id in doc["held"]:
                doc["used"] -= doc["held"].pop(booking_id)
                given += 1
        return given

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

    async def time_zone(self, site_id: str | None) -> str | None:
        return self.zones.get(site_id) if site_id else None

    async def refusal_for(self, site_id: str, starts_at: datetime, ends_at: datetime) -> str | None:
        return self.closed.get(site_id)


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
