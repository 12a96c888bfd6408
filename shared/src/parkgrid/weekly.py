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


__all__ = ["Session", "closed_on", "days", "exists", "sessions", "wall_clock"]
