"""A background worker's pace: a round whenever something new wakes it, else every `interval` seconds,
until stopped. The mailer and the webhooks' worker run this way; a failed round (the store away)
is logged and the next one tries again."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from parkgrid.logging import get_logger

log = get_logger(__name__)


class Rounds:
    def __init__(self, name: str, interval: float) -> None:
        self.name = name
        self.interval = interval
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()

    def wake(self) -> None:
        """Something is due now: do not wait for the interval."""
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def run(self, one_round: Callable[[], Awaitable[object]]) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                await one_round()
            except Exception as exc:  # the store may be away; try again next round
                log.warning(f"{self.name}.round_failed", error=repr(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval)
