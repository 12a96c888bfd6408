"""One organisation, one event and one registration, as the pure tests start from them."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, timedelta

from community.domain import members as rules
from community.domain.events import CommunityEvent
from community.domain.registrations import Registration
from parkgrid.contracts.common import Actor, Eligibility, LocalizedText, MemberKind, Mode, ProgrammeStage, TimeRange
from parkgrid.contracts.common import SpaceRequirement as Requirement
from parkgrid.contracts.community import CommunityEventStatus, Person, RegistrationStatus

START = datetime(2027, 1, 12, 9, tzinfo=UTC)
TIME = TimeRange(starts_at=START, ends_at=START + timedelta(hours=2))
LATER = TimeRange(starts_at=START + timedelta(days=1), ends_at=START + timedelta(days=1, hours=2))
ORG = Actor(role="member", subject="p1")


def person(n: int) -> Person:
    return Person(person_id=f"p{n}", name=f"P{n}", email=f"p{n}@org.ma", role="dev")


def key(n: int) -> str:
    """Person `n`'s key, the same at every run (a real one is random)."""
    return base64.urlsafe_b64encode(f"key of p{n}".encode().ljust(32, b".")).decode()


def member() -> rules.Member:
    """An incubated startup of Rabat with one person, as registered."""
    programme = rules.programme(ProgrammeStage.INCUBATION, "2026-A", date(2026, 1, 5), None)
    created, _ = rules.register(
        "m-1",
        name="Org",
        kind=MemberKind.STARTUP,
        sector="x",
        home_site_id="site-rabat",
        programme=programme,
        people=[person(1)],
        keys={"p1": key(1)},
    )
    return created


def event(**changes: object) -> CommunityEvent:
    """A draft workshop in Rabat that needs a meeting room, with `changes`."""
    base = CommunityEvent(
        event_id="e-1",
        site_id="site-rabat",
        kind="workshop",
        mode=Mode.IN_PERSON,
        title=LocalizedText(fr="Atelier", en="Workshop"),
        description=LocalizedText(fr="d", en="d"),
        time=TIME,
        time_zone="Africa/Casablanca",
        capacity=20,
        audience=Eligibility(member_kinds=[MemberKind.STARTUP]),
        venue_requirement=Requirement(kind="meeting_room", seats=20),
        status=CommunityEventStatus.DRAFT,
    )
    return base.model_copy(update=changes)


def registration(**changes: object) -> Registration:
    """A registration of p1 to the workshop, still being placed, with `changes`."""
    base = Registration(
        registration_id="r-1",
        event_id="e-1",
        member_id="m-1",
        person_id="p1",
        status=RegistrationStatus.WAITLISTED,
        registered_at=START - timedelta(days=3),
        registered_by=ORG,
        event_time=TIME,
        event_title=LocalizedText(fr="Atelier", en="Workshop"),
        placing=True,
    )
    return base.model_copy(update=changes)
