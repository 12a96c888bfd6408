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
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from parkgrid.api.bookings import BookingRead, SiteDay, SiteDayBooking


@dataclass(frozen=True)
class HourBooking:
    """A booking of the hour, when it starts on the site's clock (`HH:MM`), rejected, why, and
    released as a no-show, when."""

    local_start: str
    booking: SiteDayBooking
    reason: str | None = None
    detail: str | None = None
    local_released: str = ""
    """When a no-show was released (its seats and room freed), on the site's clock; '' if not."""


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
                local_time(b.released_at, day.time_zone),
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
    return booking_site == site_id and check_in_open(status, starts_at, ends_at, now)


def check_in_open(status: str, starts_at: datetime | str, ends_at: datetime | str, now: datetime) -> bool:
    """A confirmed booking (not yet checked in, not released as a no-show) from the window's opening
    until the session ends: when its member may check itself in, or a desk check it in."""
    if status != "confirmed":
        return False
    try:
        return instant(starts_at) - CHECK_IN_OPENS <= now < instant(ends_at)
    except ValueError:
        return False


STEP_MINUTES = 5
"""The timeline's grain: an hour is this many columns, so a 10-minute preparation shows as such."""
STEPS_PER_HOUR = 60 // STEP_MINUTES


@dataclass(frozen=True)
class Block:
    """A booking on the timeline with its room's preparation (`before`) and cleaning (`after`)
    minutes around it: its column (1 = the first hour shown's first step) and how many steps
    it spans, buffers included."""

    booking: SiteDayBooking
    local_start: str
    local_end: str
    column: int
    span: int
    before: int = 0
    during: int = 0
    after: int = 0


@dataclass
class Lane:
    """One room of the site (or the bookings that need none: `space_id` None), its buffers and its blocks."""

    space_id: str | None
    name: str
    kind: str | None
    before: int = 0
    after: int = 0
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Timeline:
    hours: list[int]
    lanes: list[Lane]

    @property
    def columns(self) -> int:
        return len(self.hours)

    @property
    def steps(self) -> int:
        return len(self.hours) * STEPS_PER_HOUR

    @property
    def per_hour(self) -> int:
        return STEPS_PER_HOUR


TimelineRoom = tuple[str, str, str, int, int]
"""A room as the timeline takes it: its id, name, kind, and preparation and cleaning minutes."""


def timeline_of(day: SiteDay, rooms: Sequence[TimelineRoom], first_hour: int = 8, last_hour: int = 19) -> Timeline:
    """The day as rooms by hours: each room (`(space_id, name, kind, before, after)`, in the given
    order) a lane, then one lane for bookings without a room; each booking with its room's
    preparation before and cleaning after (spaces' effective buffers), and the hours widen to hold
    them all. Rejected, cancelled and released (no-show) bookings hold no room, so they are left off
    the timeline."""
    zone = ZoneInfo(day.time_zone)
    shown = [
        b
        for hour in day.hours
        for b in hour.bookings
        if b.status not in ("rejected", "cancelled") and b.released_at is None
    ]
    lanes = [Lane(space_id, name, kind, before, after) for space_id, name, kind, before, after in rooms]
    by_room = {lane.space_id: lane for lane in lanes}
    elsewhere = Lane(None, "", None)
    placed = []
    for b in shown:
        start, end = instant(b.starts_at).astimezone(zone), instant(b.ends_at).astimezone(zone)
        lane = (by_room.get(b.space_id) if b.space_id else None) or elsewhere
        midnight = datetime.combine(start.date(), time(0), zone)
        # minutes of the day (past midnight stops at 24:00): preparation from, start, end, cleaning until
        marks = [
            _minutes(moment - midnight)
            for moment in (start - timedelta(minutes=lane.before), start, end, end + timedelta(minutes=lane.after))
        ]
        marks[3] = max(marks[3], marks[0] + STEP_MINUTES)
        placed.append((b, start, end, lane, marks))
    first = min([first_hour, *(m[0] // 60 for *_, m in placed)])
    stop = max([last_hour, *(-(-m[3] // 60) for *_, m in placed)])
    for b, start, end, lane, (begins, starts, ends, until) in sorted(placed, key=lambda p: (p[1], p[0].booking_id)):
        column = (begins - first * 60) // STEP_MINUTES + 1
        last = -(-(until - first * 60) // STEP_MINUTES)
        lane.blocks.append(
            Block(
                b,
                f"{start:%H:%M}",
                f"{end:%H:%M}",
                column,
                max(1, last - column + 1),
                before=starts - begins,
                during=max(0, ends - starts),
                after=max(0, until - ends),
            )
        )
    if elsewhere.blocks:
        lanes.append(elsewhere)
    return Timeline(list(range(first, stop)), lanes)


def _minutes(span: timedelta) -> int:
    """Whole minutes of `span`, within one day (a range past midnight stops at 24:00)."""
    return max(0, min(24 * 60, int(span.total_seconds() // 60)))
