"""A member organisation's or a person's calendar as an iCalendar feed (RFC 5545) that calendar
apps subscribe to: bookings, community event registrations, and residencies as all-day events.

`SEQUENCE` is the version of what the entry shows (a booking's version, the events applied to a
registration, its event and a residency), so it increases whenever the entry changes and apps
replace their copy.

Times are written in the site's own zone (`DTSTART;TZID=Africa/Casablanca:...`) with a
VTIMEZONE that lists the zone's real offset changes around the bookings, computed from
zoneinfo: a 09:00 session before Ramadan (+01) and one during it (+00) both show at 09:00
local in any app, whatever its own zone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

PRODID = "-//ParkGrid//bookings//EN"


@dataclass(frozen=True)
class CalendarEntry:
    uid: str
    summary: str
    starts_at: datetime
    ends_at: datetime
    time_zone: str
    status: str  # CONFIRMED, TENTATIVE or CANCELLED
    sequence: int
    location: str | None = None
    description: str | None = None
    all_day: bool = False
    """Whole days: `starts_at`'s date to the day before `ends_at`'s (DTEND is exclusive), no zone."""


def escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n").replace("\n", "\\n")
    )


def fold(line: str) -> list[str]:
    """Lines longer than 75 octets continue on the next line after a space (RFC 5545 3.1)."""
    out: list[str] = []
    current = ""
    for char in line:
        limit = 75 if not out else 74
        if len((current + char).encode()) > limit:
            out.append(current if not out else " " + current)
            current = char
        else:
            current += char
    out.append(current if not out else " " + current)
    return out


def _offset(delta: timedelta | None) -> str:
    minutes = int((delta or timedelta(0)).total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"{sign}{minutes // 60:02d}{minutes % 60:02d}"


def transitions(zone_name: str, first: datetime, last: datetime) -> list[tuple[datetime, timedelta, timedelta]]:
    """The zone's offset changes in [first, last]: (UTC instant, offset before, offset after)."""
    zone = ZoneInfo(zone_name)
    found: list[tuple[datetime, timedelta, timedelta]] = []
    moment = first.astimezone(UTC)
    step = timedelta(hours=6)
    while moment < last:
        before = moment.astimezone(zone).utcoffset()
        after = (moment + step).astimezone(zone).utcoffset()
        if before != after:
            low, high = moment, moment + step
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                if middle.astimezone(zone).utcoffset() == before:
                    low = middle
                else:
                    high = middle
            assert before is not None
            assert after is not None
            found.append((high.replace(second=0, microsecond=0), before, after))
        moment += step
    return found


def vtimezone(zone_name: str, first: datetime, last: datetime) -> list[str]:
    """A VTIMEZONE with the offset in force before `first` and every change until `last`."""
    zone = ZoneInfo(zone_name)
    start = first - timedelta(days=1)
    lines = ["BEGIN:VTIMEZONE", f"TZID:{zone_name}"]

    def component(wall_clock: datetime, before: timedelta | None, after: timedelta | None, local: datetime) -> None:
        kind = "DAYLIGHT" if (local.dst() or timedelta(0)) != timedelta(0) else "STANDARD"
        lines.extend(
            [
                f"BEGIN:{kind}",
                f"DTSTART:{wall_clock:%Y%m%dT%H%M%S}",
                f"TZOFFSETFROM:{_offset(before)}",
                f"TZOFFSETTO:{_offset(after)}",
                f"TZNAME:{local.tzname() or zone_name}",
                f"END:{kind}",
            ]
        )

    initial = start.astimezone(zone)
    component(initial.replace(tzinfo=None, microsecond=0), initial.utcoffset(), initial.utcoffset(), initial)
    for instant, before, after in transitions(zone_name, start, last + timedelta(days=1)):
        # DTSTART is the wall-clock time of the change, read with the offset in force before it.
        component(instant.replace(tzinfo=None) + before, before, after, instant.astimezone(zone))
    lines.append("END:VTIMEZONE")
    return lines


def render(name: str, entries: Sequence[CalendarEntry], now: datetime) -> str:
    """The VCALENDAR text, CRLF-terminated lines, folded at 75 octets."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape(name)}",
    ]
    zones: dict[str, list[CalendarEntry]] = {}
    for entry in entries:
        if not entry.all_day:
            zones.setdefault(entry.time_zone, []).append(entry)
    for zone_name, of_zone in sorted(zones.items()):
        lines += vtimezone(zone_name, min(e.starts_at for e in of_zone), max(e.ends_at for e in of_zone))
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    for entry in entries:
        if entry.all_day:
            when = [f"DTSTART;VALUE=DATE:{entry.starts_at:%Y%m%d}", f"DTEND;VALUE=DATE:{entry.ends_at:%Y%m%d}"]
        else:
            zone = ZoneInfo(entry.time_zone)
            when = [
                f"DTSTART;TZID={entry.time_zone}:{entry.starts_at.astimezone(zone):%Y%m%dT%H%M%S}",
                f"DTEND;TZID={entry.time_zone}:{entry.ends_at.astimezone(zone):%Y%m%dT%H%M%S}",
            ]
        lines += [
            "BEGIN:VEVENT",
            f"UID:{entry.uid}",
            f"DTSTAMP:{stamp}",
            *when,
            f"SUMMARY:{escape(entry.summary)}",
            f"STATUS:{entry.status}",
            f"SEQUENCE:{entry.sequence}",
        ]
        if entry.location:
            lines.append(f"LOCATION:{escape(entry.location)}")
        if entry.description:
            lines.append(f"DESCRIPTION:{escape(entry.description)}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(f"{part}\r\n" for line in lines for part in fold(line))


def statuses(booking_statuses: Iterable[str]) -> list[str]:
    """The iCalendar STATUS of each booking status."""
    mapping = {
        "pending": "TENTATIVE",
        "awaiting_approval": "TENTATIVE",
        "cancelled": "CANCELLED",
        "rejected": "CANCELLED",
    }
    return [mapping.get(s, "CONFIRMED") for s in booking_statuses]


def registration_status(registration: str, event: str | None) -> str:
    """The iCalendar STATUS of a registration to an event (a cancelled event cancels it)."""
    if registration == "cancelled" or event == "cancelled":
        return "CANCELLED"
    return "TENTATIVE" if registration == "waitlisted" else "CONFIRMED"


def soonest_first(entries: Iterable[CalendarEntry], limit: int) -> list[CalendarEntry]:
    """At most `limit` entries, by start (then id, so the order is stable)."""
    return sorted(entries, key=lambda e: (e.starts_at, e.uid))[:limit]
