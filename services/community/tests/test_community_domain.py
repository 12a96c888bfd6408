"""The community's pure rules: members, the venue saga's state machine, registrations, tickets."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from community_examples import LATER, START, TIME, event, key, member, person, registration

from community.adapters.tickets import Ticket, TicketRefused, TicketSigner
from community.domain import events as saga
from community.domain import happened
from community.domain import members as rules
from community.domain import registrations as lifecycle
from community.domain.events import Seats, WrongState
from community.domain.members import MemberRuleBroken
from parkgrid.contracts.common import Actor, Eligibility, LocalizedText, MemberKind, Mode, ProgrammeStage
from parkgrid.contracts.community import CommunityEventStatus, Person, RegistrationStatus

NONE = Seats()
DOOR = lifecycle.Door(START - timedelta(hours=1), TIME.ends_at, "Africa/Casablanca")


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
        keys=org.keys,
    )
    assert events == [happened.MemberJoined(org)]


def test_member_rules() -> None:
    org = member()
    assert org.programme.planned_end_on == date(2027, 7, 5)  # 18 months
    with pytest.raises(MemberRuleBroken):
        rules.add_person(org, Person(person_id="p9", name="X", email="P1@org.ma", role="dev"), key(9))
    grown, events = rules.add_person(org, person(2), key(2))
    assert events == [happened.PersonJoined(grown, person(2))]
    assert rules.add_person(grown, person(2), key(2))[1] == []  # idempotent
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


def test_erasing_a_person_keeps_nothing_of_them_but_their_id() -> None:
    grown, _ = rules.add_person(member(), person(2), key(2))
    shrunk, _ = rules.remove_person(grown, "p1", date(2026, 6, 1))
    for who in ("p1", "p2"):  # a former person, then a current one
        shrunk, events = rules.erase_person(shrunk, who)
        assert events == [happened.PersonErasedFromMember(shrunk, who)]
    assert shrunk.people == []
    assert shrunk.former_people == []
    assert shrunk.erased_people == ["p1", "p2"]
    assert shrunk.keys == {}  # their keys went with them: what the events sealed is unreadable
    assert "@" not in shrunk.model_dump_json()  # no address left anywhere in the aggregate
    assert rules.erase_person(shrunk, "p1") == (shrunk, [])
    with pytest.raises(LookupError):
        rules.erase_person(shrunk, "p9")
    gone, _ = rules.leave(grown, date(2026, 8, 1), None)
    assert rules.erase_person(gone, "p2")[0].people == [person(1)]  # one who left can still be erased


def test_an_organisation_that_left_has_everyone_erased_one_fact_each() -> None:
    grown, _ = rules.add_person(member(), person(2), key(2))
    shrunk, _ = rules.remove_person(grown, "p1", date(2026, 6, 1))
    with pytest.raises(rules.WrongState):
        rules.erase_everyone(shrunk)  # still in the programme
    gone, _ = rules.leave(shrunk, date(2026, 8, 1), None)
    forgotten, events = rules.erase_everyone(gone)
    assert [e.person_id for e in events if isinstance(e, happened.PersonErasedFromMember)] == ["p2", "p1"]
    assert (forgotten.people, forgotten.former_people, forgotten.erased_people) == ([], [], ["p2", "p1"])
    assert forgotten.name == gone.name  # the organisation stays
    assert rules.erase_everyone(forgotten) == (forgotten, [])


def test_people_kept_from_before_sealing_get_keys_once() -> None:
    org = member().model_copy(update={"keys": {}})
    made = iter(["k-a", "k-b"])
    keyed, events = rules.with_keys(org, lambda: next(made))
    assert keyed.keys == {"p1": "k-a"}
    assert events == [happened.KeysIssued(keyed, ("p1",))]
    assert rules.with_keys(keyed, lambda: next(made)) == (keyed, [])


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
    assert saga.refusal_for_audience(event(), MemberKind.STARTUP, ProgrammeStage.ALUMNI, None, "Org") is None
    assert "tpe" in (saga.refusal_for_audience(event(), MemberKind.TPE, ProgrammeStage.ALUMNI, None, "Org") or "")


def test_the_audience_may_name_cohorts() -> None:
    """The kit's one eligibility rule (`Eligibility.unmet`), cohort included; the refusal names the cohorts."""
    cohort_a = event(audience=Eligibility(member_kinds=[MemberKind.STARTUP], cohorts=["2026-A"]))
    assert saga.refusal_for_audience(cohort_a, MemberKind.STARTUP, ProgrammeStage.INCUBATION, "2026-A", "Org") is None
    other = saga.refusal_for_audience(cohort_a, MemberKind.STARTUP, ProgrammeStage.INCUBATION, "2025-B", "Org")
    assert other == "Workshop is for members of cohort 2026-A; Org is in cohort 2025-B"
    none = saga.refusal_for_audience(cohort_a, MemberKind.STARTUP, ProgrammeStage.INCUBATION, None, "Org")
    assert none == "Workshop is for members of cohort 2026-A; Org is in no cohort"


def test_events_are_planned_neither_in_the_past_nor_beyond_two_years() -> None:
    assert saga.refusal_for_time(TIME, START - timedelta(days=30)) is None
    assert saga.refusal_for_time(TIME, START) == "an event cannot start in the past"
    assert (
        saga.refusal_for_time(TIME, START - timedelta(days=731)) == "an event cannot be planned more than 2 years ahead"
    )


def test_an_event_is_revised_with_what_changed() -> None:
    published, _ = saga.publish(event(mode=Mode.ONLINE, site_id=None, venue_requirement=None), NONE)
    title = LocalizedText(fr="Atelier IA", en="AI workshop")
    revised, events = saga.revise(
        published, {"title": title, "capacity": 30, "audience": published.audience}, Seats(5, 2)
    )
    assert (revised.title, revised.capacity, revised.registered) == (title, 30, 5)
    assert events == [happened.EventRevised(revised, changed=("title", "capacity"))]
    assert saga.revise(revised, {"title": title}, NONE)[1] == []
    cancelled, _ = saga.cancel(published, "ill", NONE)
    with pytest.raises(WrongState, match="a cancelled event cannot be edited"):
        saga.revise(cancelled, {"capacity": 30}, NONE)


def test_registration_lifecycle() -> None:
    queued, events = lifecycle.queued(registration(), 7, 3)
    assert (queued.status, queued.waitlist_position, queued.placing) == (RegistrationStatus.WAITLISTED, 3, False)
    up, events = lifecycle.promoted(queued)
    assert events == [happened.SeatFreedUpFor(up)]
    assert up.waitlist_position is None
    assert lifecycle.promoted(up)[1] == []  # once only
    inside, events = lifecycle.checked_in(up, START, DOOR)
    with pytest.raises(lifecycle.WrongState, match="already checked in at 10:00"):
        lifecycle.checked_in(inside, START + timedelta(minutes=5), DOOR)
    with pytest.raises(lifecycle.WrongState):
        lifecycle.cancelled(inside, Actor(role="member", subject="p1"), START)
    with pytest.raises(lifecycle.WrongState):
        lifecycle.checked_in(queued, START, DOOR)
    assert lifecycle.key_parts(queued.seat_key) == ("r-1", 1)


def test_the_door_takes_tickets_from_an_hour_before_the_start_to_the_end() -> None:
    up, _ = lifecycle.promoted(lifecycle.queued(registration(), 7, 3)[0])
    with pytest.raises(lifecycle.WrongState, match="check-in opens at 12/01/2027 09:00"):
        lifecycle.checked_in(up, START - timedelta(hours=1, seconds=1), DOOR)
    assert lifecycle.checked_in(up, START - timedelta(hours=1), DOOR)[0].status == RegistrationStatus.CHECKED_IN
    assert lifecycle.checked_in(up, TIME.ends_at - timedelta(seconds=1), DOOR)[1] != []
    with pytest.raises(lifecycle.WrongState, match="check-in closed at 12/01/2027 12:00: the event is over"):
        lifecycle.checked_in(up, TIME.ends_at, DOOR)


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
