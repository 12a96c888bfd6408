"""Sites and spaces: what the network offers, and the inventory's transitions.

A site states its opening hours in its own local time (IANA zone), so a range given in
UTC is judged on the site's wall clock: Africa/Casablanca moves from +01 to +00 around
Ramadan, and 09:00 local is 08:00Z one week and 09:00Z the next. A space is what a
reservation or a residency holds (`spaces.domain.model` keeps its calendar).

A room's preparation and cleaning time (its buffers) is its own setting, else its site's default
for its kind: `Space.buffers_at` applies the kit's one rule (`parkgrid.buffers`), the one bookings
applies to the same facts as published.

`Site` and `Space` are spaces' own model; `to_document()` is their stored shape, the one the
public snapshots of `parkgrid.contracts.spaces` are validated from by the publication.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from parkgrid.buffers import Buffers, buffers_of
from parkgrid.contracts.common import Closure, SpaceKind, SpaceRequirement, WeeklyWindow
from parkgrid.contracts.spaces import RefusalReason, SiteStatus, SpaceStatus
from parkgrid.weekly import site_refusal
from spaces.domain.happened import Change, Document, SiteJoined, SiteRevised, SpaceOpened, SpaceRevised, SpaceWithdrawn
from spaces.domain.model import Hold, Refusal


def _clock(hhmm: str) -> time:
    hours, minutes = hhmm.split(":")
    return time(int(hours), int(minutes))


def _kind_buffers(given: Mapping[str, Any] | Any) -> dict[str, int]:
    """One kind's buffers as stored, from a stored mapping or the contract's `KindBuffers`."""
    values = given if isinstance(given, Mapping) else given.model_dump()
    return {side: int(values.get(side, 0)) for side in ("before_minutes", "after_minutes")}


@dataclass(frozen=True)
class Site:
    site_id: str
    name: str
    city: str
    country: str
    time_zone: str
    opening_hours: Sequence[WeeklyWindow]
    closures: Sequence[Closure] = ()
    status: SiteStatus = SiteStatus.OPEN
    buffers: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    """Preparation and cleaning by kind of space (`{kind: {"before_minutes", "after_minutes"}}`)."""
    no_show_release_minutes: int | None = None
    """A booking not checked in this long after its start is released by bookings (None: never early)."""

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> Site:
        """The site as stored (or as sent, once checked at the edge)."""
        return cls(
            site_id=doc["site_id"],
            name=doc["name"],
            city=doc["city"],
            country=doc["country"],
            time_zone=doc["time_zone"],
            opening_hours=[WeeklyWindow.model_validate(w) for w in doc["opening_hours"]],
            closures=[Closure.model_validate(c) for c in doc.get("closures", [])],
            status=SiteStatus(doc.get("status", "open")),
            buffers={
                str(getattr(kind, "value", kind)): _kind_buffers(b) for kind, b in (doc.get("buffers") or {}).items()
            },
            no_show_release_minutes=doc.get("no_show_release_minutes"),
        )

    def to_document(self) -> Document:
        """The stored shape: field for field what the contract's `SiteSnapshot` gives."""
        return {
            **vars(self),
            "opening_hours": [w.model_dump(mode="json") for w in self.opening_hours],
            "closures": [c.model_dump(mode="json") for c in self.closures],
            "status": self.status.value,
            "buffers": {kind: dict(b) for kind, b in self.buffers.items()},
        }

    def revised(self, changes: Mapping[str, Any]) -> Site:
        """The site with an admin's `changes` (its id stays)."""
        return Site.from_document({**self.to_document(), **changes, "site_id": self.site_id})

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(ZoneInfo(self.time_zone))

    def closure_on(self, day: date) -> Closure | None:
        return next((c for c in self.closures if c.first_day <= day <= c.last_day), None)

    def open_hours_on(self, day: date) -> float:
        """Hours the site is open on this local day (0 on a closure or a day without window)."""
        if self.status != SiteStatus.OPEN or self.closure_on(day) is not None:
            return 0.0
        minutes = 0
        for window in self.opening_hours:
            if window.weekday == day.isoweekday():
                opens, closes = _clock(window.opens), _clock(window.closes)
                minutes += (closes.hour * 60 + closes.minute) - (opens.hour * 60 + opens.minute)
        return minutes / 60

    def refusal_for(self, starts_at: datetime, ends_at: datetime) -> Refusal | None:
        """Why the site cannot host [starts_at, ends_at), or None if it can.

        The kit's one rule of a site's calendar (`parkgrid.weekly.site_refusal`), asked twice to
        keep spaces' two reasons apart: closed (status, closures: the calendar without its hours)
        before outside the opening hours. A site with no hours at all is never open here.
        """
        closed = site_refusal((), self.closures, self.status == SiteStatus.OPEN, self.time_zone, starts_at, ends_at)
        if closed is not None:
            return Refusal(RefusalReason.SITE_CLOSED, f"{self.name}: {closed}")
        if not self.opening_hours:
            return Refusal(RefusalReason.OUTSIDE_OPENING_HOURS, f"{self.name} has no opening hours")
        outside = site_refusal(self.opening_hours, (), True, self.time_zone, starts_at, ends_at)
        if outside is not None:
            return Refusal(RefusalReason.OUTSIDE_OPENING_HOURS, f"{self.name}: {outside}")
        return None


@dataclass(frozen=True)
class Space:
    space_id: str
    site_id: str
    name: str
    kind: SpaceKind
    capacity: int
    floor: str | None = None
    features: Sequence[str] = ()
    buffer_minutes: int = 0
    """Old clients' one setting: the same time before and after (`parkgrid.buffers` says which wins)."""
    status: SpaceStatus = SpaceStatus.ACTIVE
    buffer_before_minutes: int | None = None
    buffer_after_minutes: int | None = None

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> Space:
        """The space as stored (or as sent, once checked at the edge)."""
        return cls(
            space_id=doc["space_id"],
            site_id=doc["site_id"],
            name=doc["name"],
            kind=SpaceKind(doc["kind"]),
            capacity=doc["capacity"],
            floor=doc.get("floor"),
            features=list(doc.get("features", [])),
            buffer_minutes=doc.get("buffer_minutes", 0),
            status=SpaceStatus(doc.get("status", "active")),
            buffer_before_minutes=doc.get("buffer_before_minutes"),
            buffer_after_minutes=doc.get("buffer_after_minutes"),
        )

    def to_document(self) -> Document:
        """The stored shape: field for field what the contract's `SpaceSnapshot` gives."""
        return {
            **vars(self),
            "kind": self.kind.value,
            "features": [str(f) for f in self.features],
            "status": self.status.value,
        }

    def revised(self, changes: Mapping[str, Any]) -> Space:
        """The space with an admin's `changes` (its id and its site stay)."""
        return Space.from_document(
            {**self.to_document(), **changes, "space_id": self.space_id, "site_id": self.site_id}
        )

    def meets(self, requirement: SpaceRequirement) -> bool:
        return (
            self.status == SpaceStatus.ACTIVE
            and self.kind == requirement.kind
            and self.capacity >= requirement.seats
            and set(requirement.features) <= set(self.features)
        )

    def buffers_at(self, site: Site) -> Buffers:
        """The preparation and cleaning time kept around each reservation here (its own, else its kind's at `site`)."""
        return buffers_of(self.to_document(), site.buffers)

    @property
    def shares_places(self) -> bool:
        """A hot-desk area is shared: its capacity is places, taken by day passes and reservations alike."""
        return self.kind == SpaceKind.HOT_DESK_AREA

    def hold_for(self, holder_id: str, starts_at: datetime, ends_at: datetime, seats: int) -> Hold:
        """What a reservation of `seats` holds on this space: places of a shared area, else the whole space."""
        return Hold(holder_id, starts_at, ends_at, places=seats if self.shares_places else None)

    def retired(self) -> Space:
        return replace(self, status=SpaceStatus.RETIRED)


def site_joined(site: Document) -> Change:
    return site, [SiteJoined(site)]


def site_revised(site: Document) -> Change:
    return site, [SiteRevised(site)]


def space_opened(space: Document) -> Change:
    return space, [SpaceOpened(space)]


def space_revised(current: Document, revised: Document, *, asked: bool) -> Change | None:
    """The space as revised; None when nothing changes and no version was `asked` for (retiring twice)."""
    if not asked and revised == current:
        return None
    happened = SpaceWithdrawn if revised["status"] == SpaceStatus.RETIRED else SpaceRevised
    return revised, [happened(revised)]
