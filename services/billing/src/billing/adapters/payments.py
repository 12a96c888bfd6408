"""Payments in the store (aggregate, topic `billing.payment`)."""

from __future__ import annotations

from pymongo import ASCENDING

from billing.adapters.documents import payment_of
from billing.domain.payments import Payment
from parkgrid import paging
from parkgrid.events import registry
from parkgrid.outbox import MongoAggregateStore
from parkgrid.store import Collection, Document, create_index


class Payments:
    def __init__(self, collection: Collection) -> None:
        self.collection = collection
        self.store = MongoAggregateStore(collection, registry=registry, source="billing", topic="billing.payment")

    async def ensure_indexes(self) -> None:
        await self.store.ensure_indexes()
        await create_index(self.collection, [("member_id", ASCENDING), ("received_on", ASCENDING)], name="by_member")

    async def get(self, payment_id: str) -> Payment | None:
        doc = await self.store.get(payment_id)
        return None if doc is None else payment_of(doc)

    async def of_member(self, member_id: str, site_id: str | None = None) -> list[Payment]:
        query: Document = {"member_id": member_id}
        if site_id:
            query["site_id"] = site_id
        return [payment_of(doc) async for doc in self.collection.find(query, {"outbox": 0})]

    async def page(
        self, within: Document, *, member_id: str | None = None, limit: int, cursor: str | None
    ) -> tuple[list[Payment], str | None]:
        """One page of the payments inside `within` (the caller's scope), newest received first, and
        the cursor of the next."""
        query: Document = {"member_id": member_id} if member_id else {}
        docs, following = await paging.page(
            self.collection, {"$and": [query, within]}, "received_on", limit, cursor, newest_first=True
        )
        return [payment_of(doc) for doc in docs], following
