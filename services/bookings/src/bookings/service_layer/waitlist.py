"""Leaving a waitlist: a member (or the desk) takes a place out of line, the sweeper does the same
for places whose session has begun, and promotion for members who no longer qualify.

One rule (`domain.waitlist.leave`) applied by the kit's `change` on the place's document: the
version guard decides between two leaves, or a leave and a promotion (`domain.waitlist.promote`,
the same guard), so a place leaves once (`WaitlistLeft` once) and a promoted place cannot leave.
Leaving frees the member's place in the session (held for the booking the place would have
become), idempotently.
"""

from __future__ import annotations

from datetime import datetime

from bookings.domain import waitlist as places
from bookings.domain.booking import Unavailable
from bookings.service_layer.parts import Parts
from bookings.service_layer.publication import publication
from parkgrid.aggregates import Decision, change
from parkgrid.logging import get_logger
from parkgrid.outbox import VersionConflict
from parkgrid.store import Document

log = get_logger(__name__)


class Leaving:
    def __init__(self, parts: Parts) -> None:
        self.parts = parts

    async def leave(self, entry_id: str, reason: str = "left") -> Document:
        """Take the place out of line (404 unknown, 409 not waiting); the place as saved."""
        now = self.parts.now()

        def rule(doc: Document) -> Decision:
            left, happened = places.leave(doc, reason, now)
            return left, publication(happened)

        doc, _ = await change(self.parts.waitlist.store, entry_id, rule, what="waitlist place")
        self.parts.written()
        await self.parts.seats.sessions.free_place(doc["session_key"], doc["member_id"], doc["booking_id"])
        log.info("bookings.waitlist_left", entry=entry_id, reason=reason)
        return doc

    async def expire_started(self, now: datetime, batch: int = 200) -> int:
        """Places still waiting when their session began leave with `session_started`, batch by
        batch (each one bounded read) until a batch changes nothing."""
        expired = 0
        while True:
            found = await self.parts.waitlist.started(now, batch)
            moved = 0
            for place in found:
                try:
                    await self.leave(place["_id"], "session_started")
                    moved += 1
                except Unavailable:
                    continue  # promoted or left meanwhile
                except VersionConflict:
                    log.info("bookings.waitlist_place_kept_moving", entry=place["_id"])
            expired += moved
            if len(found) < batch or moved == 0:
                return expired
