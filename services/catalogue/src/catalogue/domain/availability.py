"""When an offering can take place: weekly windows in the site's local time, minus closures.

Windows are wall-clock times in the offering's IANA time zone, so a 09:00 session stays
at 09:00 local when `Africa/Casablanca` moves from +01:00 to +00:00 for Ramadan and back;
only its UTC instant moves. Slots are therefore computed per local day with zoneinfo,
never by adding fixed offsets.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from parkgrid.contracts.common import Closure, WeeklyWindow

MAX_RANGE_DAYS = 366


def closed_on(day: date, closures: Sequence[Closure]) -> bool:
    return any(c.first_day <= day <= c.last_day for c in closures)


def days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def open_between(availability: Sequence[WeeklyWindow], closures: Sequence[Closure], first: date, last: date) -> bool:
    """True if some day of [first, last] has a window and no closure (local dates)."""
    closed = [(c.first_day, c.last_day) for c in closures]
    return open_on_some_day({w.weekday for w in availability}, closed, first, last)


def open_on_some_day(weekdays: Collection[int], closed: Sequence[tuple[date, date]], first: date, last: date) -> bool:
    """True if some day of [first, last] falls on one of `weekdays` (ISO) outside every closed range."""
    return any(d.isoweekday() in weekdays and not any(a <= d <= b for a, b in closed) for d in days(first, last))


def weekdays_between(first: date, last: date) -> list[int]:
    """The ISO weekdays that occur in [first, last]."""
    return sorted({d.isoweekday() for d in days(first, min(last, first + timedelta(days=6)))})


def local_slots(
    availability: Sequence[WeeklyWindow],
    closures: Sequence[Closure],
    time_zone: str,
    session_minutes: int,
    first: date,
    last: date,
) -> list[tuple[datetime, datetime]]:
    """Every session start and end in [first, last], as aware datetimes in the local zone.

    Sessions follow each other back to back from the window's opening; one that would end
    after the window closes is not offered.
    """
    zone = ZoneInfo(time_zone)
    slots: list[tuple[datetime, datetime]] = []
    length = timedelta(minutes=session_minutes)
    for day in days(first, last):
        if closed_on(day, closures):
            continue
        for window in sorted(availability, key=lambda w: w.opens):
            if window.weekday != day.isoweekday():
                continue
            start = datetime.combine(day, datetime.strptime(window.opens, "%H:%M").time())
            closes = datetime.combine(day, datetime.strptime(window.closes, "%H:%M").time())
            while start + length <= closes:
                slots.append((start.replace(tzinfo=zone), (start + length).replace(tzinfo=zone)))
                start += length
    return slots
