"""`Prefer: wait` requests are woken by the change they wait for, not by polling."""

from __future__ import annotations

import asyncio
import time
from typing import cast

from bookings.domain.booking import Booking
from bookings.service_layer.changes import BookingChanges, Watch


async def test_a_change_wakes_its_watchers_at_once() -> None:
    changes = BookingChanges()
    with changes.watch("bk-1") as watch, changes.watch("bk-1") as other:
        asyncio.get_running_loop().call_later(0.05, changes.changed, "bk-1")
        began = time.monotonic()
        await asyncio.gather(watch.wait(10), other.wait(10))
        assert time.monotonic() - began < Watch.RECHECK


async def test_a_change_made_before_waiting_is_not_missed() -> None:
    changes = BookingChanges()
    with changes.watch("bk-1") as watch:
        changes.changed("bk-1")  # between the caller's read and its wait
        began = time.monotonic()
        await watch.wait(10)
        assert time.monotonic() - began < Watch.RECHECK


async def test_without_a_change_a_watcher_rechecks_and_others_are_not_woken() -> None:
    changes = BookingChanges()
    with changes.watch("bk-1") as watch:
        changes.changed("bk-2")
        began = time.monotonic()
        await watch.wait(10)
        assert time.monotonic() - began >= Watch.RECHECK * 0.9  # woken by the recheck, not by bk-2
    assert not changes._watches  # nothing kept once the request is answered


async def test_a_change_brings_the_booking_as_written_and_the_newest_version_wins() -> None:
    """The waiting request answers from what the change wrote, without reading the booking again."""
    changes = BookingChanges()
    confirmed, cancelled = cast(Booking, "confirmed"), cast(Booking, "cancelled")
    with changes.watch("bk-1") as watch:
        changes.changed("bk-1", (cancelled, 3))
        changes.changed("bk-1", (confirmed, 2))  # an older write heard late
        assert await watch.wait(10) == (cancelled, 3)
        changes.changed("bk-1")  # a change that did not say: the request reads the booking
        assert await watch.wait(10) is None
