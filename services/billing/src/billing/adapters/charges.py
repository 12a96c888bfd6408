"""Charges in the store (aggregate, topic `billing.charge`), and the claim of a month's charges by its invoice."""

from __future__ import annotations

from datetime import date

from pymongo import ASCENDING

from billing.adapters.documents import charge_of
from billing.domain.charges import Charge
from parkgrid import paging
from parkgrid.contracts.billing import ChargeStatus
from parkgrid.events import registry
from parkgrid.outbox import MongoAggregateStore
from parkgrid.store import Collection, Document, create_index


class Charges:
    def __init__(self, collection: Collection) -> None:
        self.collection = collection
        self.store = MongoAggregateStore(collection, registry=registry, source="billing", topic="billing.charge")

    async def ensure_indexes(self) -> None:
        await self.store.ensure_indexes()
        await create_index(
            self.collection,
            [("site_id", ASCENDING), ("status", ASCENDING), ("billable_on", ASCENDING)],
            name="open_by_site",
        )
        await create_index(self.collection, [("member_id", ASCENDING), ("billable_on", ASCENDING)], name="by_member")
        await create_index(self.collection, [("invoice_id", ASCENDING)], name="by_invoice")

    async def get(self, charge_id: str) -> Charge | None:
        doc = await self.store.get(charge_id)
        return None if doc is None else charge_of(doc)

    def _open(self, site_id: str, until: date) -> Document:
        return {"site_id": site_id, "status": ChargeStatus.OPEN.value, "billable_on": {"$lte": until.isoformat()}}

    async def members_owing(self, site_id: str, until: date) -> list[str]:
        """The members with open charges at the site billable on or before `until`: not claimed yet,
        or claimed by a close that stopped before it issued (it is finished, not skipped)."""
        found = await self.collection.distinct("member_id", self._open(site_id, until))
        return sorted(str(member) for member in found)

    async def claim(self, invoice_id: str, site_id: str, member_id: str, until: date) -> None:
        """Put the member's open, unclaimed charges up to `until` on `invoice_id`.

        The claim moves each charge's version, so a void decided on the charge as it was before
        the claim fails its version guard, reads it again and finds it invoiced."""
        await self.collection.update_many(
            {**self._open(site_id, until), "member_id": member_id, "invoice_id": None},
            {"$set": {"invoice_id": invoice_id}, "$inc": {"version": 1}},
        )

    async def on_invoice(self, invoice_id: str) -> list[Charge]:
        docs = await self.collection.find({"invoice_id": invoice_id}, {"outbox": 0}).to_list()
        return [charge_of(doc) for doc in docs]

    async def mark_invoiced(self, invoice_id: str) -> None:
        await self.collection.update_many(
            {"invoice_id": invoice_id, "status": ChargeStatus.OPEN.value},
            {"$set": {"status": ChargeStatus.INVOICED.value}, "$inc": {"version": 1}},
        )

    async def page(
        self,
        within: Document,
        *,
        member_id: str | None = None,
        status: str | None = None,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[Charge], str | None]:
        """One page of the charges inside `within` (the caller's scope), newest billable first, and
        the cursor of the next."""
        query: Document = {}
        if member_id:
            query["member_id"] = member_id
        if status:
            query["status"] = status
        docs, following = await paging.page(
            self.collection, {"$and": [query, within]}, "billable_on", limit, cursor, newest_first=True
        )
        return [charge_of(doc) for doc in docs], following
