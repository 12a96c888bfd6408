"""What a client may send: dates and instants within the network's calendar, and clean text.

Python's dates end at 9999-12-31 and its arithmetic overflows near both ends: a date such
as 9999-12-31 with an offset, or one a service adds a day to, raised `OverflowError` deep in
a handler (a 500, and the connection closed). Every date and instant a request carries is
one of these types instead, so it is checked once, at the edge, and refused with a 422
naming the field. The window (2000-01-01 to 2199-12-31) is far wider than anything a park
books, and far enough from Python's limits that any arithmetic a rule does stays valid;
how far ahead a booking may be made is each service's own rule, on top.

Text a person types is trimmed, and control characters (a NUL, an escape) are refused: they
are never meant, break exports and terminals, and hide names from search. Multi-line text
keeps its line breaks and tabs.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, PlainValidator, StringConstraints, WithJsonSchema

EARLIEST = date(2000, 1, 1)
LATEST = date(2199, 12, 31)
_RANGE = f"between {EARLIEST.isoformat()} and {LATEST.isoformat()}"


def in_calendar(value: date) -> date:
    """`value` if within the network's calendar; a ValueError (a 422 at the edge) otherwise."""
    if not EARLIEST <= value <= LATEST:
        raise ValueError(f"a date must be {_RANGE}")
    return value


def in_calendar_instant(value: datetime) -> datetime:
    """`value` if its instant (in UTC) is within the network's calendar."""
    try:
        day = value.astimezone(UTC).date()
    except OverflowError:
        raise ValueError(f"an instant must be {_RANGE}") from None
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"an instant must be {_RANGE}")
    return value


# No description of their own: the contracts use them, and their published schemas stay as they were.
Day = Annotated[date, AfterValidator(in_calendar)]
"""A calendar date a client sends (a query's `date`, a residency's `starts_on`)."""

Instant = Annotated[AwareDatetime, AfterValidator(in_calendar_instant)]
"""A moment a client sends, always with its UTC offset."""


def day_or_instant(value: Any) -> date:
    """A date-time with its offset (an `Instant`) if the text has a time part, else a date (a `Day`).

    Decided by the text's shape, never by trying one then the other: a date-time refused as an
    instant (`2000-01-01T00:00:00+14:00` is 1999 in UTC) must not slip through as a date."""
    if isinstance(value, datetime):
        return in_calendar_instant(_aware(value))
    if isinstance(value, date):
        return in_calendar(value)
    if not isinstance(value, str):
        raise ValueError("give a date (YYYY-MM-DD) or a date-time with its offset")
    if "T" in value.upper() or " " in value.strip():
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise ValueError(f"{value!r} is not an RFC 3339 date-time") from None
        return in_calendar_instant(_aware(moment))
    try:
        return in_calendar(date.fromisoformat(value.strip()))
    except ValueError as exc:
        if "calendar" in str(exc) or "must be" in str(exc):
            raise
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a date-time needs its UTC offset (e.g. +01:00 or Z)")
    return moment


DayOrInstant = Annotated[
    date,
    PlainValidator(day_or_instant),
    WithJsonSchema({"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]}),
]
"""A query's day or moment (`from=2027-03-28` or `from=2027-03-28T09:00:00+01:00`), refused under
the field's own name (a union would name its members instead). A date-time stays a datetime."""


SINGLE_LINE = r"^[^\x00-\x1f\x7f-\x9f]*$"
"""No control character at all (Unicode category Cc)."""
MULTI_LINE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
"""No control character but line feed, carriage return and tab."""

# As string constraints (not a validator function), so that a use site's own
# `Field(min_length=..., max_length=...)` joins them in one check, on the trimmed text.
Text = Annotated[str, StringConstraints(strip_whitespace=True, pattern=SINGLE_LINE)]
"""One line a person types (a name, a title, a reason): trimmed, no control characters."""

LongText = Annotated[str, StringConstraints(strip_whitespace=True, pattern=MULTI_LINE)]
"""Text a person types over several lines (a description, a note): trimmed, line breaks kept."""
