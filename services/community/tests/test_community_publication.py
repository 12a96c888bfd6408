"""The one map from community's domain events to what it publishes: complete, and unchanged for subscribers."""

from __future__ import annotations

from datetime import date
from typing import Any

from community_examples import ORG, START, TIME, event, key, member, person, registration

from community.domain import events as saga
from community.domain import happened
from community.domain import members as rules
from community.domain import registrations as lifecycle
from community.domain.events import Seats
from community.service_layer.publication import publication
from parkgrid import shredding
from parkgrid.contracts.common import SpaceRequirement as Requirement
from parkgrid.contracts.community import RegistrationStatus
from parkgrid.contracts.spaces import ReleaseRequested, Requester, ReservationRequested
from parkgrid.domain import DomainEvent

TIMES = {"starts_at": "2027-01-12T09:00:00Z", "ends_at": "2027-01-12T11:00:00Z"}
TITLE = {"fr": "Atelier", "en": "Workshop", "ar": None}


def published(facts: list[DomainEvent]) -> list[tuple[str, dict[str, Any]]]:
    return [(type(e).__name__, e.model_dump(mode="json")) for e in publication(facts)]


def test_every_domain_event_is_published() -> None:
    assert publication.unmapped(happened) == []


def test_a_member_is_published_as_its_snapshot_without_what_community_keeps() -> None:
    org = member()
    org, _ = rules.add_person(org, person(2), key(2))
    org, _ = rules.remove_person(org, "p1", date(2026, 6, 1))
    gone, facts = rules.leave(org, date(2026, 8, 1), "acquired")
    assert gone.former_people
    [(_, body)] = published(facts)
    [p2] = body["people"]
    # Name and email sealed under p2's key: opened with it, and with nothing else.
    assert shredding.is_sealed(p2["name"])
    assert shredding.is_sealed(p2["email"])
    assert shredding.opened_person(p2, {"p2": key(2)}) == {**p2, "name": "P2", "email": "p2@org.ma"}
    assert shredding.opened_person(p2, {"p1": key(1)}) is None
    body["people"] = [{**p2, "name": "P2", "email": "p2@org.ma"}]
    assert [("MemberLeft", body)] == [
        (
            "MemberLeft",
            {
                "member_id": "m-1",
                "name": "Org",
                "kind": "startup",
                "sector": "x",
                "home_site_id": "site-rabat",
                "status": "left",
                "programme": {
                    "stage": "incubation",
                    "cohort": "2026-A",
                    "started_on": "2026-01-05",
                    "planned_end_on": "2027-07-05",
                },
                "people": [{"person_id": "p2", "name": "P2", "email": "p2@org.ma", "role": "dev", "language": "fr"}],
                "left_on": "2026-08-01",
                "reason": "acquired",
            },
        )
    ]


def test_keys_are_published_before_what_they_open_and_shredded_with_the_person() -> None:
    org, facts = rules.add_person(member(), person(2), key(2))
    public = publication(facts)
    assert [type(e).__name__ for e in public] == ["SubjectKeyIssued", "PersonAdded"]
    assert (public[0].person_id, public[0].key, public[0].partition_key("m-1")) == ("p2", key(2), "p2")  # type: ignore[attr-defined]
    _, facts = rules.erase_person(org, "p2")
    public = publication(facts)
    assert [type(e).__name__ for e in public] == ["PersonErased", "SubjectKeyShredded"]
    assert public[1].partition_key("m-1") == "p2"
    body = str(public[0].model_dump())  # sealed tokens are random base64: look for whole values only
    assert "'P2'" not in body
    assert "p2@org.ma" not in body


def test_the_venue_saga_sends_spaces_its_commands() -> None:
    waiting, facts = saga.publish(event(), Seats())
    assert publication(facts) == [
        ReservationRequested(
            request_id="e-1.venue.1",
            requested_by=Requester.COMMUNITY,
            reference_id="e-1",
            site_id="site-rabat",
            requirement=Requirement(kind="meeting_room", seats=20),
            time=TIME,
        )
    ]
    _, facts = saga.cancel(waiting, "x" * 495, Seats(2, 1))
    public = publication(facts)
    assert [type(e).__name__ for e in public] == ["CommunityEventCancelled", "ReleaseRequested"]
    body = public[0].model_dump(mode="json")
    assert (body["status"], body["registered"], body["waitlisted"], body["reason"]) == ("cancelled", 2, 1, "x" * 495)
    assert not {"venue_request_id", "pending_time", "requests_made", "cancel_reason"} & set(body)
    assert public[1] == ReleaseRequested(
        request_id="e-1.venue.1",
        requested_by=Requester.COMMUNITY,
        reference_id="e-1",
        site_id="site-rabat",
        reason=("event cancelled: " + "x" * 495)[:500],
    )


def test_a_registration_is_published_without_its_placing_round() -> None:
    placing = registration(status=RegistrationStatus.WAITLISTED, round=2)
    seated, facts = lifecycle.seated(placing, 4)
    _, cancelled = lifecycle.cancelled(seated, ORG, START)
    snapshot = {
        "registration_id": "r-1",
        "event_id": "e-1",
        "member_id": "m-1",
        "person_id": "p1",
        "waitlist_position": None,
        "registered_at": "2027-01-09T09:00:00Z",
        "registered_by": {"role": "member", "subject": "p1"},
        "event_time": TIMES,
        "event_title": TITLE,
    }
    assert published([*facts, *cancelled]) == [
        ("RegistrationConfirmed", {**snapshot, "status": "confirmed"}),
        (
            "RegistrationCancelled",
            {
                **snapshot,
                "status": "cancelled",
                "cancelled_by": {"role": "member", "subject": "p1"},
                "previous_status": "confirmed",
            },
        ),
    ]
