"""Approvals in the store: one document per booking that waits for staff (`_id` the booking's),
version-guarded like every aggregate so one decision wins; the site's queue is read by site,
status and deadline (the most urgent first)."""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING

from bookings.domain.approvals import ApprovalStatus
from parkgrid.events import registry
from parkgrid.outbox import MongoAggregateStore
from parkgrid.store import Collection, Document

LIMIT = 100


class ApprovalBook:
    def __init__(self, collection: Collection) -> None:
        self.collection = collection
        self.store = MongoAggregateStore(collection, registry=registry, source="bookings", topic="bookings.approvals")

    async def ensure_indexes(self) -> None:
        await self.store.ensure_indexes()
        await self.collection.create_index([("site_id", ASCENDING), ("status", ASCENDING), ("deadline", ASCENDING)])

    async def get(self, booking_id: str) -> Document | None:
        return await self.store.get(booking_id)

    async def queue(self, site_id: str, limit: int = LIMIT) -> list[Document]:
        """The site's bookings still waiting, the nearest deadline first."""
        found: list[Document] = (
            await self.collection.find({"site_id": site_id, "status": ApprovalStatus.WAITING.value}, {"outbox": 0})
            .sort([("deadline", ASCENDING), ("_id", ASCENDING)])
            .limit(limit)
            .to_list()
        )
        return found

    async def due(self, now: datetime, limit: int = LIMIT) -> list[str]:
        """Bookings whose decision is overdue: the sweeper expires them."""
        found = (
            await self.collection.find({"status": ApprovalStatus.WAITING.value, "deadline": {"$lte": now}}, {"_id": 1})
            .limit(limit)
            .to_list()
        )
        return [str(doc["_id"]) for doc in found]
