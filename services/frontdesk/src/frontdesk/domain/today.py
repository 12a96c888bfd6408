"""A site's day as the front desk shows it: the bookings of each local hour, earliest first.

Bookings answers `/v1/sites/{id}/day` already grouped by the hour of the site's own clock
(`parkgrid.api.bookings.SiteDay`); the page adds each booking's local start time and keeps
the hours that have bookings, in order. A rejected booking's row says why: the day does not
carry it, so the page joins the site's rejected bookings of that day (`BookingRead`'s `reason`
and `rejection_detail`) by id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from parkgrid.api.bookings import BookingRead, SiteDay, SiteDayBooking


@dataclass(frozen=True)
class HourBooking:
    """A booking of the hour, when it starts on the site's clock (`HH:MM`), and, rejected, why."""

    local_start: str
    booking: SiteDayBooking
    reason: str | None = None
    detail: str | None = None


@dataclass
class Hour:
    """One hour of the day and the bookings starting in it."""

    label: str
    bookings: list[HourBooking] = field(default_factory=list)


def hours_of(day: SiteDay, rejected: Mapping[str, BookingRead] | None = None) -> list[Hour]:
    """The day's hours that have bookings, earliest first; in each, bookings by start then id,
    a rejected one with its reason and detail when `rejected` (by booking id) has it."""
    why = rejected or {}
    hours = []
    for hour in sorted(day.hours, key=lambda h: h.hour):
        entries = [
            HourBooking(
                local_time(b.starts_at, day.time_zone),
                b,
                why[b.booking_id].reason if b.booking_id in why else None,
                why[b.booking_id].rejection_detail if b.booking_id in why else None,
            )
            for b in hour.bookings
        ]
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
