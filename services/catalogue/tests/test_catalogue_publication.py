"""The catalogue's publication: every domain event is mapped, and to the public events of before.

Subscribers must not notice that the domain now speaks its own language: a draft still
publishes nothing, and the first publish, a revision and a withdrawal are the same v2
events with the offering's full snapshot.
"""

from __future__ import annotations

from typing import Any

from catalogue_samples import NOW, RABAT, details

import catalogue.domain.happened
from catalogue.domain import offering as rules
from catalogue.service_layer.publication import publication
from parkgrid.contracts.catalogue import OfferingPublished, OfferingUpdated, OfferingWithdrawn

DETAILS = details(credits=2)


def payload(status: str, **changes: Any) -> dict[str, Any]:
    """The v2 snapshot of DETAILS, written out as subscribers receive it."""
    return {
        "offering_id": "o-1",
        "site_id": "site-rabat",
        "category": "mentoring",
        "title": {"fr": "Mentorat", "en": "Mentoring", "ar": None},
        "description": {"fr": "Une heure avec un mentor", "en": "One hour with a mentor", "ar": None},
        "provider": {"name": "Réseau Entreprendre", "kind": "partner", "organisation": None},
        "mode": "in_person",
        "session_minutes": 60,
        "seats_per_session": 1,
        "eligibility": {"member_kinds": [], "stages": [], "cohorts": []},
        "credits": 2,
        "rules": {
            "min_notice_minutes": 0,
            "max_advance_days": 90,
            "cancellation_window_minutes": 1440,
            "per_member_limit": None,
            "approval": None,  # optional since issue 25 (staff approval); absent reads as None
        },
        "time_zone": "Africa/Casablanca",
        "availability": [{"weekday": 2, "opens": "09:00", "closes": "12:00"}],
        "closures": [],
        "space_requirement": None,
        "status": status,
        "price": None,
        **changes,
    }


def test_every_domain_event_is_mapped() -> None:
    assert publication.unmapped(catalogue.domain.happened) == []


def test_a_draft_and_its_revisions_publish_nothing() -> None:
    drafted, happened = rules.draft("o-1", DETAILS, RABAT, NOW)
    _, revised = rules.revise(drafted, DETAILS.model_copy(update={"seats_per_session": 2}), RABAT, NOW)
    assert publication([*happened, *revised]) == []


def test_the_lifecycle_publishes_the_same_v2_events_as_before() -> None:
    drafted, happened = rules.draft("o-1", DETAILS, RABAT, NOW)
    published, opened = rules.publish(drafted, RABAT, NOW)
    events = publication([*happened, *opened])
    assert [type(e) for e in events] == [OfferingPublished]
    assert events[0].model_dump(mode="json") == payload("published")

    revised, happened = rules.revise(published, DETAILS.model_copy(update={"session_minutes": 90}), RABAT, NOW)
    events = publication(happened)
    assert [type(e) for e in events] == [OfferingUpdated]
    assert events[0].model_dump(mode="json") == payload("published", session_minutes=90)

    _, happened = rules.withdraw(revised, NOW)
    events = publication(happened)
    assert [type(e) for e in events] == [OfferingWithdrawn]
    assert events[0].model_dump(mode="json") == payload("withdrawn", session_minutes=90)
