"""Exports in insights' store: the requests (aggregates whose outbox carries `insights.export.requested`)
and the parts the services answered with, each stored once by (export, service, part)."""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING

from parkgrid.events import registry
from parkgrid.outbox import MongoAggregateStore
from parkgrid.store import Collection, Database, Document, DuplicateKeyError, create_index


class ExportStore:
    """`exports` (the requests, with their outbox) and `export_parts` (the services' answers)."""

    def __init__(self, db: Database) -> None:
        self.requests = MongoAggregateStore(
            db["exports"], registry=registry, source="insights", topic="insights.export"
        )
        self.parts: Collection = db["export_parts"]

    async def ensure_indexes(self) -> None:
        await self.requests.ensure_indexes()
        await create_index(self.parts, [("export_id", ASCENDING)], name="export")

    async def add_part(self, part: Document) -> bool:
        """Keep a part once (a redelivered part is the same part); True if it is new."""
        try:
            await self.parts.insert_one(part)
        except DuplicateKeyError:
            return False
        return True

    async def progress_of(self, export_id: str) -> list[Document]:
        """The parts received, without their records: (service, part, parts)."""
        return await self.parts.find({"export_id": export_id}, {"records": 0}).to_list()

    async def parts_of(self, export_id: str) -> list[Document]:
        return await self.parts.find({"export_id": export_id}).sort([("service", 1), ("part", 1)]).to_list()

    async def mark_ready(self, export_id: str, at: datetime) -> None:
        await self.requests.collection.update_one({"_id": export_id, "ready_at": None}, {"$set": {"ready_at": at}})

    async def forget_before(self, moment: datetime) -> int:
        """Delete the exports that expired before `moment`, and their parts (the store has no TTL)."""
        expired = [
            d["_id"] for d in await self.requests.collection.find({"expires_at": {"$lt": moment}}, {"_id": 1}).to_list()
        ]
        if not expired:
            return 0
        await self.parts.delete_many({"export_id": {"$in": expired}})
        result = await self.requests.collection.delete_many({"_id": {"$in": expired}, "outbox_pending": False})
        return int(result.deleted_count)

    async def forget_member(self, member_id: str) -> int:
        """Delete the exports of an organisation one of whose people was erased (an archive holds
        their name and address) and their parts; how many. A part still on its way is ignored on
        arrival, as for an expired export."""
        gone = [d["_id"] for d in await self.requests.collection.find({"member_id": member_id}, {"_id": 1}).to_list()]
        if not gone:
            return 0
        await self.parts.delete_many({"export_id": {"$in": gone}})
        result = await self.requests.collection.delete_many({"_id": {"$in": gone}})
        return int(result.deleted_count)
