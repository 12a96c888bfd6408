"""Waking the requests that wait for a booking to change (`Prefer: wait=N`), in this process.

A pending booking becomes confirmed or rejected when spaces' answer is applied by the
`reservations` consumer. Re-reading the booking every 100 ms made each waiting request cost
ten store reads a second and added 50 ms to every saga on average; under load the reads
slowed the very consumer they waited for. The consumer that applies the answer usually runs
in the process the request waits in, so it says so here; a request served by another
instance (several in one consumer group) still re-reads, only rarely (`Watch.RECHECK`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator


class Watch:
    """One request's view of one booking: woken when it changed since the last `wait`."""

    RECHECK = 0.5  # seconds: the longest a change applied by another instance goes unseen

    def __init__(self) -> None:
        self._changed = asyncio.Event()

    def _set(self) -> None:
        self._changed.set()

    async def wait(self, at_most: float) -> None:
        """Return when the booking changed, or after `at_most` (capped at RECHECK) seconds."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout=min(at_most, self.RECHECK))
        self._changed.clear()


class BookingChanges:
    """Who waits for which booking. In-process and best effort: a missed wake-up costs RECHECK."""

    def __init__(self) -> None:
        self._watches: dict[str, set[Watch]] = {}

    def changed(self, booking_id: str) -> None:
        for watch in self._watches.get(booking_id, ()):
            watch._set()

    @contextlib.contextmanager
    def watch(self, booking_id: str) -> Iterator[Watch]:
        """Watch from *before* the caller reads the booking, so no change falls in between."""
        watch = Watch()
        self._watches.setdefault(booking_id, set()).add(watch)
        try:
            yield watch
        finally:
            watches = self._watches.get(booking_id)
            if watches is not None:
                watches.discard(watch)
                if not watches:
                    del self._watches[booking_id]
