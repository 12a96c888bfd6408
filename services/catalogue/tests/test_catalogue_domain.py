"""Unit tests of the offering rules and lifecycle, and of local slots across offset changes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from catalogue_samples import NOW, RABAT, details
from pydantic import ValidationError

from catalogue.domain import offering as rules
from catalogue.domain.availability import local_slots, open_between
from catalogue.domain.happened import DraftRevised, OfferingDrafted, OfferingOpened, OfferingRevised, OfferingWithdrawn
from catalogue.domain.offering import NoSpaceFor, OfferingRuleBroken, SiteFacts, WrongState
from catalogue.domain.spaces import SpaceFacts
from parkgrid.contracts.catalogue import OfferingStatus
from parkgrid.contracts.common import Closure, WeeklyWindow


def test_a_time_zone_the_iana_database_does_not_know_is_refused_as_input() -> None:
    with pytest.raises(ValidationError, match="time_zone") as refused:
        details(site_id=None, time_zone="Mars/Olympus")
    assert "is not an IANA time zone" in str(refused.value)


def test_a_draft_stays_the_catalogues_own_and_takes_its_sites_time_zone() -> None:
    offering, happened = rules.draft("o-1", details(), RABAT, NOW)
    assert offering.status == OfferingStatus.DRAFT
    assert offering.time_zone == "Africa/Casablanca"
    assert happened == [OfferingDrafted(offering)]
    revised, happened = rules.revise(offering, details(seats_per_session=3), RABAT, NOW)
    assert happened == [DraftRevised(revised)]
    assert revised.details.seats_per_session == 3


def test_the_lifecycle_says_what_happened_with_the_offering_as_it_stands() -> None:
    offering, _ = rules.draft("o-1", details(), RABAT, NOW)
    published, happened = rules.publish(offering, RABAT, NOW)
    assert happened == [OfferingOpened(published)]
    assert published.status == OfferingStatus.PUBLISHED
    updated, happened = rules.revise(published, details(session_minutes=90), RABAT, NOW)
    assert happened == [OfferingRevised(updated)]
    withdrawn, happened = rules.withdraw(updated, NOW)
    assert happened == [OfferingWithdrawn(withdrawn)]
    assert (withdrawn.status, withdrawn.details.session_minutes) == (OfferingStatus.WITHDRAWN, 90)
    revised, happened = rules.revise(withdrawn, details(seats_per_session=2), RABAT, NOW)
    assert happened == [OfferingRevised(revised)]
    republished, happened = rules.publish(revised, RABAT, NOW)
    assert republished.status == OfferingStatus.PUBLISHED
    assert happened == [OfferingOpened(republished)]


def test_wrong_lifecycle_steps_are_refused() -> None:
    offering, _ = rules.draft("o-1", details(), RABAT, NOW)
    with pytest.raises(WrongState):
        rules.withdraw(offering, NOW)
    published, _ = rules.publish(offering, RABAT, NOW)
    with pytest.raises(WrongState):
        rules.publish(published, RABAT, NOW)
    with pytest.raises(WrongState):
        rules.publish(offering, SiteFacts("site-rabat", "Africa/Casablanca", open=False), NOW)


@pytest.mark.parametrize(
    ("changes", "site", "field"),
    [
        ({}, None, "site_id"),
        ({"title": {"fr": "x" * 201, "en": "ok"}}, RABAT, "title.fr"),
        ({"time_zone": "Europe/Paris"}, RABAT, "time_zone"),
        ({"mode": "online", "space_requirement": {"kind": "meeting_room", "seats": 2}}, RABAT, "space_requirement"),
        (
            {"seats_per_session": 10, "space_requirement": {"kind": "meeting_room", "seats": 4}},
            RABAT,
            "space_requirement.seats",
        ),
        (
            {"space_requirement": {"kind": "meeting_room", "seats": 2, "features": ["screen", "video"]}},
            RABAT,
            "space_requirement.features.1",
        ),
        ({"availability": [{"weekday": 1, "opens": "09:00", "closes": "09:30"}]}, RABAT, "availability.0"),
        (
            {
                "availability": [
                    {"weekday": 1, "opens": "09:00", "closes": "12:00"},
                    {"weekday": 1, "opens": "11:00", "closes": "13:00"},
                ]
            },
            RABAT,
            "availability.1",
        ),
    ],
)
def test_rules_name_the_offending_field(changes: dict[str, Any], site: SiteFacts | None, field: str) -> None:
    with pytest.raises(OfferingRuleBroken) as broken:
        rules.draft("o-1", details(**changes), site, NOW)
    assert broken.value.field == field


def test_a_network_offering_needs_no_site_and_defaults_to_casablanca_time() -> None:
    offering, _ = rules.draft("o-1", details(site_id=None, mode="online"), None, NOW)
    assert offering.time_zone == "Africa/Casablanca"
    assert offering.details.site_id is None


def test_window_ending_before_it_starts_is_invalid() -> None:
    with pytest.raises(ValueError, match="closes must be after opens"):
        details(availability=[{"weekday": 1, "opens": "12:00", "closes": "09:00"}])


def test_local_slots_keep_wall_clock_time_across_the_ramadan_offset_change() -> None:
    """Morocco leaves +01:00 for +00:00 on 2026-02-15 and returns on 2026-03-22."""
    windows = [WeeklyWindow(weekday=d, opens="09:00", closes="11:00") for d in range(1, 8)]
    slots = local_slots(windows, [], "Africa/Casablanca", 60, date(2026, 2, 13), date(2026, 3, 23))
    by_day: dict[date, list[tuple[datetime, datetime]]] = {start.date(): [] for start, _ in slots}
    for start, end in slots:
        by_day[start.date()].append((start, end))
    for day, day_slots in by_day.items():
        assert [(s.strftime("%H:%M"), e.strftime("%H:%M")) for s, e in day_slots] == [
            ("09:00", "10:00"),
            ("10:00", "11:00"),
        ], day
    utc_start = {day: s[0][0].astimezone(UTC).strftime("%H:%M") for day, s in by_day.items()}
    assert utc_start[date(2026, 2, 13)] == "08:00"  # +01:00
    assert utc_start[date(2026, 2, 16)] == "09:00"  # Ramadan: +00:00
    assert utc_start[date(2026, 3, 20)] == "09:00"
    assert utc_start[date(2026, 3, 23)] == "08:00"  # back to +01:00
    assert all(s[0][1] - s[0][0] == timedelta(hours=1) for s in by_day.values())


def test_closures_remove_slots_and_availability() -> None:
    windows = [WeeklyWindow(weekday=2, opens="09:00", closes="10:00")]
    eid = [Closure(first_day=date(2026, 5, 26), last_day=date(2026, 5, 28), reason="Aïd")]
    assert local_slots(windows, eid, "Africa/Casablanca", 60, date(2026, 5, 25), date(2026, 5, 31)) == []
    assert not open_between(windows, eid, date(2026, 5, 26), date(2026, 5, 28))
    assert open_between(windows, eid, date(2026, 5, 26), date(2026, 6, 2))
    assert not open_between([], [], date(2026, 5, 1), date(2026, 5, 31))


def room(seats: int, *features: str, kind: str = "meeting_room") -> SpaceFacts:
    return SpaceFacts(f"room-{kind}-{seats}", kind, seats, frozenset(features))


def test_an_offering_no_active_space_of_its_site_can_host_is_not_published() -> None:
    need = {"kind": "meeting_room", "seats": 20, "features": ["projector"]}
    offering, _ = rules.draft("o-1", details(seats_per_session=20, space_requirement=need), RABAT, NOW)
    casablanca = SiteFacts("site-casablanca", "Africa/Casablanca", name="Technopark Casablanca")
    for spaces in [
        (),  # every space retired
        (room(12, "projector"), room(20, "screen")),  # too small; no projector
        (room(30, "projector", kind="event_hall"),),  # not a meeting room
    ]:
        with pytest.raises(NoSpaceFor) as refused:
            rules.publish(offering, replace(casablanca, spaces=spaces), NOW)
        assert refused.value.detail == "no active meeting room at Technopark Casablanca has 20 seats with projector"
        assert (refused.value.kind, refused.value.field) == ("conflict", "space_requirement")
    published, _ = rules.publish(offering, replace(casablanca, spaces=(room(20, "projector", "wifi"),)), NOW)
    assert published.status == OfferingStatus.PUBLISHED
    # a site whose spaces the catalogue has not heard of yet is not refused (their events may lag)
    assert rules.publish(offering, casablanca, NOW)[0].status == OfferingStatus.PUBLISHED
    # revising a published offering beyond what its site hosts is refused too; a draft may be anything
    hosting = replace(casablanca, spaces=(room(20, "projector"),))
    with pytest.raises(NoSpaceFor):
        rules.revise(published, details(seats_per_session=30, space_requirement={**need, "seats": 30}), hosting, NOW)
    assert rules.revise(offering, details(seats_per_session=30, space_requirement={**need, "seats": 30}), hosting, NOW)
