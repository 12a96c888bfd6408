"""A site's day as the front desk shows it: the bookings of each local hour, earliest first.

Bookings answers `/v1/sites/{id}/day` already grouped by the hour of the site's own clock
(`parkgrid.api.bookings.SiteDay`); the page adds each booking's local start time and keeps
the hours that have bookings, in order. A rejected booking's row says why: the day does not
carry it, so the page joins the site's rejected bookings of that day (`BookingRead`'s `reason`
and `rejection_detail`) by id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
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


CHECK_IN_OPENS = timedelta(minutes=60)
"""Bookings' check-in window opens this long before a session (`bookings.domain.booking.CHECK_IN_OPENS`):
the desk offers "Check in" only inside it, and bookings' 409 says it when a page is stale."""


def instant(value: datetime | str) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def can_check_in(
    status: str,
    booking_site: str | None,
    site_id: str,
    starts_at: datetime | str,
    ends_at: datetime | str,
    now: datetime,
) -> bool:
    """A confirmed booking at this desk's site (not online, not another site's), from the window's
    opening until the session ends."""
    if status != "confirmed" or booking_site != site_id:
        return False
    try:
        return instant(starts_at) - CHECK_IN_OPENS <= now < instant(ends_at)
    except ValueError:
        return False


@dataclass(frozen=True)
class Block:
    """A booking on the timeline: its column (1 = the first hour shown) and how many hours it spans."""

    booking: SiteDayBooking
    local_start: str
    local_end: str
    column: int
    span: int


@dataclass
class Lane:
    """One room of the site (or the bookings that need none: `space_id` None) and its blocks."""

    space_id: str | None
    name: str
    kind: str | None
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Timeline:
    hours: list[int]
    lanes: list[Lane]

    @property
    def columns(self) -> int:
        return len(self.hours)


def timeline_of(
    day: SiteDay, rooms: Sequence[tuple[str, str, str]], first_hour: int = 8, last_hour: int = 19
) -> Timeline:
    """The day as rooms by hours: each room (`(space_id, name, kind)`, in the given order) a lane,
    then one lane for bookings without a room; the hours widen to hold every booking of the day.
    Rejected and cancelled bookings hold no room, so they are left off the timeline."""
    zone = ZoneInfo(day.time_zone)
    shown = [b for hour in day.hours for b in hour.bookings if b.status not in ("rejected", "cancelled")]
    spans = []
    for b in shown:
        start, end = instant(b.starts_at).astimezone(zone), instant(b.ends_at).astimezone(zone)
        last = end.hour if end.minute == 0 and end.date() == start.date() and end > start else end.hour + 1
        if end.date() > start.date():
            last = 24
        spans.append((b, start, end, start.hour, max(last, start.hour + 1)))
    first = min([first_hour, *(s[3] for s in spans)])
    stop = max([last_hour, *(s[4] for s in spans)])
    lanes = [Lane(space_id, name, kind) for space_id, name, kind in rooms]
    by_room = {lane.space_id: lane for lane in lanes}
    elsewhere = Lane(None, "", None)
    for b, start, end, begins, ends in sorted(spans, key=lambda s: (s[1], s[0].booking_id)):
        lane = by_room.get(b.space_id) if b.space_id else None
        if lane is None:
            lane = elsewhere
        lane.blocks.append(Block(b, f"{start:%H:%M}", f"{end:%H:%M}", begins - first + 1, ends - begins))
    if elsewhere.blocks:
        lanes.append(elsewhere)
    return Timeline(list(range(first, stop)), lanes)
