"""Presentation rules of the front desk's member pages, no I/O: finding a member as a person types
it (accents and case ignored, by organisation, person or email), slots shown day by day, and a
day's name in the reader's language.

Community's member search matches the organisation's name only, as typed (a regex: `fes` does
not find "Fès MedTech", and people are not searched), so the web app fetches the site's members
and matches them here."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from frontdesk.domain.messages import Translate
from frontdesk.domain.today import instant
from parkgrid.api.bookings import SlotRead
from parkgrid.api.community import MemberRead


def folded(text: str) -> str:
    """Lower case without accents or other marks: "Fès MÉDTECH" → "fes medtech"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True)
class Found:
    """A member that matches, and the people of it that do (empty when the organisation's name did)."""

    member: MemberRead
    people: list[str] = field(default_factory=list)


def matching(members: Iterable[MemberRead], query: str) -> list[Found]:
    """The members whose name, or one of whose people's name or email, holds every word of
    `query`, accent- and case-insensitively; organisations by name first."""
    words = folded(query).split()
    if not words:
        return []
    by_name, by_person = [], []
    for member in members:
        if all(w in folded(member.name) for w in words):
            by_name.append(Found(member))
            continue
        people = [p.name for p in member.people if all(w in folded(f"{p.name} {p.email}") for w in words)]
        if people:
            by_person.append(Found(member, people))
    return sorted(by_name, key=lambda f: folded(f.member.name)) + sorted(by_person, key=lambda f: folded(f.member.name))


@dataclass
class SlotDay:
    """The slots of one local day."""

    day: date
    slots: list[tuple[str, SlotRead]]
    """Each slot with its local start, `HH:MM`."""


def slots_by_day(slots: Sequence[SlotRead], time_zone: str) -> list[SlotDay]:
    """Slots grouped by their local date, in order (a week is seven short rows, not one long list)."""
    zone = ZoneInfo(time_zone)
    days: list[SlotDay] = []
    for slot in slots:
        start = instant(slot.starts_at).astimezone(zone)
        if not days or days[-1].day != start.date():
            days.append(SlotDay(start.date(), []))
        days[-1].slots.append((f"{start:%H:%M}", slot))
    return days


def day_label(day: date, t: Translate) -> str:
    """ "Tuesday 09/12" in the reader's language (the weekday's CLDR name)."""
    return t("desk.day", weekday=t.weekday(day), date=f"{day:%d/%m}")
