"""Payments in the store (aggregate, topic `billing.payment`)."""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING

from billing.adapters.documents import payment_of
from billing.domain.payments import Payment
from parkgrid.events import registry
from parkgrid.outbox import MongoAggregateStore
from parkgrid.store import Collection, Document

LIMIT = 500


class Payments:
    def __init__(self, collection: Collection) -> None:
        self.collection = collection
        self.store = MongoAggregateStore(collection, registry=registry, source="billing", topic="billing.payment")

    async def ensure_indexes(self) -> None:
        await self.store.ensure_indexes()
        await self.collection.create_index([("member_id", ASCENDING), ("received_on", ASCENDING)], name="by_member")

    async def get(self, payment_id: str) -> Payment | None:
        doc = await self.store.get(payment_id)
        return None if doc is None else payment_of(doc)

    async def of_member(self, member_id: str, site_id: str | None = None) -> list[Payment]:
        query: Document = {"member_id": member_id}
        if site_id:
            query["site_id"] = site_id
        return [payment_of(doc) async for doc in self.collection.find(query, {"outbox": 0})]

    async def find(self, within: Document, *, member_id: str | None = None, limit: int = LIMIT) -> list[Payment]:
        query: Document = {"member_id": member_id} if member_id else {}
        docs = (
            await self.collection.find({"$and": [query, within]}, {"outbox": 0})
            .sort([("received_on", DESCENDING), ("_id", ASCENDING)])
            .limit(limit)
            .to_list()
        )
        return [payment_of(doc) for doc in docs]
