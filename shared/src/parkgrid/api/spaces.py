"""What the spaces service's routes answer: sites, spaces, reservations, residencies, the office
waitlist, day passes, occupancy and visitors.

Each read is the published snapshot (`parkgrid.contracts.spaces`) and what the service adds to
it: the aggregate's `version` (the ETag), names of member organisations, local times. Instants
are ISO-8601 strings with the offset they are given in (a site's local offset for local times).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import ConfigDict, Field

from parkgrid.contracts.common import Actor, Closure, SpaceKind, SpaceRequirement
from parkgrid.contracts.spaces import (
    OfficeWaitlistEntrySnapshot,
    RefusalReason,
    Requester,
    ReservationStatus,
    ResidencySnapshot,
    SiteSnapshot,
    SpaceSnapshot,
    SpaceStatus,
    VisitStatus,
)
from parkgrid.http.models import ReadModel

Instant = str
"""An ISO-8601 date-time with its offset, as stored or in the site's local offset."""


class SiteRead(SiteSnapshot):
    model_config = ConfigDict(from_attributes=True)

    version: int = Field(description="The site's version; send it back as If-Match to change it.")


class SiteList(ReadModel):
    items: list[SiteRead]
    next_cursor: str | None = None


class SpaceRead(SpaceSnapshot):
    model_config = ConfigDict(from_attributes=True)

    version: int = Field(description="The space's version; send it back as If-Match to change it.")


class SpaceList(ReadModel):
    items: list[SpaceRead]
    next_cursor: str | None = None


class InstantRange(ReadModel):
    starts_at: Instant
    ends_at: Instant


class LocalTimeRange(InstantRange):
    """The reservation's time read in its site's time zone."""

    time_zone: str


class ReservationRead(ReadModel):
    reservation_id: str
    request_id: str
    requested_by: Requester
    reference_id: str
    site_id: str
    requirement: SpaceRequirement
    time: InstantRange
    member_id: str | None = None
    status: ReservationStatus
    space_id: str | None = None
    space_name: str | None = None
    reason: RefusalReason | None = Field(None, description="Why it was refused.")
    detail: str | None = Field(None, description="The refusal, in words.")
    version: int
    local_time: LocalTimeRange | None = None


class StayRead(ReadModel):
    """Where a residency is over a run of days (one per space it held)."""

    hold_id: str
    site_id: str
    space_id: str
    first_day: dt.date
    last_day: dt.date


class ResidencyRead(ResidencySnapshot):
    model_config = ConfigDict(from_attributes=True)

    version: int
    member_name: str | None = None
    stays: list[StayRead] | None = None
    sites: list[str] | None = Field(None, description="Every site the residency is or was at.")
    moves: int | None = None


class WaitlistEntryRead(OfficeWaitlistEntrySnapshot):
    model_config = ConfigDict(from_attributes=True)

    version: int


class WaitlistEntryList(ReadModel):
    items: list[WaitlistEntryRead]
    next_cursor: str | None = None


class SiteWaitlistEntry(WaitlistEntryRead):
    member_name: str | None = None


class SiteWaitlist(ReadModel):
    items: list[SiteWaitlistEntry]
    next_cursor: str | None = None


class AcceptedOffer(ReadModel):
    entry: WaitlistEntryRead
    residency: ResidencyRead


class SteppedOut(ReadModel):
    """An entry out of the line, and the entry its office was offered to next (if any)."""

    entry: WaitlistEntryRead
    next_offered: WaitlistEntryRead | None = None


class DayPassRead(ReadModel):
    day_pass_id: str
    site_id: str
    space_id: str
    member_id: str
    person_id: str
    day: dt.date
    places_taken: int
    capacity: int
    version: int


class Resident(ReadModel):
    residency_id: str
    member_id: str
    member_name: str | None = None


class BookedSlot(ReadModel):
    reservation_id: str
    starts_at: Instant
    ends_at: Instant
    requested_by: Requester
    reference_id: str
    member_id: str | None = None


class SpaceOccupancy(ReadModel):
    space_id: str
    name: str
    kind: SpaceKind
    capacity: int
    status: SpaceStatus
    state: Literal["free", "reserved", "resident"]
    residency: Resident | None = None
    reservations: list[BookedSlot]
    buffer_before_minutes: int = Field(0, description="Preparation kept before each reservation (`parkgrid.buffers`).")
    buffer_after_minutes: int = Field(0, description="Cleaning kept after each reservation (`parkgrid.buffers`).")


class OccupancyDay(ReadModel):
    site_id: str
    date: dt.date
    time_zone: str
    closure: Closure | None = None
    spaces: list[SpaceOccupancy]


class Turnover(ReadModel):
    residents_at_start: int
    residents_at_end: int
    started: int
    ended: int
    moved_in: int
    moved_out: int
    turnover_rate: float


class KindUtilisation(ReadModel):
    kind: SpaceKind
    spaces: int
    unit: Literal["space_days", "place_days", "hours"]
    available: float
    used: float
    utilisation: float


class OccupancyReport(ReadModel):
    model_config = ConfigDict(populate_by_name=True)

    site_id: str
    first: dt.date = Field(alias="from")
    last: dt.date = Field(alias="to")
    time_zone: str
    open_days: int
    residencies: Turnover
    utilisation: list[KindUtilisation]


class VisitRead(ReadModel):
    """A visit as spaces keeps it: the guest's name and company are gone (None, `erased`) once the
    retention after its day has passed. `member_name` is the host organisation's, where known."""

    visit_id: str
    site_id: str
    day: dt.date
    time_zone: str
    expected_at: str | None = None
    member_id: str
    member_name: str | None = None
    host_person_id: str
    guest_name: str | None
    guest_company: str | None = None
    status: VisitStatus
    registered_by: Actor
    arrived_at: dt.datetime | None = None
    left_at: dt.datetime | None = None
    erased: bool = False
    version: int


class VisitList(ReadModel):
    items: list[VisitRead]
