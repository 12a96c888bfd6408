"""Waitlist places in the store (aggregate, topic `bookings.waitlist`) and their scans, each
ordered and bounded by an index: who is next in a session (by the atomic `position`), which
sessions have someone waiting (soonest first, page by page), and whose session has begun.

A place's `booking_id` is the booking it becomes when promoted, which also holds the member's
place in the session. `ports.WaitingLines` is what the service layer asks of it;
`tests/bookings_fakes.InMemoryWaitlist` answers the same queries in the same order.
"""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING

from bookings.domain.waitlist import WAITING
from parkgrid import paging
from parkgrid.events import registry
from parkgrid.outbox import MongoAggregateStore
from parkgrid.store import Collection, Document, create_index

IN_LINE = [("position", ASCENDING), ("_id", ASCENDING)]
SESSIONS_KEY = "starts_at"


class WaitingLines:
    def __init__(self, collection: Collection) -> None:
        self.collection = collection
        self.store = MongoAggregateStore(collection, registry=registry, source="bookings", topic="bookings.waitlist")

    async def ensure_indexes(self) -> None:
        await self.store.ensure_indexes()
        await create_index(self.collection, [("status", ASCENDING), ("starts_at", ASCENDING)])
        await create_index(
            self.collection, [("session_key", ASCENDING), ("status", ASCENDING), ("position", ASCENDING)]
        )
        await create_index(self.collection, [("member_id", ASCENDING), ("joined_at", ASCENDING)])

    async def get(self, entry_id: str) -> Document | None:
        return await self.store.get(entry_id)

    async def waiting(self, session_key: str) -> list[Document]:
        """The session's waiting places in line order: the position the atomic counter gave."""
        found: list[Document] = (
            await self.collection.find({"session_key": session_key, "status": WAITING}, {"outbox": 0})
            .sort(IN_LINE)
            .to_list()
        )
        return found

    async def sessions_waiting(self, cursor: str | None = None, limit: int = 100) -> tuple[list[str], str | None]:
        """Sessions with someone waiting, soonest first, from `limit` waiting places after `cursor`;
        and the cursor of the next batch (None at the end). Every batch is one bounded read over
        the (status, starts_at) index, so a scan reaches every session however many wait."""
        docs = (
            await self.collection.find(
                paging.after({"status": WAITING}, SESSIONS_KEY, cursor), {"session_key": 1, "starts_at": 1}
            )
            .sort([(SESSIONS_KEY, ASCENDING), ("_id", ASCENDING)])
            .limit(limit + 1)
            .to_list()
        )
        batch, next_cursor = paging.next_cursor(docs, SESSIONS_KEY, limit)
        return list(dict.fromkeys(d["session_key"] for d in batch)), next_cursor

    async def started(self, before: datetime, limit: int = 200) -> list[Document]:
        """Waiting places whose session began before `before`, oldest session first."""
        found: list[Document] = (
            await self.collection.find({"status": WAITING, "starts_at": {"$lte": before}}, {"outbox": 0})
            .sort([("starts_at", ASCENDING), *IN_LINE])
            .limit(limit)
            .to_list()
        )
        return found

    async def find(
        self, member_id: str | None, offering_id: str | None, within: Document | None = None, limit: int = 100
    ) -> list[Document]:
        """Waitlist places of the member and/or offering, inside `within` (the caller's scope)."""
        query: Document = {}
        if member_id:
            query["member_id"] = member_id
        if offering_id:
            query["offering_id"] = offering_id
        if within:
            query = {"$and": [query, within]} if query else within
        found: list[Document] = (
            await self.collection.find(query, {"outbox": 0}).sort([("joined_at", ASCENDING)]).limit(limit).to_list()
        )
        return found
