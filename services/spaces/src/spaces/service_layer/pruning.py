"""Pruning of past reservation holds, since the store has no TTL.

Every space calendar keeps the ranges its reservations hold; without pruning, a busy
meeting room's calendar document would grow by thousands of holds a year and every
reservation would read it whole. Holds that ended more than `keep` ago are removed
(`Calendars.prune`, which also closes the calendar before that instant so no overlap can
hide in the pruned past). The reservations themselves stay: only the calendars forget.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from parkgrid.clock import utc_now
from parkgrid.logging import get_logger
from spaces.adapters.stores import Calendars

log = get_logger(__name__)


class HoldPruner:
    def __init__(
        self,
        calendars: Calendars,
        *,
        keep: timedelta,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.calendars = calendars
        self.keep = keep
        self.clock = clock

    async def prune_once(self) -> int:
        """Prune now; how many holds went."""
        removed = await self.calendars.prune(self.clock() - self.keep)
        if removed:
            log.info("spaces.holds_pruned", removed=removed, keep_days=self.keep.days)
        return removed
