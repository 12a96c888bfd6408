"""When an offering can take place: weekly windows in the site's local time, minus closures.

Windows are wall-clock times in the offering's IANA time zone, so a 09:00 session stays
at 09:00 local when `Africa/Casablanca` moves from +01:00 to +00:00 for Ramadan and back;
only its UTC instant moves. The slots come from the kit's `parkgrid.weekly` (the generator
bookings uses too); this module adds what the catalogue's search asks of a range of days.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime, timedelta

from parkgrid import weekly
from parkgrid.contracts.common import Closure, WeeklyWindow
from parkgrid.weekly import days

MAX_RANGE_DAYS = 366


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
    after the window closes is not offered (`parkgrid.weekly`).
    """
    return weekly.sessions(availability, closures, time_zone, session_minutes, first, last)
