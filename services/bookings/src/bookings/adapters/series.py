"""Recurring series in the store (aggregate, topic `bookings.series`): one document per series
with its rule and each occurrence's outcome, so a series interrupted after some occurrences is
finished by the retry of its request rather than begun again."""

from __future__ import annotations

from pymongo import ASCENDING

from parkgrid.events import registry
from parkgrid.outbox import MongoAggregateStore
from parkgrid.store import Collection, Document, create_index

LIMIT = 100


class SeriesBook:
    def __init__(self, collection: Collection) -> None:
        self.collection = collection
        self.store = MongoAggregateStore(collection, registry=registry, source="bookings", topic="bookings.series")

    async def ensure_indexes(self) -> None:
        await self.store.ensure_indexes()
        await create_index(self.collection, [("member_id", ASCENDING), ("requested_at", ASCENDING)])

    async def get(self, series_id: str) -> Document | None:
        return await self.store.get(series_id)

    async def find(self, member_id: str | None, within: Document, limit: int = LIMIT) -> list[Document]:
        """The series of a member (or all), inside `within` (the caller's scope), oldest first."""
        query: Document = {"member_id": member_id} if member_id else {}
        found: list[Document] = (
            await self.collection.find({"$and": [query, within]}, {"outbox": 0})
            .sort([("requested_at", ASCENDING), ("_id", ASCENDING)])
            .limit(limit)
            .to_list()
        )
        return found
