"""Sessions of weekly windows in a site's local time, minus closures: one generator for every service.

Windows (`WeeklyWindow`) are wall-clock times in the site's IANA zone, so a 09:00 session
stays at 09:00 local when `Africa/Casablanca` moves from +01:00 to +00:00 for Ramadan and
back; only its UTC instant moves. Sessions are therefore built per local day with zoneinfo
(wall-clock arithmetic first, then the offset in force that day), never by adding fixed
offsets to a UTC instant. A session that would start at a wall-clock time the zone skips
that day (a DST gap) is not offered: no clock on site shows that time, and its instant
would be that of the session an hour later (one seat counter for two sessions). In an hour
that occurs twice (clocks going back), the first occurrence is meant (`fold=0`).

Pure: no I/O, no clock; catalogue (when an offering runs) and bookings (what can be booked)
both stand on it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from parkgrid.contracts.common import Closure, WeeklyWindow

Session = tuple[datetime, datetime]
"""A session's start and end, aware, in the site's zone."""


def days(first: date, last: date) -> Iterator[date]:
    """Every day of [first, last]."""
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def closed_on(day: date, closures: Sequence[Closure]) -> bool:
    return any(c.first_day <= day <= c.last_day for c in closures)


def wall_clock(hhmm: str) -> time:
    """`HH:MM` as a time of day."""
    hours, minutes = hhmm.split(":")
    return time(int(hours), int(minutes))


def exists(local: datetime) -> bool:
    """True if this aware wall-clock time occurs in its zone (it is in no DST gap)."""
    return local.astimezone(UTC).astimezone(local.tzinfo).replace(tzinfo=None) == local.replace(tzinfo=None)


def sessions(
    availability: Sequence[WeeklyWindow],
    closures: Sequence[Closure],
    time_zone: str,
    session_minutes: int,
    first: date,
    last: date,
) -> list[Session]:
    """Every session of the local days [first, last], in order.

    Sessions follow each other back to back from each window's opening; one that would end
    after its window closes is not offered, nor one that starts in a DST gap.
    """
    zone = ZoneInfo(time_zone)
    length = timedelta(minutes=session_minutes)
    found: list[Session] = []
    for day in days(first, last):
        if closed_on(day, closures):
            continue
        for window in sorted(availability, key=lambda w: w.opens):
            if window.weekday != day.isoweekday():
                continue
            start = datetime.combine(day, wall_clock(window.opens))
            closes = datetime.combine(day, wall_clock(window.closes))
            while start + length <= closes:
                # Wall-clock arithmetic, then the zone: the offset is the one in force that day.
                begins = start.replace(tzinfo=zone)
                if exists(begins):
                    found.append((begins, (start + length).replace(tzinfo=zone)))
                start += length
    return found


def site_refusal(
    opening_hours: Sequence[WeeklyWindow],
    closures: Sequence[Closure],
    open_: bool,
    time_zone: str,
    starts_at: datetime,
    ends_at: datetime,
) -> str | None:
    """Why a site cannot host [starts_at, ends_at) by its calendar, or None if it can.

    The one rule of a site's calendar (spaces for rooms, bookings for every offering): the
    site is open, no local day of the range is a closure, and the range fits inside one
    opening window of its local day. An empty `opening_hours` means the calendar is not known
    (a site published before its hours were): only status and closures apply then.
    """
    if not open_:
        return "the site is closed"
    zone = ZoneInfo(time_zone)
    start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    last_day = (end - timedelta(microseconds=1)).date()
    for day in days(start.date(), last_day):
        if closed_on(day, closures):
            reason = next(c.reason for c in closures if c.first_day <= day <= c.last_day)
            return f"the site is closed on {day}: {reason}"
    if not opening_hours:
        return None
    if last_day != start.date():
        return "it must fit in one opening window of the site"
    for window in opening_hours:
        if (
            window.weekday == start.isoweekday()
            and wall_clock(window.opens) <= start.time()
            and end.time() <= wall_clock(window.closes)
        ):
            return None
    return f"{start:%a %Y-%m-%d %H:%M}-{end:%H:%M} ({time_zone}) is outside the site's opening hours"


__all__ = ["Session", "closed_on", "days", "exists", "sessions", "site_refusal", "wall_clock"]
