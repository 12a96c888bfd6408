"""One availability rule for a hot-desk area: day passes and reservations share its places.

A day pass holds one place for the site's local day, a reservation of the area its seats for
its range, both on the area's one calendar under its version guard: however they race, an
area of N places never has more than N taken at any instant.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from spaces_support import SITE, add_site_with_rooms, bearer, reservation_request

from parkgrid.contracts.common import SpaceKind, TimeRange
from spaces.adapters.day_passes import DayPassStore
from spaces.adapters.stores import SpacesStore
from spaces.domain.model import Calendar, Hold, local_day
from spaces.service_layer.day_passes import DayPasses
from spaces.service_layer.handlers import ReservationRequest, Reservations

pytest_plugins = ["spaces_fixtures"]

PLACES = 6
AREA = {"space_id": "coworking", "name": "Coworking", "kind": "hot_desk_area", "capacity": PLACES}
DAY = date(2026, 12, 7)  # a Monday
MORNING = TimeRange(  # 10:00-12:00 in Casablanca (+01)
    starts_at=datetime(2026, 12, 7, 9, tzinfo=UTC), ends_at=datetime(2026, 12, 7, 11, tzinfo=UTC)
)
PASSES, RESERVATIONS = 10, 5


def request(n: int, seats: int = 2, time: TimeRange = MORNING) -> ReservationRequest:
    return reservation_request(f"hot-{n}", SpaceKind.HOT_DESK_AREA, time, seats=seats, reference_id=f"event-{n}")


@pytest.fixture
async def reservations(app: FastAPI, client: httpx.AsyncClient, tokens: dict[str, str]) -> Reservations:
    """The test site with its coworking area, and the reservations that race its day passes."""
    await add_site_with_rooms(client, tokens["admin"], [AREA])
    reservations: Reservations = app.state.components[Reservations]
    return reservations


def check_in(person: str, day: date = DAY) -> dict[str, str]:
    return {"site_id": SITE, "space_id": "coworking", "member_id": "org-1", "person_id": person, "day": day.isoformat()}


async def test_day_passes_and_reservations_racing_for_the_last_places_never_pass_the_capacity(
    app: FastAPI, client: httpx.AsyncClient, tokens: dict[str, str], reservations: Reservations
) -> None:
    desk = bearer(tokens["desk"])
    answers: list[Any] = await asyncio.gather(
        *(client.post("/v1/day-passes", json=check_in(f"person-{n}"), headers=desk) for n in range(PASSES)),
        *(reservations.reserve(request(n)) for n in range(RESERVATIONS)),
    )
    passes, reserved = answers[:PASSES], answers[PASSES:]
    assert {p.status_code for p in passes} <= {201, 409}, [p.text for p in passes]
    issued = sum(1 for p in passes if p.status_code == 201)
    confirmed = [r for r in reserved if r["status"] == "confirmed"]
    assert {r["reason"] for r in reserved if r["status"] != "confirmed"} <= {"no_space_free"}
    # More asked than there are places: the area fills exactly, never beyond.
    assert issued + 2 * len(confirmed) == PLACES, (issued, len(confirmed))
    assert await app.state.components[DayPassStore].taken("coworking", DAY) == issued
    calendar = await app.state.components[SpacesStore].calendars.get("coworking", SITE)
    start, end = local_day(DAY, "Africa/Casablanca")
    assert calendar.peak(start, end, PLACES) == PLACES
    assert sorted(p.json()["places_taken"] for p in passes if p.status_code == 201)[-1] <= PLACES


async def test_a_full_area_refuses_both_and_a_released_reservation_gives_its_places_back(
    app: FastAPI, client: httpx.AsyncClient, tokens: dict[str, str], reservations: Reservations
) -> None:
    desk = bearer(tokens["desk"])
    held = await reservations.reserve(request(1, seats=PLACES - 1))
    assert held["status"] == "confirmed", held
    # The afternoon is free of the reservation, but a pass is for the whole day: one place left.
    afternoon = TimeRange(
        starts_at=MORNING.starts_at + timedelta(hours=4), ends_at=MORNING.ends_at + timedelta(hours=4)
    )
    assert (await reservations.reserve(request(2, seats=PLACES, time=afternoon)))["status"] == "confirmed"
    first = await client.post("/v1/day-passes", json=check_in("p-1"), headers=desk)
    assert first.status_code == 409, first.text  # the afternoon's reservation takes every place
    await reservations.release("hot-2")
    assert (await client.post("/v1/day-passes", json=check_in("p-1"), headers=desk)).status_code == 201
    full = await client.post("/v1/day-passes", json=check_in("p-2"), headers=desk)
    assert full.status_code == 409, full.text
    assert (await reservations.reserve(request(3, seats=1)))["reason"] == "no_space_free"
    # Another day is another day.
    assert (
        await client.post("/v1/day-passes", json=check_in("p-2", DAY + timedelta(days=1)), headers=desk)
    ).status_code == 201


async def test_passes_of_an_earlier_version_are_put_on_the_calendar_once(
    app: FastAPI, client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    await add_site_with_rooms(client, tokens["admin"], [AREA])
    passes: DayPassStore = app.state.components[DayPassStore]
    for n in range(PLACES):  # issued by a version that counted them apart
        await passes.passes.collection.insert_one(
            {
                "_id": f"coworking:{DAY}:old-{n}",
                "day_pass_id": f"coworking:{DAY}:old-{n}",
                "site_id": SITE,
                "space_id": "coworking",
                "day": DAY.isoformat(),
                "version": 1,
            }
        )
    day_passes: DayPasses = app.state.components[DayPasses]
    await day_passes.absorb()  # (the start's own run may have moved some already)
    assert await day_passes.absorb() == 0
    calendar = await app.state.components[SpacesStore].calendars.get("coworking", SITE)
    assert sorted(h.reservation_id for h in calendar.holds) == sorted(f"coworking:{DAY}:old-{n}" for n in range(PLACES))
    refused = await app.state.components[Reservations].reserve(request(1, seats=1))
    assert refused["reason"] == "no_space_free"


def test_the_peak_of_an_area_counts_passes_and_reservations_where_they_overlap() -> None:
    day = datetime(2026, 12, 7, tzinfo=UTC)

    def at(hour: int) -> datetime:
        return day + timedelta(hours=hour)

    calendar = Calendar(
        "area",
        1,
        [
            Hold("pass", at(0), at(24), places=1),
            Hold("r1", at(9), at(11), places=2),
            Hold("r2", at(11), at(13), places=3),
        ],
    )
    assert calendar.peak(at(0), at(24), 4) == 4
    assert calendar.peak(at(9), at(11), 4) == 3
    assert calendar.places_free(at(9), at(10), 1, 4)
    assert not calendar.places_free(at(10), at(12), 1, 4)  # from 11: 1 + 3, and one more
    assert not Calendar("area", 1, [Hold("old", at(9), at(10))]).places_free(at(0), at(24), 1, 4)  # the whole area
