"""What billing knows of other contexts, from their events: offerings' prices, spaces' names,
residencies as the stays they made up, and billing profiles (ICE, language) staff keep here."""

from __future__ import annotations

from datetime import date

from pymongo import ASCENDING

from billing.adapters.documents import residency_of, residency_state
from billing.domain.charges import OfferingPrice, Residency
from parkgrid.contracts.common import SpaceKind
from parkgrid.envelope import Envelope
from parkgrid.projection import SEQ_FIELD, Projection
from parkgrid.store import Collection, Document, create_index


class OfferingPrices:
    """Each offering's price (None: free or paid in credits), newest event wins."""

    def __init__(self, collection: Collection) -> None:
        self.projection = Projection(collection)

    async def apply(self, envelope: Envelope, offering_id: str, price: OfferingPrice | None) -> None:
        fields = {"amount_minor": price.amount_minor, "currency": price.currency} if price else {"amount_minor": None}
        await self.projection.apply_event(envelope, fields)

    async def known(self, offering_id: str) -> bool:
        return await self.projection.get(offering_id) is not None

    async def price(self, offering_id: str) -> OfferingPrice | None:
        doc = await self.projection.get(offering_id)
        if doc is None or doc.get("amount_minor") is None:
            return None
        return OfferingPrice(int(doc["amount_minor"]), str(doc["currency"]))


class SpaceNames:
    def __init__(self, collection: Collection) -> None:
        self.projection = Projection(collection)

    async def apply(self, envelope: Envelope, fields: Document) -> None:
        await self.projection.apply_event(envelope, fields)

    async def names(self) -> dict[str, str]:
        return {str(d["_id"]): str(d["name"]) async for d in self.projection.collection.find({}, {"name": 1})}

    async def name(self, space_id: str) -> str:
        doc = await self.projection.get(space_id)
        return space_id if doc is None else str(doc["name"])


class Residencies:
    """Residencies as the stays they made up; each event applied once, in order (its sequence guards it)."""

    def __init__(self, collection: Collection) -> None:
        self.collection = collection

    async def ensure_indexes(self) -> None:
        await create_index(self.collection, [("sites", ASCENDING), ("last_day", ASCENDING)], name="by_site")

    async def get(self, residency_id: str) -> tuple[Residency, int] | None:
        doc = await self.collection.find_one({"_id": residency_id})
        return None if doc is None else (residency_of(doc), int(doc.get(SEQ_FIELD, 0)))

    async def save(self, residency: Residency, sequence: int, seen: int | None) -> None:
        """Store the residency at `sequence` if it is still as read (`seen`: its sequence then; None: new)."""
        state = {**residency_state(residency), SEQ_FIELD: sequence}
        if seen is None:
            await self.collection.update_one({"_id": residency.residency_id}, {"$setOnInsert": state}, upsert=True)
        else:
            await self.collection.update_one({"_id": residency.residency_id, SEQ_FIELD: seen}, {"$set": state})

    async def at_site_during(self, site_id: str, first: date, last: date) -> list[Residency]:
        found = self.collection.find(
            {"sites": site_id, "first_day": {"$lte": last.isoformat()}, "last_day": {"$gte": first.isoformat()}}
        )
        return [residency_of(doc) async for doc in found]

    async def offices_of(self, member_id: str, site_id: str, first: date, last: date) -> int:
        """How many private offices the member held at the site between `first` and `last` (a move is one)."""
        held = await self.at_site_during(site_id, first, last)
        return sum(
            1
            for residency in held
            if residency.member_id == member_id
            and any(
                stay.site_id == site_id
                and stay.kind == SpaceKind.PRIVATE_OFFICE
                and stay.first_day <= last
                and stay.last_day >= first
                for stay in residency.stays
            )
        )

    async def drop(self) -> None:
        await self.collection.drop()


class Profiles:
    """Billing profiles of member organisations: ICE, billing address, invoice language (kept by staff)."""

    def __init__(self, collection: Collection) -> None:
        self.collection = collection

    async def get(self, member_id: str) -> Document | None:
        return await self.collection.find_one({"_id": member_id})

    async def put(self, member_id: str, profile: Document) -> Document:
        await self.collection.update_one({"_id": member_id}, {"$set": profile}, upsert=True)
        return {"_id": member_id, **profile}
