"""Facts: the events insights has stored, and the state of each aggregate as of a moment.

A fact is one published event (its envelope's id, type, subject, sequence, time and full
data). Every aggregate's state at any moment is the data of its newest fact up to then,
because every ParkGrid event carries the aggregate's full state: that is what makes KPIs
"as of" a past date computable from the fact log alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass(frozen=True)
class Fact:
    event_id: str
    type: str
    subject: str
    sequence: int
    time: datetime
    data: Mapping[str, Any]

    @property
    def aggregate(self) -> str:
        """`parkgrid.bookings.booking.confirmed` → `bookings.booking` (the topic's name)."""
        return aggregate_of(self.type)

    @property
    def verb(self) -> str:
        return self.type.rsplit(".", 1)[-1]


def aggregate_of(event_type: str) -> str:
    parts = event_type.split(".")
    return ".".join(parts[1:3])


@dataclass
class History:
    """The facts of one aggregate up to a moment, oldest first."""

    facts: list[Fact]

    @property
    def last(self) -> Fact:
        return self.facts[-1]

    @property
    def state(self) -> Mapping[str, Any]:
        return self.last.data

    def verbs(self) -> set[str]:
        return {f.verb for f in self.facts}

    def first(self, verb: str) -> Fact | None:
        return next((f for f in self.facts if f.verb == verb), None)


Histories = dict[str, dict[str, History]]
"""aggregate (topic name) → subject → history."""


def histories_as_of(facts: Iterable[Fact], as_of: datetime) -> Histories:
    """Every aggregate's facts known at `as_of`, ordered by sequence (duplicates folded)."""
    by_aggregate: dict[str, dict[str, dict[int, Fact]]] = {}
    for fact in facts:
        if fact.time > as_of:
            continue
        by_sequence = by_aggregate.setdefault(fact.aggregate, {}).setdefault(fact.subject, {})
        by_sequence.setdefault(fact.sequence, fact)
    return {
        aggregate: {subject: History([seqs[s] for s in sorted(seqs)]) for subject, seqs in subjects.items()}
        for aggregate, subjects in by_aggregate.items()
    }


@lru_cache(maxsize=256)
def zone(name: str | None) -> ZoneInfo:
    if not name:
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def moment(value: Any) -> datetime:
    """An RFC 3339 string (as stored in the data) or a datetime, always aware."""
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def local_date(value: Any, time_zone: str | None) -> date:
    return moment(value).astimezone(zone(time_zone)).date()


def end_of_day(last: date) -> datetime:
    """The last instant of `last` (UTC): a date given as `as_of` means "at the end of that day"."""
    return datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1, microseconds=-1)
