"""The services' default clock: now, aware, in UTC.

Handlers and stores take their clock as a parameter so the fast tests can pass a fixed one;
this is what every service passes otherwise (one definition, not a `_now` per service).
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """The current instant, aware, in UTC."""
    return datetime.now(UTC)
