"""Invoices and credit notes in the store (aggregate, topic `billing.invoice`), and their numbers.

Numbers are gapless per series (legal entity, kind, year): a number is a document of its own,
`<series>:<n>`, inserted only as the series' highest plus one, so two closes that read the
same highest collide on the id and the loser takes the next; a unique index on the invoice
makes one invoice hold at most one number. A close that crashed after taking a number and
before issuing finds the number again by its invoice, so no number is ever left unused.
"""

from __future__ import annotations

from datetime import date

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import PyMongoError

from billing.adapters.documents import invoice_of
from billing.domain.invoices import Invoice
from parkgrid import paging
from parkgrid.contracts.billing import DocumentKind, InvoiceStatus
from parkgrid.events import registry
from parkgrid.outbox import MongoAggregateStore
from parkgrid.store import Collection, Document, create_index, is_duplicate_key


class Invoices:
    def __init__(self, collection: Collection) -> None:
        self.collection = collection
        self.store = MongoAggregateStore(collection, registry=registry, source="billing", topic="billing.invoice")

    async def ensure_indexes(self) -> None:
        await self.store.ensure_indexes()
        await create_index(self.collection, [("member_id", ASCENDING), ("issued_on", ASCENDING)], name="by_member")
        await create_index(self.collection, [("site_id", ASCENDING), ("status", ASCENDING)], name="by_site")

    async def get(self, invoice_id: str) -> tuple[Invoice, int] | None:
        doc = await self.store.get(invoice_id)
        return None if doc is None else (invoice_of(doc), int(doc["version"]))

    async def drafts(self) -> list[str]:
        """Invoices a close created and did not issue (it crashed, or is issuing them now)."""
        return [str(d["_id"]) async for d in self.collection.find({"status": "draft"}, {"_id": 1})]

    async def find(self, within: Document, *, period: str | None = None) -> list[Invoice]:
        """Every issued invoice and credit note inside `within` (of `period`), for jobs, not for pages."""
        query: Document = {"status": {"$ne": "draft"}, **({"period": period} if period else {})}
        return [invoice_of(doc) async for doc in self.collection.find({"$and": [query, within]}, {"outbox": 0})]

    async def page(
        self,
        within: Document,
        *,
        member_id: str | None = None,
        site_id: str | None = None,
        period: str | None = None,
        overdue_on: date | None = None,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[Invoice], str | None]:
        """One page of the issued invoices and credit notes inside `within` (the caller's scope),
        newest first, and the cursor of the next. With `overdue_on`, only the invoices overdue that
        day: the store narrows to unpaid invoices past their due date, the rule (`Invoice.overdue`,
        which also counts credit notes) decides, so a page may hold fewer than `limit`."""
        query: Document = {"status": {"$ne": "draft"}}
        for name, value in (("member_id", member_id), ("site_id", site_id), ("period", period)):
            if value:
                query[name] = value
        if overdue_on is not None:
            query["status"] = {"$in": [InvoiceStatus.ISSUED.value, InvoiceStatus.PARTIALLY_PAID.value]}
            query["kind"] = DocumentKind.INVOICE.value
            query["due_on"] = {"$lt": overdue_on.isoformat()}
        docs, following = await paging.page(
            self.collection, {"$and": [query, within]}, "issued_on", limit, cursor, newest_first=True
        )
        found = [invoice_of(doc) for doc in docs]
        return [i for i in found if overdue_on is None or i.overdue(overdue_on)], following

    async def of_member(self, member_id: str, site_id: str | None = None) -> list[Invoice]:
        query: Document = {"member_id": member_id, "status": {"$ne": "draft"}}
        if site_id:
            query["site_id"] = site_id
        return [invoice_of(doc) async for doc in self.collection.find(query, {"outbox": 0})]

    async def credited_charges(self, invoice_id: str) -> list[str]:
        """The charges credit notes already took back from `invoice_id`."""
        notes = self.collection.find({"credits_invoice_id": invoice_id}, {"lines.charge_id": 1})
        return [str(line["charge_id"]) async for note in notes for line in note["lines"]]


class Numbers:
    """The gapless numbering of every series."""

    def __init__(self, collection: Collection) -> None:
        self.collection = collection

    async def ensure_indexes(self) -> None:
        await create_index(self.collection, [("invoice_id", ASCENDING)], name="one_number_per_invoice", unique=True)
        await create_index(self.collection, [("series", ASCENDING), ("n", DESCENDING)], name="highest")

    async def of(self, invoice_id: str) -> int | None:
        found = await self.collection.find_one({"invoice_id": invoice_id})
        return None if found is None else int(found["n"])

    async def take(self, series: str, invoice_id: str) -> int:
        """The invoice's number in `series`: the one it holds, else the series' next."""
        while True:
            held = await self.of(invoice_id)
            if held is not None:
                return held
            highest = await self.collection.find_one({"series": series}, sort=[("n", DESCENDING)])
            n = 1 if highest is None else int(highest["n"]) + 1
            try:
                await self.collection.insert_one(
                    {"_id": f"{series}:{n:06d}", "series": series, "n": n, "invoice_id": invoice_id}
                )
                return n
            except PyMongoError as exc:
                if not is_duplicate_key(exc):
                    raise
                # Another close took n (loop: read the new highest), or this invoice holds one (loop: found).

    async def in_series(self, series: str) -> list[int]:
        return sorted([int(d["n"]) async for d in self.collection.find({"series": series}, {"n": 1})])
