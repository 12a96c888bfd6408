"""The demo's first impression: every offering it seeds can be booked and then confirmed, and
every community event it seeds gets its venue.

Catalogue and spaces seed their demo data independently. These checks read both seeds
together, the way a member's booking meets them (a room-backed session needs an active space
of its site that meets the requirement; every session lies inside the site's opening hours),
so a seed can never again offer what the saga then rejects `no_space`.
"""

from __future__ import annotations

from typing import Any

import pytest

from catalogue.seed_data import demo_offerings
from community.seed_data import events as demo_events
from parkgrid.contracts.spaces import SpaceFeature
from parkgrid.weekly import wall_clock
from spaces.seed import OPENING_HOURS, SITES, spaces_of

SIZES = {site_id: size for site_id, _name, _city, size in SITES}
VOCABULARY = {feature.value for feature in SpaceFeature}
SITE_OFFERINGS = [(offering_id, body) for offering_id, body in demo_offerings() if body.get("site_id")]


def _meets(space: dict[str, Any], requirement: dict[str, Any]) -> bool:
    return (
        str(space["kind"]) == requirement["kind"]
        and space["capacity"] >= requirement["seats"]
        and set(requirement.get("features", [])) <= set(space.get("features", []))
    )


def test_the_demo_seeds_offerings_at_every_site() -> None:
    assert {body["site_id"] for _, body in SITE_OFFERINGS} == set(SIZES)


@pytest.mark.parametrize(("offering_id", "body"), SITE_OFFERINGS, ids=[o for o, _ in SITE_OFFERINGS])
def test_a_room_backed_offering_is_met_by_a_space_of_its_site(offering_id: str, body: dict[str, Any]) -> None:
    requirement = body.get("space_requirement")
    if requirement is None:
        return
    assert set(requirement.get("features", [])) <= VOCABULARY, f"{offering_id} asks for features outside SpaceFeature"
    site = body["site_id"]
    assert any(_meets(space, requirement) for space in spaces_of(site, SIZES[site])), (
        f"no space at {site} meets {requirement}"
    )


@pytest.mark.parametrize(("offering_id", "body"), SITE_OFFERINGS, ids=[o for o, _ in SITE_OFFERINGS])
def test_every_session_window_lies_inside_the_sites_opening_hours(offering_id: str, body: dict[str, Any]) -> None:
    for window in body["availability"]:
        hosts = [
            hours
            for hours in OPENING_HOURS
            if hours.weekday == window["weekday"]
            and wall_clock(hours.opens) <= wall_clock(window["opens"])
            and wall_clock(window["closes"]) <= wall_clock(hours.closes)
        ]
        assert hosts, f"{offering_id}: {window} is outside the site's opening hours"


IN_PERSON_EVENTS = [row for row in demo_events() if row.get("site")]


@pytest.mark.parametrize("row", IN_PERSON_EVENTS, ids=[row["slug"] for row in IN_PERSON_EVENTS])
def test_every_in_person_event_fits_its_sites_opening_hours(row: dict[str, Any]) -> None:
    """Spaces refuses a venue outside the site's hours (`outside_opening_hours`), and the event
    then stays a draft nobody can register for. An event of this week (`in_days`) may be moved to
    any day its site is open; the others are held to their `weekday`."""
    starts = wall_clock(row["start"])
    ends = starts.replace(hour=starts.hour + row["hours"])
    days = [row["weekday"]] if "weekday" in row else range(1, 8)
    assert any(
        hours.weekday in days and wall_clock(hours.opens) <= starts and ends <= wall_clock(hours.closes)
        for hours in OPENING_HOURS
    ), f"{row['slug']}: {row['start']} for {row['hours']} h fits no opening hours of its site"


@pytest.mark.parametrize("site_id", sorted(SIZES))
def test_every_seeded_space_declares_features_from_the_vocabulary(site_id: str) -> None:
    for space in spaces_of(site_id, SIZES[site_id]):
        assert set(space.get("features", [])) <= VOCABULARY, f"{space['name']} at {site_id}: {space['features']}"
