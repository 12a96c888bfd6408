"""The community's pure rules: members, the venue saga's state machine, registrations, tickets."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from community_examples import LATER, START, TIME, event, member, person, registration

from community.adapters.tickets import Ticket, TicketRefused, TicketSigner
from community.domain import events as saga
from community.domain import happened
from community.domain import members as rules
from community.domain import registrations as lifecycle
from community.domain.events import Seats, WrongState
from community.domain.members import MemberRuleBroken
from parkgrid.contracts.common import Actor, MemberKind, Mode, ProgrammeStage
from parkgrid.contracts.community import CommunityEventStatus, Person, RegistrationStatus

NONE = Seats()


def test_a_member_is_registered_with_its_planned_end() -> None:
    org = member()
    _, events = rules.register(
        org.member_id,
        name=org.name,
        kind=org.kind,
        sector=org.sector,
        home_site_id=org.home_site_id,
        programme=org.programme,
        people=org.people,
    )
    assert events == [happened.MemberJoined(org)]


def test_member_rules() -> None:
    org = member()
    assert org.programme.planned_end_on == date(2027, 7, 5)  # 18 months
    with pytest.raises(MemberRuleBroken):
        rules.add_person(org, Person(person_id="p9", name="X", email="P1@org.ma", role="dev"))
    grown, events = rules.add_person(org, person(2))
    assert events == [happened.PersonJoined(grown, person(2))]
    assert rules.add_person(grown, person(2))[1] == []  # idempotent
    shrunk, _ = rules.remove_person(grown, "p1", date(2026, 6, 1))
    assert [p.person_id for p in shrunk.people] == ["p2"]
    assert shrunk.former_people[0].person.person_id == "p1"
    assert rules.remove_person(shrunk, "p1", date(2026, 6, 2))[1] == []
    moved, events = rules.change_stage(shrunk, ProgrammeStage.ACCELERATION, None, date(2026, 7, 1))
    assert events == [happened.MemberMovedStage(moved, previous_stage=ProgrammeStage.INCUBATION)]
    assert moved.programme.cohort == "2026-A"
    assert rules.change_stage(moved, ProgrammeStage.ACCELERATION, None, date(2026, 7, 2))[1] == []
    gone, events = rules.leave(moved, date(2026, 8, 1), "acquired")
    assert rules.leave(gone, date(2026, 8, 2), None)[1] == []
    with pytest.raises(rules.WrongState):
        rules.change_stage(gone, ProgrammeStage.ALUMNI, None, date(2026, 9, 1))


def test_publish_asks_for_a_venue_and_a_refusal_goes_back_to_draft() -> None:
    waiting, commands = saga.publish(event(), NONE)
    assert waiting.status == CommunityEventStatus.VENUE_PENDING
    assert isinstance(commands[0], happened.VenueAskedFor)
    assert commands[0].request_id == "e-1.venue.1" == waiting.venue_request_id
    with pytest.raises(WrongState):
        saga.publish(waiting, NONE)
    assert saga.venue_refused(waiting, "e-1.venue.9", "stale", NONE)[1] == []
    draft, events = saga.venue_refused(waiting, "e-1.venue.1", "no_space_free: taken", NONE)
    assert (draft.status, draft.venue_refusal) == (CommunityEventStatus.DRAFT, "no_space_free: taken")
    assert events == [happened.EventBackToDraft(draft)]
    _again, commands = saga.publish(draft, NONE)
    assert isinstance(commands[0], happened.VenueAskedFor)
    assert commands[0].request_id == "e-1.venue.2"


def test_confirmation_publishes_once_and_unwanted_answers_are_released() -> None:
    waiting, _ = saga.publish(event(), NONE)
    published, events = saga.venue_confirmed(waiting, "e-1.venue.1", "room-1", "Atlas", Seats(3, 0))
    assert published.status == CommunityEventStatus.PUBLISHED
    assert published.venue is not None
    assert published.venue.space_id == "room-1"
    assert published.registered == 3
    assert events == [happened.EventOpened(published)]
    assert saga.venue_confirmed(published, "e-1.venue.1", "room-1", "Atlas", NONE)[1] == []  # duplicate
    _, stray = saga.venue_confirmed(published, "e-1.venue.7", "room-2", "Argane", NONE)
    assert isinstance(stray[0], happened.VenueGivenBack)
    assert stray[0].request_id == "e-1.venue.7"


def test_reschedule_holds_the_new_venue_before_releasing_the_old() -> None:
    waiting, _ = saga.publish(event(), NONE)
    published, _ = saga.venue_confirmed(waiting, "e-1.venue.1", "room-1", "Atlas", NONE)
    pending, commands = saga.reschedule(published, LATER, NONE)
    assert pending.time == TIME
    assert pending.pending_time == LATER
    assert isinstance(commands[0], happened.VenueAskedFor)
    assert commands[0].time == LATER
    with pytest.raises(WrongState):
        saga.reschedule(pending, TIME, NONE)
    moved, events = saga.venue_confirmed(pending, "e-1.venue.2", "room-2", "Argane", NONE)
    assert moved.time == LATER
    assert moved.venue is not None
    assert moved.venue.space_id == "room-2"
    assert [type(e).__name__ for e in events] == ["EventMoved", "VenueGivenBack"]
    assert isinstance(events[1], happened.VenueGivenBack)
    assert events[1].request_id == "e-1.venue.1"
    # A refused reschedule keeps the event as it was.
    pending, _ = saga.reschedule(moved, TIME, NONE)
    kept, events = saga.venue_refused(pending, "e-1.venue.3", "no_space_free", NONE)
    assert (kept.time, kept.venue, events) == (LATER, moved.venue, [])


def test_cancel_releases_what_is_held_and_what_was_asked() -> None:
    waiting, _ = saga.publish(event(), NONE)
    cancelled, events = saga.cancel(waiting, "budget", NONE)
    assert [type(e).__name__ for e in events] == ["EventCalledOff", "VenueGivenBack"]
    assert saga.cancel(cancelled, "again", NONE)[1] == []
    # The late confirmation of a cancelled event is given back.
    same, late = saga.venue_confirmed(cancelled, "e-1.venue.1", "room-1", "Atlas", NONE)
    assert same.status == CommunityEventStatus.CANCELLED
    assert isinstance(late[0], happened.VenueGivenBack)
    online, events = saga.publish(event(mode=Mode.ONLINE, site_id=None, venue_requirement=None), NONE)
    assert online.status == CommunityEventStatus.PUBLISHED
    assert len(events) == 1


def test_audience() -> None:
    assert saga.refusal_for_audience(event(), MemberKind.STARTUP, ProgrammeStage.ALUMNI, "Org") is None
    assert "tpe" in (saga.refusal_for_audience(event(), MemberKind.TPE, ProgrammeStage.ALUMNI, "Org") or "")


def test_registration_lifecycle() -> None:
    queued, events = lifecycle.queued(registration(), 7, 3)
    assert (queued.status, queued.waitlist_position, queued.placing) == (RegistrationStatus.WAITLISTED, 3, False)
    up, events = lifecycle.promoted(queued)
    assert events == [happened.SeatFreedUpFor(up)]
    assert up.waitlist_position is None
    assert lifecycle.promoted(up)[1] == []  # once only
    inside, events = lifecycle.checked_in(up, START)
    assert lifecycle.checked_in(inside, START + timedelta(minutes=5))[1] == []
    with pytest.raises(lifecycle.WrongState):
        lifecycle.cancelled(inside, Actor(role="member", subject="p1"), START)
    with pytest.raises(lifecycle.WrongState):
        lifecycle.checked_in(queued, START)
    assert lifecycle.key_parts(queued.seat_key) == ("r-1", 1)


def test_tickets_are_bound_signed_and_expire() -> None:
    signer = TicketSigner("secret")
    token = signer.issue(Ticket("r-1", 2, "e-1"), datetime.now(UTC) + timedelta(hours=1))
    assert signer.read(token) == Ticket("r-1", 2, "e-1")
    with pytest.raises(TicketRefused, match="signature"):
        TicketSigner("other secret").read(token)
    with pytest.raises(TicketRefused, match="expired"):
        signer.read(signer.issue(Ticket("r-1", 2, "e-1"), datetime.now(UTC) - timedelta(hours=7)))
    with pytest.raises(TicketRefused, match="not a ParkGrid ticket"):
        signer.read("not-a-token")


def test_an_event_completes_after_its_end_with_its_attendance() -> None:
    published, _ = saga.publish(event(mode=Mode.ONLINE, site_id=None, venue_requirement=None), NONE)
    assert saga.complete(published, 3, 1, TIME.ends_at - timedelta(minutes=1), NONE)[1] == []
    done, events = saga.complete(published, 3, 1, TIME.ends_at, Seats(4, 0))
    assert done.status == CommunityEventStatus.COMPLETED
    assert events == [happened.EventHeld(done, attended=3, no_shows=1)]
    assert saga.complete(done, 3, 1, TIME.ends_at, NONE)[1] == []
