"""A site's day as the front desk reads it: bookings grouped by local hour.

The bookings service answers `/v1/sites/{id}/day` with the day's bookings; whether it
groups them itself or not, the page shows them per hour of the site's own clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

ACTIVE_BOOKING = ("pending", "confirmed", "checked_in", "completed", "no_show")


@dataclass
class Hour:
    """One hour of the day and the bookings starting in it."""

    label: str
    bookings: list[dict[str, Any]] = field(default_factory=list)


def bookings_of_day(answer: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every booking in a day answer, whether it came flat (`items`/`bookings`) or by hour (`hours`)."""
    for key in ("items", "bookings"):
        if isinstance(answer.get(key), list):
            return [dict(b) for b in answer[key]]
    found: list[dict[str, Any]] = []
    for hour in answer.get("hours") or []:
        for key in ("items", "bookings"):
            found += [dict(b) for b in hour.get(key) or []]
    return found


def starts_of(booking: Mapping[str, Any]) -> datetime | None:
    session = booking.get("session") or {}
    raw = session.get("starts_at") or booking.get("starts_at")
    if not raw:
        return None
    try:
        return datetime.fromisoformat(str(raw))
    except ValueError:
        return None


def by_hour(bookings: Iterable[Mapping[str, Any]], time_zone: str) -> list[Hour]:
    """Bookings grouped by the local hour they start in, earliest first; each one gains `local_start`."""
    zone = ZoneInfo(time_zone)
    hours: dict[int, Hour] = {}
    for booking in bookings:
        starts = starts_of(booking)
        if starts is None:
            continue
        local = starts.astimezone(zone)
        entry = {**booking, "local_start": local.strftime("%H:%M")}
        hour = hours.setdefault(local.hour, Hour(label=f"{local.hour:02d}:00"))
        hour.bookings.append(entry)
    for hour in hours.values():
        hour.bookings.sort(key=lambda b: (b["local_start"], str(b.get("booking_id", ""))))
    return [hours[h] for h in sorted(hours)]


def local_time(value: str | None, time_zone: str, fmt: str = "%H:%M") -> str:
    """An RFC 3339 instant shown on the site's clock ('' when absent or unreadable)."""
    if not value:
        return ""
    try:
        return datetime.fromisoformat(value).astimezone(ZoneInfo(time_zone)).strftime(fmt)
    except (ValueError, KeyError):
        return value
