"""The stays of a residency: which space it holds on which days.

A residency starts in one space; a move ends that stay the day before the move and opens
a new one (same site or another) up to the residency's last day. Each stay holds its days
on its own space's residency calendar under its own hold id, so a move can never take a
day the target space gives to someone else, and occupancy before a move stays where it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any


class StayRefused(ValueError):
    def __init__(self, detail: str, field: str) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


@dataclass(frozen=True)
class Stay:
    hold_id: str
    site_id: str
    space_id: str
    first_day: date
    last_day: date

    def covers(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day

    def days_within(self, first: date, last: date) -> int:
        return max(0, (min(last, self.last_day) - max(first, self.first_day)).days + 1)

    def to_document(self) -> dict[str, Any]:
        return {
            "hold_id": self.hold_id,
            "site_id": self.site_id,
            "space_id": self.space_id,
            "first_day": self.first_day.isoformat(),
            "last_day": self.last_day.isoformat(),
        }

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Stay:
        return cls(
            hold_id=doc["hold_id"],
            site_id=doc["site_id"],
            space_id=doc["space_id"],
            first_day=date.fromisoformat(doc["first_day"]),
            last_day=date.fromisoformat(doc["last_day"]),
        )


def moved(stays: Sequence[Stay], *, site_id: str, space_id: str, on: date, hold_id: str) -> list[Stay]:
    """The stays after moving to `space_id` from `on` (the first day in the new space).

    Only the current (last) stay moves: from its first day (it is replaced) or from a later
    day (it ends the day before). The residency's last day does not change.
    """
    current = stays[-1]
    if space_id == current.space_id:
        raise StayRefused("the residency is already in this space", "space_id")
    if on < current.first_day:
        raise StayRefused(
            f"a move starts on or after {current.first_day}, the first day in the current space", "moves_on"
        )
    if on > current.last_day:
        raise StayRefused(f"the residency ends on {current.last_day}", "moves_on")
    new = Stay(hold_id, site_id, space_id, on, current.last_day)
    if on == current.first_day:
        return [*stays[:-1], new]
    return [*stays[:-1], replace(current, last_day=on - timedelta(days=1)), new]


def ended(stays: Sequence[Stay], last_day: date) -> list[Stay]:
    """The stays of a residency whose last day becomes `last_day` (not before its first day)."""
    last_day = max(last_day, stays[0].first_day)
    kept = [s for s in stays if s.first_day <= last_day]
    return [*kept[:-1], replace(kept[-1], last_day=min(last_day, kept[-1].last_day))]


def extended(stays: Sequence[Stay], last_day: date) -> list[Stay]:
    return [*stays[:-1], replace(stays[-1], last_day=last_day)]


def stay_on(stays: Sequence[Stay], day: date) -> Stay | None:
    return next((s for s in stays if s.covers(day)), None)
