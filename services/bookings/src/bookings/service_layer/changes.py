"""Waking the requests that wait for a booking to change (`Prefer: wait=N`), in this process.

A pending booking becomes confirmed or rejected when spaces' answer is applied by the
`reservations` consumer. Re-reading the booking every 100 ms made each waiting request cost
ten store reads a second and added 50 ms to every saga on average; under load the reads
slowed the very consumer they waited for. The consumer that applies the answer usually runs
in the process the request waits in, so it says so here; a request served by another
instance (several in one consumer group) still re-reads, only rarely (`Watch.RECHECK`).

The change comes with the booking as it was written (and its version), so the request it wakes
answers without reading it again: the saga's answer is one store read shorter.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator

from bookings.domain.booking import Booking

Written = tuple[Booking, int]
"""A booking as a change wrote it, at its version."""

Changed = Callable[[str, Written | None], None]
"""What wakes the requests waiting for a booking (`BookingChanges.changed`)."""


class Watch:
    """One request's view of one booking: woken when it changed since the last `wait`."""

    RECHECK = 0.5  # seconds: the longest a change applied by another instance goes unseen

    def __init__(self) -> None:
        self._changed = asyncio.Event()
        self._written: Written | None = None

    def _set(self, written: Written | None) -> None:
        if written is not None and (self._written is None or written[1] > self._written[1]):
            self._written = written
        self._changed.set()

    async def wait(self, at_most: float) -> Written | None:
        """Return when the booking changed, or after `at_most` (capped at RECHECK) seconds: the
        booking as the change wrote it, if it said (None: read it)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout=min(at_most, self.RECHECK))
        self._changed.clear()
        written, self._written = self._written, None
        return written


class BookingChanges:
    """Who waits for which booking. In-process and best effort: a missed wake-up costs RECHECK."""

    def __init__(self) -> None:
        self._watches: dict[str, set[Watch]] = {}

    def changed(self, booking_id: str, written: Written | None = None) -> None:
        for watch in self._watches.get(booking_id, ()):
            watch._set(written)

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
