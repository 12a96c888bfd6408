"""Member organisations, their people and their programme: the rules, without I/O.

A member is one aggregate: the organisation with its current people and the people who
left (kept, never deleted), and where it stands in the park's programme. Every change
returns the new state and what happened (`community.domain.happened`); the service layer's
publication turns that into the full-state events subscribers read.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from pydantic import Field

from community.domain.happened import (
    KeysIssued,
    MemberDetailsChanged,
    MemberJoined,
    MemberLeftProgramme,
    MemberMovedStage,
    PersonErasedFromMember,
    PersonJoined,
    PersonLeft,
)
from community.domain.kept import Kept
from parkgrid.contracts.common import Id, MemberKind, ProgrammeStage
from parkgrid.contracts.community import MemberStatus, Person, Programme
from parkgrid.domain import DomainEvent
from parkgrid.refusals import Refusal, Refused

# How long each stage usually lasts, for a planned end nobody gave (incubation: ~18 months).
STAGE_MONTHS: dict[ProgrammeStage, int | None] = {
    ProgrammeStage.PRE_INCUBATION: 6,
    ProgrammeStage.INCUBATION: 18,
    ProgrammeStage.ACCELERATION: 12,
    ProgrammeStage.RESIDENT: 24,
    ProgrammeStage.ALUMNI: None,
}


class MemberRuleBroken(Refused):
    """A change the rules refuse; `field` names what the caller should fix (422)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(Refusal.INVALID, message, field=field)
        self.message = message


class WrongState(Refused):
    """The member is not in a state that allows this (409)."""

    def __init__(self, detail: str) -> None:
        super().__init__(Refusal.CONFLICT, detail)


class FormerPerson(Kept):
    """Someone who left the organisation: recorded, not deleted."""

    person: Person
    left_on: date


class Member(Kept):
    """The aggregate: the organisation, its people (current and former) and its programme."""

    member_id: Id
    name: str = Field(min_length=1, max_length=200)
    kind: MemberKind
    sector: str = Field(max_length=100)
    home_site_id: Id
    status: MemberStatus
    programme: Programme
    people: list[Person] = Field(default_factory=list, description="Current people.")
    former_people: list[FormerPerson] = Field(default_factory=list)
    left_on: date | None = None
    leave_reason: str | None = None
    erased_people: list[Id] = Field(
        default_factory=list, description="People erased at their request, by id alone: a second erasure is no change."
    )
    keys: dict[str, str] = Field(
        default_factory=dict,
        description="Each person's key (current and former), which seals their name and email in the events "
        "(`parkgrid.shredding`): the one place it is kept; erasing them deletes it. Never in a read model.",
    )

    def person(self, person_id: str) -> Person | None:
        return next((p for p in self.people if p.person_id == person_id), None)


def planned_end(stage: ProgrammeStage, started_on: date) -> date | None:
    months = STAGE_MONTHS[stage]
    if months is None:
        return None
    year, month = divmod(started_on.month - 1 + months, 12)
    first_of_month = date(started_on.year + year, month + 1, 1)
    last_day = (first_of_month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return first_of_month.replace(day=min(started_on.day, last_day.day))


def programme(stage: ProgrammeStage, cohort: str | None, started_on: date, planned_end_on: date | None) -> Programme:
    end = planned_end_on if planned_end_on is not None else planned_end(stage, started_on)
    if end is not None and end < started_on:
        raise MemberRuleBroken("the planned end is before the start", field="planned_end_on")
    return Programme(stage=stage, cohort=cohort, started_on=started_on, planned_end_on=end)


def _check_people(people: list[Person]) -> None:
    emails = [p.email.casefold() for p in people]
    if len(set(emails)) != len(emails):
        raise MemberRuleBroken("two people of the organisation have the same email", field="people")
    ids = [p.person_id for p in people]
    if len(set(ids)) != len(ids):
        raise MemberRuleBroken("two people of the organisation have the same id", field="people")


def register(
    member_id: str,
    *,
    name: str,
    kind: MemberKind,
    sector: str,
    home_site_id: str,
    programme: Programme,
    people: list[Person],
    keys: dict[str, str],
) -> tuple[Member, list[DomainEvent]]:
    """`keys`: one new key per person (made by the caller: the rules make nothing random)."""
    _check_people(people)
    member = Member(
        member_id=member_id,
        name=name,
        kind=kind,
        sector=sector,
        home_site_id=home_site_id,
        status=MemberStatus.ACTIVE,
        programme=programme,
        people=people,
        keys={p.person_id: keys[p.person_id] for p in people},
    )
    return member, [MemberJoined(member)]


def _active(member: Member) -> None:
    if member.status != MemberStatus.ACTIVE:
        raise WrongState(f"{member.name} left the programme on {member.left_on}")


def update(member: Member, changes: dict[str, Any]) -> tuple[Member, list[DomainEvent]]:
    """Name, kind, sector, home site, cohort or planned end; nothing changed → no event."""
    _active(member)
    programme_changes = {k: changes.pop(k) for k in ("cohort", "planned_end_on") if k in changes}
    current = member.programme
    if programme_changes:
        new_programme = Programme.model_validate({**current.model_dump(), **programme_changes})
        if new_programme.planned_end_on is not None and new_programme.planned_end_on < new_programme.started_on:
            raise MemberRuleBroken("the planned end is before the start", field="planned_end_on")
        changes["programme"] = new_programme
    updated = member.model_copy(update=changes)
    if updated == member:
        return member, []
    updated = Member.model_validate(updated.model_dump())
    return updated, [MemberDetailsChanged(updated)]


def change_stage(
    member: Member, stage: ProgrammeStage, cohort: str | None, on: date, planned_end_on: date | None = None
) -> tuple[Member, list[DomainEvent]]:
    """Move to another stage (a new cohort at the same stage counts too); same stage and cohort → no event."""
    _active(member)
    previous = member.programme
    new_cohort = cohort if cohort is not None else previous.cohort
    if stage == previous.stage and new_cohort == previous.cohort and planned_end_on is None:
        return member, []
    moved = member.model_copy(update={"programme": programme(stage, new_cohort, on, planned_end_on)})
    return moved, [MemberMovedStage(moved, previous_stage=previous.stage)]


def add_person(member: Member, person: Person, key: str) -> tuple[Member, list[DomainEvent]]:
    """`key`: a new key for them, kept if they get one (the caller makes it)."""
    _active(member)
    if member.person(person.person_id) is not None:
        return member, []
    if any(p.email.casefold() == person.email.casefold() for p in member.people):
        raise MemberRuleBroken(f"{person.email} is already someone of {member.name}", field="email")
    keys = {**member.keys, person.person_id: member.keys.get(person.person_id, key)}
    grown = member.model_copy(update={"people": [*member.people, person], "keys": keys})
    return grown, [PersonJoined(grown, person)]


def remove_person(member: Member, person_id: str, on: date) -> tuple[Member, list[DomainEvent]]:
    """The person leaves the organisation; they stay recorded among its former people."""
    person = member.person(person_id)
    if person is None:
        if any(f.person.person_id == person_id for f in member.former_people):
            return member, []
        raise LookupError(person_id)
    shrunk = member.model_copy(
        update={
            "people": [p for p in member.people if p.person_id != person_id],
            "former_people": [*member.former_people, FormerPerson(person=person, left_on=on)],
        }
    )
    return shrunk, [PersonLeft(shrunk, person)]


def leave(member: Member, on: date, reason: str | None) -> tuple[Member, list[DomainEvent]]:
    """The organisation leaves the programme; a second leave changes nothing."""
    if member.status == MemberStatus.LEFT:
        return member, []
    gone = member.model_copy(update={"status": MemberStatus.LEFT, "left_on": on, "leave_reason": reason})
    return gone, [MemberLeftProgramme(gone, on=on, reason=reason)]


def erase_person(member: Member, person_id: str) -> tuple[Member, list[DomainEvent]]:
    """Forget someone of the organisation, current or former, at their request: their name and
    email leave the aggregate for good, their id is kept among the erased so that a second erasure
    is no change. An organisation that left can still have its people erased."""
    if person_id in member.erased_people:
        return member, []
    known = member.person(person_id) is not None or any(f.person.person_id == person_id for f in member.former_people)
    if not known:
        raise LookupError(person_id)
    forgotten = member.model_copy(
        update={
            "people": [p for p in member.people if p.person_id != person_id],
            "former_people": [f for f in member.former_people if f.person.person_id != person_id],
            "erased_people": [*member.erased_people, person_id],
            "keys": {k: v for k, v in member.keys.items() if k != person_id},
        }
    )
    return forgotten, [PersonErasedFromMember(forgotten, person_id)]


def erase_everyone(member: Member) -> tuple[Member, list[DomainEvent]]:
    """An organisation that left the programme asks to be forgotten: each of its people, current
    and former, is erased (one fact each, as if one by one). While it is in the programme, its
    people are erased one by one, at each one's request."""
    if member.status != MemberStatus.LEFT:
        raise WrongState(f"{member.name} is still in the programme: erase its people one by one, or once it left")
    events: list[DomainEvent] = []
    for person_id in [p.person_id for p in member.people] + [f.person.person_id for f in member.former_people]:
        member, erased = erase_person(member, person_id)
        events += erased
    return member, events


def with_keys(member: Member, new_key: Callable[[], str]) -> tuple[Member, list[DomainEvent]]:
    """Every person, current and former, with a key: a member kept from before sealing existed
    gets its people's keys at its next change (published first, so that readers hold them before
    the events they open)."""
    everyone = [p.person_id for p in member.people] + [f.person.person_id for f in member.former_people]
    missing = [person_id for person_id in everyone if person_id not in member.keys]
    if not missing:
        return member, []
    keyed = member.model_copy(update={"keys": {**member.keys, **{p: new_key() for p in missing}}})
    return keyed, [KeysIssued(keyed, tuple(missing))]
