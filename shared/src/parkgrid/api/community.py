"""What community's routes answer: member organisations, community events, registrations, tickets.

Every read carries `version` (also the ETag). Lists are pages: `items` and the opaque
`next_cursor` of the next page (null at the end).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from parkgrid.contracts.common import (
    Actor,
    Eligibility,
    LocalizedText,
    MemberKind,
    Mode,
    SpaceRequirement,
    TimeRange,
)
from parkgrid.contracts.community import (
    CommunityEventKind,
    CommunityEventStatus,
    MemberStatus,
    Person,
    Programme,
    RegistrationStatus,
    Venue,
)
from parkgrid.http.models import ReadModel


class FormerPersonRead(ReadModel):
    """Someone who left the organisation: recorded, until they are erased at their request."""

    person: Person
    left_on: date


class MemberRead(ReadModel):
    """A member organisation with its current and former people and its programme."""

    member_id: str
    name: str
    kind: MemberKind
    sector: str
    home_site_id: str
    status: MemberStatus
    programme: Programme
    people: list[Person]
    former_people: list[FormerPersonRead] = Field(default_factory=list)
    left_on: date | None = None
    leave_reason: str | None = None
    erased_people: list[str] = Field(
        default_factory=list, description="People erased at their request: their ids alone are kept."
    )
    version: int


class MemberWithPersonRead(MemberRead):
    """The organisation after a person joined it, and that person."""

    person: Person


class MemberPage(ReadModel):
    items: list[MemberRead]
    next_cursor: str | None = None


class LocalTimeRead(ReadModel):
    """The event's time on the wall clock of its zone (ISO 8601 with the zone's offset)."""

    starts_at: str
    ends_at: str
    time_zone: str


class EventRead(ReadModel):
    """A community event, its venue saga's state and its seat counts."""

    event_id: str
    site_id: str | None = None
    kind: CommunityEventKind
    mode: Mode
    title: LocalizedText
    description: LocalizedText
    time: TimeRange
    time_zone: str
    capacity: int
    audience: Eligibility
    venue_requirement: SpaceRequirement | None = None
    venue: Venue | None = None
    venue_refusal: str | None = None
    status: CommunityEventStatus
    registered: int = 0
    waitlisted: int = 0
    venue_request_id: str | None = Field(None, description="The reservation request waiting for an answer.")
    pending_time: TimeRange | None = Field(None, description="The time a reschedule waits a venue for.")
    cancel_reason: str | None = None
    local_time: LocalTimeRead
    version: int


class EventPage(ReadModel):
    items: list[EventRead]
    next_cursor: str | None = None


class RegistrationRead(ReadModel):
    """A person's registration; `pending` while its seat is being decided."""

    registration_id: str
    event_id: str
    member_id: str
    person_id: str
    status: RegistrationStatus | Literal["pending"]
    waitlist_position: int | None = Field(None, description="The place in the queue now (it moves up).")
    registered_at: datetime
    registered_by: Actor
    event_time: TimeRange
    event_title: LocalizedText
    checked_in_at: datetime | None = None
    cancelled_at: datetime | None = None
    version: int


class RegistrationPage(ReadModel):
    items: list[RegistrationRead]
    next_cursor: str | None = None


class TicketRead(ReadModel):
    """The signed check-in token and its QR code (null until the QR package is installed)."""

    registration_id: str
    event_id: str
    token: str
    qr_svg: str | None = None
