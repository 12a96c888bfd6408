"""The waitlist's scans, ordered and bounded: who is next in a session (by the atomic `position`),
which sessions have someone waiting (soonest first), and whose session has begun.

`WaitingLines` is `adapters.ledgers.Waitlist` with these queries index-backed
(`status` + `starts_at`, `session_key` + `status` + `position`); bootstrap wires it.
"""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING

from bookings.adapters.ledgers import WAITING, Waitlist
from parkgrid.store import Document

IN_LINE = [("position", ASCENDING), ("_id", ASCENDING)]


class WaitingLines(Waitlist):
    async def ensure_indexes(self) -> None:
        await super().ensure_indexes()
        await self.collection.create_index([("status", ASCENDING), ("starts_at", ASCENDING)])
        await self.collection.create_index([("session_key", ASCENDING), ("status", ASCENDING), ("position", ASCENDING)])

    async def waiting(self, session_key: str) -> list[Document]:
        """The session's waiting places in line order: the position the atomic counter gave."""
        found: list[Document] = (
            await self.collection.find({"session_key": session_key, "status": WAITING}, {"outbox": 0})
            .sort(IN_LINE)
            .to_list()
        )
        return found

    async def sessions_waiting(self, limit: int = 100) -> list[str]:
        """Sessions with someone waiting, soonest first (places of begun sessions leave the line
        by `started`, so they cannot starve the ones still to come)."""
        docs = (
            await self.collection.find({"status": WAITING}, {"session_key": 1, "starts_at": 1})
            .sort([("starts_at", ASCENDING), ("_id", ASCENDING)])
            .limit(limit)
            .to_list()
        )
        return list(dict.fromkeys(d["session_key"] for d in docs))

    async def started(self, before: datetime, limit: int = 200) -> list[Document]:
        """Waiting places whose session began before `before`, oldest session first."""
        found: list[Document] = (
            await self.collection.find({"status": WAITING, "starts_at": {"$lte": before}}, {"outbox": 0})
            .sort([("starts_at", ASCENDING), *IN_LINE])
            .limit(limit)
            .to_list()
        )
        return found
