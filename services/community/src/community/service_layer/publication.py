"""What community publishes for what happened in its aggregates: the one place its public events are built.

Members, events and registrations are community's own models; subscribers read the
contract snapshots of `parkgrid.contracts.community` (every event carries the full
snapshot) and spaces reads its commands. A field community keeps for itself (former
people, people's keys, the saga's bookkeeping, the placing round) never leaks: a snapshot
takes only the fields its contract declares. A person's name and email are sealed under
their key (`parkgrid.shredding`), published on `community.subject_key` before the first
event that needs it and shredded when they are erased.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from community.domain import happened
from community.domain.members import Member
from parkgrid.contracts.common import Contract
from parkgrid.contracts.community import (
    CommunityEventCancelled,
    CommunityEventCompleted,
    CommunityEventPublished,
    CommunityEventRescheduled,
    CommunityEventRevised,
    CommunityEventScheduled,
    CommunityEventSnapshot,
    MemberLeft,
    MemberRegistered,
    MemberSnapshot,
    MemberStageChanged,
    MemberUpdated,
    Person,
    PersonAdded,
    PersonErased,
    PersonRemoved,
    RegistrationCancelled,
    RegistrationCheckedIn,
    RegistrationConfirmed,
    RegistrationPromoted,
    RegistrationSnapshot,
    RegistrationWaitlisted,
    SealedPerson,
    SubjectKeyIssued,
    SubjectKeyShredded,
)
from parkgrid.contracts.spaces import ReleaseRequested, Requester, ReservationRequested
from parkgrid.domain import Publication
from parkgrid.events import IntegrationEvent
from parkgrid.shredding import sealed_person

publication = Publication("community")


def snapshot(aggregate: BaseModel, contract: type[Contract]) -> dict[str, Any]:
    """The fields of `contract` taken from `aggregate` (what community keeps for itself stays out)."""
    return aggregate.model_dump(include=set(contract.model_fields))


# --- members -------------------------------------------------------------------------


def sealed(member: Member, person: Person) -> SealedPerson:
    """The person as events carry them: name and email sealed under their key (never in clear:
    a person without a key is a fault, not a person to publish)."""
    return SealedPerson.model_validate(sealed_person(person.model_dump(mode="json"), member.keys[person.person_id]))


def member_snapshot(member: Member) -> dict[str, Any]:
    """The member's public snapshot, each person sealed."""
    return {**snapshot(member, MemberSnapshot), "people": [sealed(member, p) for p in member.people]}


def key_of(member: Member, person_id: str) -> SubjectKeyIssued:
    return SubjectKeyIssued(person_id=person_id, member_id=member.member_id, key=member.keys[person_id])


@publication.maps(happened.MemberJoined)
def _(fact: happened.MemberJoined) -> list[IntegrationEvent]:
    keys: list[IntegrationEvent] = [key_of(fact.member, p.person_id) for p in fact.member.people]
    return [*keys, MemberRegistered(**member_snapshot(fact.member))]


@publication.maps(happened.KeysIssued)
def _(fact: happened.KeysIssued) -> list[IntegrationEvent]:
    return [key_of(fact.member, person_id) for person_id in fact.person_ids]


@publication.maps(happened.MemberDetailsChanged)
def _(fact: happened.MemberDetailsChanged) -> list[IntegrationEvent]:
    return [MemberUpdated(**member_snapshot(fact.member))]


@publication.maps(happened.MemberMovedStage)
def _(fact: happened.MemberMovedStage) -> list[IntegrationEvent]:
    return [MemberStageChanged(**member_snapshot(fact.member), previous_stage=fact.previous_stage)]


@publication.maps(happened.PersonJoined)
def _(fact: happened.PersonJoined) -> list[IntegrationEvent]:
    person = sealed(fact.member, fact.person)
    return [key_of(fact.member, fact.person.person_id), PersonAdded(**member_snapshot(fact.member), person=person)]


@publication.maps(happened.PersonLeft)
def _(fact: happened.PersonLeft) -> list[IntegrationEvent]:
    return [PersonRemoved(**member_snapshot(fact.member), person=sealed(fact.member, fact.person))]


@publication.maps(happened.PersonErasedFromMember)
def _(fact: happened.PersonErasedFromMember) -> list[IntegrationEvent]:
    member_id = fact.member.member_id
    return [
        PersonErased(**member_snapshot(fact.member), person_id=fact.person_id),
        SubjectKeyShredded(person_id=fact.person_id, member_id=member_id),
    ]


@publication.maps(happened.MemberLeftProgramme)
def _(fact: happened.MemberLeftProgramme) -> list[IntegrationEvent]:
    return [MemberLeft(**member_snapshot(fact.member), left_on=fact.on, reason=fact.reason)]


# --- community events, and their commands to spaces ---------------------------------


@publication.maps(happened.EventDrafted)
def _(fact: happened.EventDrafted) -> list[IntegrationEvent]:
    return [CommunityEventScheduled(**snapshot(fact.event, CommunityEventSnapshot))]


@publication.maps(happened.EventBackToDraft)
def _(fact: happened.EventBackToDraft) -> list[IntegrationEvent]:
    """Back to draft is told as `scheduled` again (with the venue refusal)."""
    return [CommunityEventScheduled(**snapshot(fact.event, CommunityEventSnapshot))]


@publication.maps(happened.EventOpened)
def _(fact: happened.EventOpened) -> list[IntegrationEvent]:
    return [CommunityEventPublished(**snapshot(fact.event, CommunityEventSnapshot))]


@publication.maps(happened.EventMoved)
def _(fact: happened.EventMoved) -> list[IntegrationEvent]:
    event = snapshot(fact.event, CommunityEventSnapshot)
    return [CommunityEventRescheduled(**event, previous_time=fact.previous_time)]


@publication.maps(happened.EventRevised)
def _(fact: happened.EventRevised) -> list[IntegrationEvent]:
    return [CommunityEventRevised(**snapshot(fact.event, CommunityEventSnapshot), changed=list(fact.changed))]


@publication.maps(happened.EventCalledOff)
def _(fact: happened.EventCalledOff) -> list[IntegrationEvent]:
    return [CommunityEventCancelled(**snapshot(fact.event, CommunityEventSnapshot), reason=fact.reason)]


@publication.maps(happened.EventHeld)
def _(fact: happened.EventHeld) -> list[IntegrationEvent]:
    event = snapshot(fact.event, CommunityEventSnapshot)
    return [CommunityEventCompleted(**event, attended=fact.attended, no_shows=fact.no_shows)]


@publication.maps(happened.VenueAskedFor)
def _(fact: happened.VenueAskedFor) -> list[IntegrationEvent]:
    return [
        ReservationRequested(
            request_id=fact.request_id,
            requested_by=Requester.COMMUNITY,
            reference_id=fact.event.event_id,
            site_id=fact.site_id,
            requirement=fact.requirement,
            time=fact.time,
        )
    ]


@publication.maps(happened.VenueGivenBack)
def _(fact: happened.VenueGivenBack) -> list[IntegrationEvent]:
    return [
        ReleaseRequested(
            request_id=fact.request_id,
            requested_by=Requester.COMMUNITY,
            reference_id=fact.event.event_id,
            site_id=fact.site_id,
            reason=fact.reason,
        )
    ]


# --- registrations -------------------------------------------------------------------


@publication.maps(happened.SeatTaken)
def _(fact: happened.SeatTaken) -> list[IntegrationEvent]:
    return [RegistrationConfirmed(**snapshot(fact.registration, RegistrationSnapshot))]


@publication.maps(happened.PlaceInLineTaken)
def _(fact: happened.PlaceInLineTaken) -> list[IntegrationEvent]:
    return [RegistrationWaitlisted(**snapshot(fact.registration, RegistrationSnapshot))]


@publication.maps(happened.SeatFreedUpFor)
def _(fact: happened.SeatFreedUpFor) -> list[IntegrationEvent]:
    return [RegistrationPromoted(**snapshot(fact.registration, RegistrationSnapshot))]


@publication.maps(happened.RegistrationWithdrawn)
def _(fact: happened.RegistrationWithdrawn) -> list[IntegrationEvent]:
    registration = snapshot(fact.registration, RegistrationSnapshot)
    return [RegistrationCancelled(**registration, cancelled_by=fact.by, previous_status=fact.previous_status)]


@publication.maps(happened.PersonArrived)
def _(fact: happened.PersonArrived) -> list[IntegrationEvent]:
    return [RegistrationCheckedIn(**snapshot(fact.registration, RegistrationSnapshot), checked_in_at=fact.at)]


__all__ = ["publication", "snapshot"]
