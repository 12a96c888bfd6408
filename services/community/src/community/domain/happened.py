"""What happens inside community's aggregates, in its own words (never published as is).

Each fact carries the aggregate's new state and what else the fact needs; the service
layer's `publication` turns them into the public events and the commands to spaces.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from parkgrid.contracts.common import Actor, ProgrammeStage, SpaceRequirement, TimeRange
from parkgrid.contracts.community import Person, RegistrationStatus
from parkgrid.domain import DomainEvent

if TYPE_CHECKING:
    from community.domain.events import CommunityEvent
    from community.domain.members import Member
    from community.domain.registrations import Registration

# --- members -------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberJoined(DomainEvent):
    """An organisation joined the park's programme."""

    member: Member


@dataclass(frozen=True)
class MemberDetailsChanged(DomainEvent):
    """Its name, kind, sector, home site, cohort or planned end changed."""

    member: Member


@dataclass(frozen=True)
class MemberMovedStage(DomainEvent):
    """It moved to another programme stage (or another cohort)."""

    member: Member
    previous_stage: ProgrammeStage


@dataclass(frozen=True)
class PersonJoined(DomainEvent):
    """Someone joined the organisation."""

    member: Member
    person: Person


@dataclass(frozen=True)
class PersonLeft(DomainEvent):
    """Someone left the organisation (kept among its former people)."""

    member: Member
    person: Person


@dataclass(frozen=True)
class KeysIssued(DomainEvent):
    """People kept from before sealing existed got their keys."""

    member: Member
    person_ids: tuple[str, ...]


@dataclass(frozen=True)
class PersonErasedFromMember(DomainEvent):
    """Someone of the organisation was erased at their request: only their id is left."""

    member: Member
    person_id: str


@dataclass(frozen=True)
class MemberLeftProgramme(DomainEvent):
    """The organisation left the programme."""

    member: Member
    on: date
    reason: str | None


# --- community events ----------------------------------------------------------------


@dataclass(frozen=True)
class EventDrafted(DomainEvent):
    """A new event, as a draft."""

    event: CommunityEvent


@dataclass(frozen=True)
class EventBackToDraft(DomainEvent):
    """Spaces found no venue: the event is a draft again, with the refusal."""

    event: CommunityEvent


@dataclass(frozen=True)
class VenueAskedFor(DomainEvent):
    """The event asked spaces for a venue at `time` (its request `request_id`)."""

    event: CommunityEvent
    request_id: str
    site_id: str
    requirement: SpaceRequirement
    time: TimeRange


@dataclass(frozen=True)
class VenueGivenBack(DomainEvent):
    """The event no longer wants what request `request_id` reserved (or would reserve)."""

    event: CommunityEvent
    request_id: str
    site_id: str
    reason: str


@dataclass(frozen=True)
class EventOpened(DomainEvent):
    """The event opens for registration (its venue, if it needs one, is held)."""

    event: CommunityEvent


@dataclass(frozen=True)
class EventMoved(DomainEvent):
    """The event moved to another time."""

    event: CommunityEvent
    previous_time: TimeRange


@dataclass(frozen=True)
class EventRevised(DomainEvent):
    """Staff changed what the event is (its title, description, capacity or audience): `changed` names them."""

    event: CommunityEvent
    changed: tuple[str, ...]


@dataclass(frozen=True)
class EventCalledOff(DomainEvent):
    """The event was cancelled."""

    event: CommunityEvent
    reason: str


@dataclass(frozen=True)
class EventHeld(DomainEvent):
    """The event took place; its attendance is final."""

    event: CommunityEvent
    attended: int
    no_shows: int


# --- registrations -------------------------------------------------------------------


@dataclass(frozen=True)
class SeatTaken(DomainEvent):
    """The person has a seat."""

    registration: Registration


@dataclass(frozen=True)
class PlaceInLineTaken(DomainEvent):
    """The event was full: the person waits in line."""

    registration: Registration


@dataclass(frozen=True)
class SeatFreedUpFor(DomainEvent):
    """A seat freed up and went to this person, first in line."""

    registration: Registration


@dataclass(frozen=True)
class RegistrationWithdrawn(DomainEvent):
    """The registration was cancelled by `by`; it was `previous_status` before."""

    registration: Registration
    by: Actor
    previous_status: RegistrationStatus


@dataclass(frozen=True)
class PersonArrived(DomainEvent):
    """The person was checked in at the door."""

    registration: Registration
    at: datetime
