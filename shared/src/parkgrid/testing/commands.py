"""The store commands a piece of work sends, as the bench counts them (issue 21).

Every command a service's client sends passes through `parkgrid.metrics.StoreCommands` (the
`parkgrid_store_commands_total` counter the bench reads). `store_commands()` also records, while
it is open, each command started in its context, tasks started from it included (reads run at
once by `asyncio.gather` count too), as "<command> <collection>": what a request costs, apart
from what the background (the relay, the consumers) sends meanwhile.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

from pymongo import monitoring

from parkgrid.metrics import StoreCommands

_seen: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("store_commands_seen", default=None)


@contextlib.contextmanager
def store_commands() -> Iterator[list[str]]:
    """The commands started in this context while open, in order ("insert bookings", ...)."""
    seen: list[str] = []
    counted = StoreCommands.started

    def started(self: StoreCommands, event: monitoring.CommandStartedEvent) -> None:
        counted(self, event)
        log = _seen.get()
        if log is not None:
            log.append(f"{event.command_name} {event.command.get(event.command_name)}")

    StoreCommands.started = started  # type: ignore[method-assign]
    token = _seen.set(seen)
    try:
        yield seen
    finally:
        _seen.reset(token)
        StoreCommands.started = counted  # type: ignore[method-assign]


__all__ = ["store_commands"]
