"""A site's day as the front desk shows it: the bookings of each local hour, earliest first.

Bookings answers `/v1/sites/{id}/day` already grouped by the hour of the site's own clock
(`parkgrid.api.bookings.SiteDay`); the page adds each booking's local start time and keeps
the hours that have bookings, in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from parkgrid.api.bookings import SiteDay, SiteDayBooking


@dataclass(frozen=True)
class HourBooking:
    """A booking of the hour and when it starts on the site's clock (`HH:MM`)."""

    local_start: str
    booking: SiteDayBooking


@dataclass
class Hour:
    """One hour of the day and the bookings starting in it."""

    label: str
    bookings: list[HourBooking] = field(default_factory=list)


def hours_of(day: SiteDay) -> list[Hour]:
    """The day's hours that have bookings, earliest first; in each, bookings by start then id."""
    hours = []
    for hour in sorted(day.hours, key=lambda h: h.hour):
        entries = [HourBooking(local_time(b.starts_at, day.time_zone), b) for b in hour.bookings]
        if entries:
            entries.sort(key=lambda e: (e.local_start, e.booking.booking_id))
            hours.append(Hour(label=hour.hour, bookings=entries))
    return hours


def local_time(value: datetime | str | None, time_zone: str, fmt: str = "%H:%M") -> str:
    """An instant (or its RFC 3339 text) shown on the site's clock ('' when absent; the text when unreadable)."""
    if not value:
        return ""
    try:
        instant = value if isinstance(value, datetime) else datetime.fromisoformat(value)
        return instant.astimezone(ZoneInfo(time_zone)).strftime(fmt)
    except (ValueError, KeyError):
        return str(value)


def local_date(now: datetime, time_zone: str) -> date:
    """The date on a site's clock at the instant `now` (not the server's: a Casablanca morning is
    still the evening before in New York)."""
    return now.astimezone(ZoneInfo(time_zone)).date()
