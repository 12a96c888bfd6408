"""A recurring booking (series): which sessions it asks for, and what became of each.

A series is a rule (every N weeks on given weekdays, at the first session's local time,
until a day or for a count) over one offering. `occurrences` expands it into start
times; each is then booked like a single booking (same seats, credits and rules), and
the series records per occurrence `booked`, `waitlisted` or `refused` with the reason:
a partial outcome is always said, never silent (an occurrence that is no session of the
offering is `refused: no_such_session`, not dropped). Everything here is pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bookings.domain.booking import BookingRefused, InvalidBooking, NotEligible, Unavailable

MAX_OCCURRENCES = 26
"""At most half a year of weekly sessions per series: a longer one is a new series later."""

DUE = "due"
BOOKED = "booked"
WAITLISTED = "waitlisted"
REFUSED = "refused"
CANCELLED = "cancelled"

NO_SUCH_SESSION = "no_such_session"
FULL = "full"


@dataclass(frozen=True)
class Repeat:
    """The rule: every `every_weeks` weeks on ISO `weekdays`, until a local day or `count` times."""

    every_weeks: int
    weekdays: tuple[int, ...]
    """ISO weekdays; none: the first session's."""
    until: date | None = None
    count: int | None = None


def occurrences(first: datetime, time_zone: str, repeat: Repeat) -> list[datetime]:
    """The series' start times, the first included, at the first's local wall-clock time (so a
    change of offset, such as Ramadan's, keeps the hour people know). Refuses (422) a rule that
    is not one: no end, both ends, the first not on one of its weekdays, or more than
    `MAX_OCCURRENCES` occurrences."""
    if (repeat.until is None) == (repeat.count is None):
        raise InvalidBooking("give either an end day (until) or a number of occurrences (count)", field="until")
    if not 1 <= repeat.every_weeks <= 4:
        raise InvalidBooking("a series repeats every 1 to 4 weeks", field="every_weeks")
    if any(not 1 <= d <= 7 for d in repeat.weekdays):
        raise InvalidBooking("weekdays are 1 (Monday) to 7 (Sunday)", field="weekdays")
    zone = ZoneInfo(time_zone)
    local = first.astimezone(zone)
    weekdays = repeat.weekdays or (local.isoweekday(),)  # none named: the first session's
    if local.isoweekday() not in weekdays:
        raise InvalidBooking("the first session must fall on one of the series' weekdays", field="weekdays")
    if repeat.until is not None and repeat.until < local.date():
        raise InvalidBooking("the series would end before its first session", field="until")
    monday = local.date() - timedelta(days=local.isoweekday() - 1)
    found: list[datetime] = []
    week = 0
    while True:
        for weekday in sorted(set(weekdays)):
            day = monday + timedelta(weeks=week, days=weekday - 1)
            if day < local.date():
                continue
            if repeat.until is not None and day > repeat.until:
                return found
            if len(found) == repeat.count:
                return found
            if len(found) == MAX_OCCURRENCES:
                raise InvalidBooking(
                    f"a series has at most {MAX_OCCURRENCES} occurrences; end it sooner", field="until"
                )
            found.append(datetime.combine(day, local.timetz().replace(tzinfo=None), zone))
        week += repeat.every_weeks


def refusal_reason(refused: BookingRefused) -> str:
    """The reason code of a refused occurrence, from the refusal a single booking would get."""
    if isinstance(refused, NotEligible):
        return "not_eligible"
    if isinstance(refused, Unavailable):
        return FULL if str(refused.detail).startswith("this session is full") else "unavailable"
    return "not_bookable"


def occurrence_booking_id(series_id: str, starts_at: datetime) -> str:
    """The booking an occurrence makes: derived from the series and its start, so a retried or
    resumed series finds the bookings it already made instead of making them twice."""
    return f"{series_id}-{starts_at.astimezone(ZoneInfo('UTC')).strftime('%Y%m%dT%H%M')}"
