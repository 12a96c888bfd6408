"""The approvals queue in the store: the bookings awaiting their site's staff, read from the
bookings' own collection (the approval is the booking: no second document to keep in step), by
site and deadline, the most urgent first, and those past their deadline for the sweeper. A
booking of an online offering (no site) is at its member's home site, as for every other read."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pymongo import ASCENDING

from bookings.adapters.bookings import booking_of
from bookings.domain.booking import Booking
from parkgrid import paging
from parkgrid.contracts.bookings import BookingStatus
from parkgrid.store import Collection, Document, create_index

QUEUE_KEY = "decide_by"
DUE_BATCH = 200
AWAITING = BookingStatus.AWAITING_APPROVAL.value


class ApprovalQueue:
    def __init__(self, collection: Collection) -> None:
        self.collection = collection

    async def ensure_indexes(self) -> None:
        await create_index(self.collection, [("site_id", ASCENDING), ("status", ASCENDING), (QUEUE_KEY, ASCENDING)])
        await create_index(self.collection, [("status", ASCENDING), (QUEUE_KEY, ASCENDING)])

    async def waiting(
        self, site_id: str, limit: int, cursor: str | None = None, members: Sequence[str] = ()
    ) -> tuple[list[Booking], str | None]:
        """A page of the site's bookings still awaiting approval, the nearest deadline first; with
        `members` (the site's), their bookings of online offerings too."""
        at_site: Document = {"site_id": site_id}
        if members:
            at_site = {"$or": [at_site, {"site_id": None, "member_id": {"$in": list(members)}}]}
        query: Document = paging.after({**at_site, "status": AWAITING}, QUEUE_KEY, cursor)
        docs = (
            await self.collection.find(query, {"outbox": 0})
            .sort([(QUEUE_KEY, ASCENDING), ("_id", ASCENDING)])
            .limit(limit + 1)
            .to_list()
        )
        page, next_cursor = paging.next_cursor(docs, QUEUE_KEY, limit)
        return [booking_of(doc) for doc in page], next_cursor

    async def due(self, now: datetime, limit: int = DUE_BATCH) -> list[str]:
        """Bookings still awaiting at their deadline: the sweeper expires them."""
        found = (
            await self.collection.find({"status": AWAITING, QUEUE_KEY: {"$lte": now}}, {"_id": 1})
            .sort([(QUEUE_KEY, ASCENDING), ("_id", ASCENDING)])
            .limit(limit)
            .to_list()
        )
        return [str(doc["_id"]) for doc in found]
