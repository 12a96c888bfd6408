"""A residency and its stays: which space it holds on which days.

A residency starts in one space; a move ends that stay the day before the move and opens
a new one (same site or another) up to the residency's last day. Each stay holds its days
on its own space's residency calendar under its own hold id, so a move can never take a
day the target space gives to someone else, and occupancy before a move stays where it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from parkgrid.contracts.common import Actor, SpaceKind
from parkgrid.contracts.spaces import ResidencyStatus
from spaces.domain.happened import (
    Change,
    Document,
    ResidencyBegun,
    ResidencyClosed,
    ResidencyProlonged,
    ResidencyRelocated,
)
from spaces.domain.model import SpacesRefused

if TYPE_CHECKING:
    from spaces.domain.sites import Space


class ResidencyRefused(SpacesRefused):
    """Invalid input (422, naming `field`), or a `conflict`: the space or the member is not available (409)."""


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


@dataclass(frozen=True)
class Residency:
    """A residency as it begins: spaces' own record of it (stored as `to_document()`, the same
    fields the contract's `ResidencySnapshot` has; the publication builds that from it)."""

    residency_id: str
    member_id: str
    site_id: str
    space_id: str
    space_kind: SpaceKind
    seats: int
    starts_on: date
    ends_on: date
    status: ResidencyStatus
    allocated_by: Actor

    def to_document(self) -> Document:
        return {
            "residency_id": self.residency_id,
            "member_id": self.member_id,
            "site_id": self.site_id,
            "space_id": self.space_id,
            "space_kind": self.space_kind.value,
            "seats": self.seats,
            "starts_on": self.starts_on.isoformat(),
            "ends_on": self.ends_on.isoformat(),
            "status": self.status.value,
            "allocated_by": {"role": self.allocated_by.role, "subject": self.allocated_by.subject},
        }


def moved(stays: Sequence[Stay], *, site_id: str, space_id: str, on: date, hold_id: str) -> list[Stay]:
    """The stays after moving to `space_id` from `on` (the first day in the new space).

    Only the current (last) stay moves: from its first day (it is replaced) or from a later
    day (it ends the day before). The residency's last day does not change.
    """
    current = stays[-1]
    if space_id == current.space_id:
        raise ResidencyRefused("the residency is already in this space", "space_id")
    if on < current.first_day:
        raise ResidencyRefused(
            f"a move starts on or after {current.first_day}, the first day in the current space", "moves_on"
        )
    if on > current.last_day:
        raise ResidencyRefused(f"the residency ends on {current.last_day}", "moves_on")
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


def stays_of(residency: Document) -> list[Stay]:
    """Where a residency is, day by day (a residency never moved has one stay)."""
    if residency.get("stays"):
        return [Stay.from_document(s) for s in residency["stays"]]
    return [
        Stay(
            hold_id=residency["residency_id"],
            site_id=residency["site_id"],
            space_id=residency["space_id"],
            first_day=date.fromisoformat(residency["starts_on"]),
            last_day=date.fromisoformat(residency["ends_on"]),
        )
    ]


def _where(stays: Sequence[Stay]) -> Document:
    """The stays as stored, and every site the residency was ever at (for a site's reports)."""
    return {"stays": [s.to_document() for s in stays], "sites": sorted({s.site_id for s in stays})}


def ongoing(residency: Document, refusal: ResidencyRefused) -> None:
    """`refusal` when the residency has ended already."""
    if residency["status"] != ResidencyStatus.ACTIVE:
        raise refusal


def residency_begun(residency: Document) -> Change:
    """A new residency, in one stay from its first day to its last."""
    begun = {**residency, **_where(stays_of(residency))}
    return begun, [ResidencyBegun(begun)]


def residency_prolonged(residency: Document, ends_on: date) -> Change:
    """The residency's last day moved to `ends_on` (a later day), its last stay with it."""
    ongoing(residency, ResidencyRefused("the residency has ended", "ends_on"))
    previous = date.fromisoformat(residency["ends_on"])
    if ends_on <= previous:
        raise ResidencyRefused(f"an extension ends after {previous}", "ends_on")
    changes = {"ends_on": ends_on.isoformat(), **_where(extended(stays_of(residency), ends_on))}
    return changes, [ResidencyProlonged({**residency, **changes}, previous_ends_on=previous)]


def residency_relocated(residency: Document, target: Space, on: date) -> Change:
    """The residency in `target` from `on`; the new stay holds its days under the move's own hold id."""
    ongoing(residency, ResidencyRefused("the residency has ended", conflict=True))
    before = stays_of(residency)
    moves = int(residency.get("moves", 0)) + 1
    hold_id = f"{residency['residency_id']}/{moves}"
    stays = moved(before, site_id=target.site_id, space_id=target.space_id, on=on, hold_id=hold_id)
    changes = {
        "site_id": target.site_id,
        "space_id": target.space_id,
        "space_kind": target.kind.value,
        "seats": target.capacity,
        **_where(stays),
        "moves": moves,
    }
    return changes, [ResidencyRelocated({**residency, **changes}, left=before[-1], moved_on=on)]


def residency_closed(residency: Document, on: date, reason: str | None) -> Change | None:
    """The residency ended on `on` (within its term); None when it has ended already."""
    if residency["status"] != ResidencyStatus.ACTIVE:
        return None
    planned = date.fromisoformat(residency["ends_on"])
    last_day = max(date.fromisoformat(residency["starts_on"]), min(on, planned))
    stays = ended(stays_of(residency), last_day)
    changes = {
        "site_id": stays[-1].site_id,
        "space_id": stays[-1].space_id,
        "ends_on": last_day.isoformat(),
        "status": ResidencyStatus.ENDED.value,
        **_where(stays),
    }
    return changes, [ResidencyClosed({**residency, **changes}, ended_early=last_day < planned, reason=reason)]
