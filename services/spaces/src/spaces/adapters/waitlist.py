"""The office waitlist in the store: one aggregate per entry, and a ticket counter per line.

A ticket is taken with `$inc` on the line's counter document, so two members joining at
once get two different places, in the order the store served them.
"""

from __future__ import annotations

import contextlib
from datetime import datetime

from pymongo import ASCENDING

from parkgrid.contracts.spaces import WaitlistStatus
from parkgrid.store import Database, Document, DuplicateKeyError, create_index
from spaces.adapters.stores import aggregates
from spaces.domain.waitlist import OPEN, Ticket


def ticket_of(doc: Document) -> Ticket:
    return Ticket(entry_id=doc["entry_id"], ticket=int(doc["ticket"]), status=WaitlistStatus(doc["status"]))


class WaitlistStore:
    def __init__(self, db: Database) -> None:
        self.entries = aggregates(db, "office_waitlist", "spaces.waitlist")
        self.lines = db["office_waitlist_lines"]

    async def ensure_indexes(self) -> None:
        await self.entries.ensure_indexes()
        await create_index(self.entries.collection, [("site_id", ASCENDING), ("seats", ASCENDING)], name="line")
        await create_index(self.entries.collection, [("member_id", ASCENDING)], name="member")
        await create_index(self.entries.collection, [("status", ASCENDING), ("offered_at", ASCENDING)], name="offers")

    async def offers_made_before(self, cut: datetime, now: datetime, limit: int = 100) -> list[Document]:
        """Offers still unanswered that were made before `cut`, the oldest first (at most `limit`).

        An offer made before offers could lapse has no `offered_at`: it is stamped `now`, so it
        lapses one answer time after this version started, not at once."""
        offered = WaitlistStatus.OFFERED.value
        await self.entries.collection.update_many(
            {"status": offered, "offered_at": {"$exists": False}}, {"$set": {"offered_at": now}}
        )
        return (
            await self.entries.collection.find({"status": offered, "offered_at": {"$lte": cut}}, {"outbox": 0})
            .sort("offered_at", ASCENDING)
            .limit(limit)
            .to_list()
        )

    async def take_ticket(self, site_id: str, seats: int) -> int:
        line_id = f"{site_id}:{seats}"
        with contextlib.suppress(DuplicateKeyError):
            await self.lines.insert_one({"_id": line_id, "site_id": site_id, "seats": seats, "tickets": 0})
        doc = await self.lines.find_one_and_update({"_id": line_id}, {"$inc": {"tickets": 1}}, return_document=True)
        assert doc is not None
        return int(doc["tickets"])

    async def get(self, entry_id: str) -> Document | None:
        return await self.entries.get(entry_id)

    async def line(self, site_id: str, seats: int) -> list[Document]:
        """The open entries of one line, first in line first."""
        return await self._find({"site_id": site_id, "seats": seats, "status": {"$in": [s.value for s in OPEN]}})

    async def of_site(self, site_id: str, *, open_only: bool = True) -> list[Document]:
        query: Document = {"site_id": site_id}
        if open_only:
            query["status"] = {"$in": [s.value for s in OPEN]}
        return await self._find(query)

    async def of_member(
        self, member_id: str, site_id: str | None = None, seats: int | None = None, *, within: Document | None = None
    ) -> list[Document]:
        """The member's entries (of one site and line, if given), among those matching `within` (a caller's scope)."""
        query: Document = {"$and": [within, {"member_id": member_id}]} if within else {"member_id": member_id}
        if site_id is not None:
            query["site_id"] = site_id
        if seats is not None:
            query["seats"] = seats
        return await self._find(query)

    async def _find(self, query: Document) -> list[Document]:
        docs = await self.entries.collection.find(query, {"outbox": 0}).to_list()
        return sorted(docs, key=lambda d: (d["site_id"], d["seats"], d["ticket"], d["entry_id"]))
