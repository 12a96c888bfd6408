"""Events of the community context: member organisations and their people, community
events, and registrations to them."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field

from parkgrid.contracts.common import (
    Actor,
    Contract,
    Eligibility,
    Email,
    Id,
    Language,
    LocalizedText,
    MemberKind,
    Mode,
    ProgrammeStage,
    SpaceRequirement,
    TimeRange,
    TimeZone,
)
from parkgrid.events import IntegrationEvent, registry
from parkgrid.inputs import Day, Instant

# --- members -------------------------------------------------------------------------


class MemberStatus(StrEnum):
    ACTIVE = "active"
    LEFT = "left"


class Person(Contract):
    """Someone of a member organisation (a founder, an employee)."""

    person_id: Id
    name: str = Field(min_length=1, max_length=200)
    email: Email
    role: str = Field(max_length=100, description="Their role in the organisation, e.g. CEO.")
    language: Language = Language.FR


class Programme(Contract):
    """Where the organisation is in the park's programme."""

    stage: ProgrammeStage
    cohort: str | None = Field(None, max_length=50)
    started_on: Day
    planned_end_on: Day | None = None


class Organisation(Contract):
    """What every member event says of the organisation itself (its people are versioned apart)."""

    member_id: Id
    name: str = Field(min_length=1, max_length=200)
    kind: MemberKind
    sector: str = Field(max_length=100)
    home_site_id: Id
    status: MemberStatus
    programme: Programme


class MemberSnapshotV1(Organisation):
    """A member organisation with its people (names and addresses in clear) and programme: v1 events."""

    people: list[Person] = Field(default_factory=list, description="Current people (those who left are not listed).")


Sealable = Annotated[
    str,
    Field(
        min_length=1,
        max_length=1000,
        description="Sealed under the person's own key: `shredded:v1:<person id>:<Fernet token>`, opened with the "
        "key `community.subject_key` carries for that person (`parkgrid.shredding.opened`); once the person is "
        "erased, nobody can. In clear in an event written before v2 (read as v2 by upcasting).",
    ),
]


class SealedPerson(Contract):
    """Someone of a member organisation as member events (v2) carry them: who they are and how to
    reach them sealed under a key of their own, so that erasing them leaves nothing readable."""

    person_id: Id
    name: Sealable
    email: Sealable
    role: str = Field(max_length=100, description="Their role in the organisation, e.g. CEO.")
    language: Language = Language.FR


class MemberSnapshot(Organisation):
    """A member organisation with its people and programme, as it stands after the event; each
    person's name and email sealed under their own key (`SealedPerson`)."""

    people: list[SealedPerson] = Field(
        default_factory=list, description="Current people (those who left are not listed)."
    )


# v1: people in clear. Still read (upcast to v2: a value in clear is a valid sealable one).


@registry.register
class MemberRegisteredV1(IntegrationEvent, MemberSnapshotV1):
    """An organisation joined a park's programme (v1: people in clear)."""

    event_type = "parkgrid.community.member.registered"


@registry.register
class MemberUpdatedV1(IntegrationEvent, MemberSnapshotV1):
    """An organisation's details changed (v1: people in clear)."""

    event_type = "parkgrid.community.member.updated"


@registry.register
class MemberStageChangedV1(IntegrationEvent, MemberSnapshotV1):
    """An organisation moved to another programme stage (v1: people in clear)."""

    event_type = "parkgrid.community.member.stage_changed"
    previous_stage: ProgrammeStage


@registry.register
class MemberLeftV1(IntegrationEvent, MemberSnapshotV1):
    """An organisation left the programme (v1: people in clear)."""

    event_type = "parkgrid.community.member.left"
    left_on: Day
    reason: str | None = Field(None, max_length=500)


@registry.register
class PersonAddedV1(IntegrationEvent, MemberSnapshotV1):
    """Someone joined a member organisation (v1: people in clear)."""

    event_type = "parkgrid.community.member.person_added"
    person: Person


@registry.register
class PersonRemovedV1(IntegrationEvent, MemberSnapshotV1):
    """Someone left a member organisation (v1: people in clear)."""

    event_type = "parkgrid.community.member.person_removed"
    person: Person


@registry.register
class PersonErasedV1(IntegrationEvent, MemberSnapshotV1):
    """Someone of the organisation was erased at their request (v1: the others in clear)."""

    event_type = "parkgrid.community.member.person_erased"
    person_id: Id


# v2: each person's name and email sealed under their own key.


@registry.register
class MemberRegistered(IntegrationEvent, MemberSnapshot):
    """An organisation joined a park's programme."""

    event_type = "parkgrid.community.member.registered"
    version = 2


@registry.register
class MemberUpdated(IntegrationEvent, MemberSnapshot):
    """An organisation's details changed."""

    event_type = "parkgrid.community.member.updated"
    version = 2


@registry.register
class MemberStageChanged(IntegrationEvent, MemberSnapshot):
    """An organisation moved to another programme stage."""

    event_type = "parkgrid.community.member.stage_changed"
    version = 2
    previous_stage: ProgrammeStage


@registry.register
class MemberLeft(IntegrationEvent, MemberSnapshot):
    """An organisation left the programme (recorded, never deleted)."""

    event_type = "parkgrid.community.member.left"
    version = 2
    left_on: Day
    reason: str | None = Field(None, max_length=500)


@registry.register
class PersonAdded(IntegrationEvent, MemberSnapshot):
    """Someone joined a member organisation."""

    event_type = "parkgrid.community.member.person_added"
    version = 2
    person: SealedPerson


@registry.register
class PersonRemoved(IntegrationEvent, MemberSnapshot):
    """Someone left a member organisation."""

    event_type = "parkgrid.community.member.person_removed"
    version = 2
    person: SealedPerson


@registry.register
class PersonErased(IntegrationEvent, MemberSnapshot):
    """Someone of the organisation (current or former) was erased at their request: forget every copy of their name and address (their id stays, naming nobody)."""  # noqa: E501

    # Law 09-08 and the GDPR's right to erasure: the snapshot no longer holds them, their key is
    # shredded (`SubjectKeyShredded`), and a subscriber forgets what it keeps of them in clear.
    # Their id stays in bookings and registrations.
    event_type = "parkgrid.community.member.person_erased"
    version = 2
    person_id: Id


for _v1 in (
    MemberRegisteredV1,
    MemberUpdatedV1,
    MemberStageChangedV1,
    MemberLeftV1,
    PersonAddedV1,
    PersonRemovedV1,
    PersonErasedV1,
):
    registry.upcaster(_v1.event_type, from_version=1)(dict)


# --- people's keys -------------------------------------------------------------------


@registry.register
class SubjectKeyIssued(IntegrationEvent):
    """A person's key: it opens their sealed name and email in member events (`parkgrid.shredding`)."""

    event_type = "parkgrid.community.subject_key.issued"
    addressed_to = "community.subject_key"
    person_id: Id
    member_id: Id
    key: str = Field(min_length=1, max_length=200, description="A Fernet key (url-safe base64).")

    def partition_key(self, aggregate_id: str) -> str:
        return self.person_id


@registry.register
class SubjectKeyShredded(IntegrationEvent):
    """The person was erased: their key is gone, and with it every sealed value of theirs, wherever it is kept."""

    event_type = "parkgrid.community.subject_key.shredded"
    addressed_to = "community.subject_key"
    person_id: Id
    member_id: Id

    def partition_key(self, aggregate_id: str) -> str:
        return self.person_id


# --- community events ----------------------------------------------------------------


class CommunityEventKind(StrEnum):
    WORKSHOP = "workshop"
    PITCH_SESSION = "pitch_session"
    DEMO_DAY = "demo_day"
    NETWORKING = "networking"
    TRAINING = "training"


class CommunityEventStatus(StrEnum):
    DRAFT = "draft"
    VENUE_PENDING = "venue_pending"
    PUBLISHED = "published"
    CANCELLED = "cancelled"
    COMPLETED = "completed"


class Venue(Contract):
    """The space reserved for an event."""

    reservation_request_id: Id
    space_id: Id
    space_name: str


class CommunityEventSnapshot(Contract):
    """A community event (workshop, pitch session, demo day...) as it stands."""

    event_id: Id
    site_id: Id | None = Field(None, description="None for an online event.")
    kind: CommunityEventKind
    mode: Mode
    title: LocalizedText
    description: LocalizedText
    time: TimeRange
    time_zone: TimeZone
    capacity: int = Field(ge=1, le=5000)
    audience: Eligibility
    venue_requirement: SpaceRequirement | None = None
    venue: Venue | None = None
    venue_refusal: str | None = Field(None, max_length=500, description="Why the last venue request failed.")
    status: CommunityEventStatus
    registered: int = Field(0, ge=0)
    waitlisted: int = Field(0, ge=0)


@registry.register
class CommunityEventScheduled(IntegrationEvent, CommunityEventSnapshot):
    """An event was created (a draft, or waiting for its venue)."""

    event_type = "parkgrid.community.event.scheduled"


@registry.register
class CommunityEventPublished(IntegrationEvent, CommunityEventSnapshot):
    """An event opened for registration (its venue, if any, is reserved)."""

    event_type = "parkgrid.community.event.published"


@registry.register
class CommunityEventRescheduled(IntegrationEvent, CommunityEventSnapshot):
    """An event moved to another time (its new venue reserved before the old one released)."""

    event_type = "parkgrid.community.event.rescheduled"
    previous_time: TimeRange


@registry.register
class CommunityEventRevised(IntegrationEvent, CommunityEventSnapshot):
    """Staff changed an event's title, description, capacity or audience (its time: `rescheduled`)."""

    event_type = "parkgrid.community.event.revised"
    changed: list[str] = Field(
        min_length=1, description="The snapshot fields that changed: title, description, capacity, audience."
    )


@registry.register
class CommunityEventCancelled(IntegrationEvent, CommunityEventSnapshot):
    """An event was cancelled; its registrations are cancelled and its venue released."""

    event_type = "parkgrid.community.event.cancelled"
    reason: str = Field(max_length=500)


@registry.register
class CommunityEventCompleted(IntegrationEvent, CommunityEventSnapshot):
    """An event took place; attendance is final."""

    event_type = "parkgrid.community.event.completed"
    attended: int = Field(ge=0)
    no_shows: int = Field(ge=0)


# --- registrations -------------------------------------------------------------------


class RegistrationStatus(StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    CHECKED_IN = "checked_in"


class RegistrationSnapshot(Contract):
    """A person's registration to a community event."""

    registration_id: Id
    event_id: Id
    member_id: Id
    person_id: Id
    status: RegistrationStatus
    waitlist_position: int | None = Field(None, ge=1)
    registered_at: Instant
    registered_by: Actor
    event_time: TimeRange
    event_title: LocalizedText


@registry.register
class RegistrationConfirmed(IntegrationEvent, RegistrationSnapshot):
    """A person has a seat at an event."""

    event_type = "parkgrid.community.registration.confirmed"


@registry.register
class RegistrationWaitlisted(IntegrationEvent, RegistrationSnapshot):
    """The event was full; the person waits in line."""

    event_type = "parkgrid.community.registration.waitlisted"


@registry.register
class RegistrationPromoted(IntegrationEvent, RegistrationSnapshot):
    """A seat freed up and went to this person, first in line."""

    event_type = "parkgrid.community.registration.promoted"


@registry.register
class RegistrationCancelled(IntegrationEvent, RegistrationSnapshot):
    """The registration was cancelled (by the person, staff, or the event's cancellation)."""

    event_type = "parkgrid.community.registration.cancelled"
    cancelled_by: Actor
    previous_status: RegistrationStatus


@registry.register
class RegistrationCheckedIn(IntegrationEvent, RegistrationSnapshot):
    """The person was checked in at the door."""

    event_type = "parkgrid.community.registration.checked_in"
    checked_in_at: Instant
