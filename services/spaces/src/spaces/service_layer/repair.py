"""Repair of abandoned residency holds: days nobody will ever give back.

Days are taken on a space's calendar before the residency or the offer says so, and given
back after the offer lapsed or was declined: a crash in between leaves them held with no
residency and no offer to answer for them. Every sweep stamps the residency holds it has not
seen yet (`held_at`) and removes those seen more than `grace` ago that are abandoned
(`domain.waitlist.abandoned`). The removal is one write guarded by the calendar's version:
taking the days again (a retried start or offer, `Calendars.take_days`) rewrites the hold,
so a repair that read the calendar before cannot remove it; of two sweeps racing, one
removes and the other finds nothing left.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from parkgrid.clock import utc_now
from parkgrid.contracts.spaces import WaitlistStatus
from parkgrid.logging import get_logger
from spaces.adapters.stores import SpacesStore
from spaces.adapters.waitlist import WaitlistStore
from spaces.domain.model import Hold
from spaces.domain.waitlist import abandoned, offer_entry_of

log = get_logger(__name__)


class HoldRepair:
    def __init__(
        self,
        store: SpacesStore,
        waitlist: WaitlistStore,
        *,
        grace: timedelta = timedelta(hours=1),
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = store
        self.waitlist = waitlist
        self.grace = grace
        self.clock = clock

    async def repair_once(self) -> int:
        """Remove the abandoned residency holds of every calendar; how many this sweep removed."""
        now = self.clock()
        removed = 0
        calendars = self.store.calendars
        for doc in await calendars.with_residency_holds():
            while True:
                calendar = await calendars.stamp_residency_holds(doc["_id"], doc["site_id"], now)
                gone = {h.reservation_id for h in calendar.holds if await self._abandoned(h, now - self.grace)}
                if not gone:
                    break
                if await calendars.drop_holds(calendar, gone):
                    removed += len(gone)
                    log.info("spaces.abandoned_holds_removed", space_id=calendar.space_id, holds=sorted(gone))
                    break
        return removed

    async def _abandoned(self, hold: Hold, seen_before: datetime) -> bool:
        if not hold.residency or hold.held_at is None or hold.held_at > seen_before:
            return False  # the cheap part of the rule first: no reads for most holds
        residency_id = hold.reservation_id.split("/")[0]  # a moved residency's stays: `<id>/<n>`
        found = await self.store.residencies.get(residency_id) is not None
        entry_id = offer_entry_of(residency_id)
        entry = await self.waitlist.get(entry_id) if entry_id and not found else None
        status = WaitlistStatus(entry["status"]) if entry else None
        return abandoned(hold, seen_before, found, status)
