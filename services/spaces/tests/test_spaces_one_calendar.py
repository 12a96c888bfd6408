"""One availability rule for a space: residencies and reservations hold on the same calendar.

A residency (or an office offer) holds whole days on the space's calendar document, the one
reservations hold their ranges on, under the same version guard: a residency and a reservation
racing for one office cannot both win, a reserved office is not allocated over, and an
allocated one is not reserved.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI
from spaces_support import SITE, add_site_with_rooms, bearer, project_members, reservation_request

from parkgrid.contracts.common import SpaceKind, TimeRange
from parkgrid.contracts.spaces import Requester
from parkgrid.store import Database
from spaces.adapters.stores import SpacesStore
from spaces.service_layer.handlers import Reservations

pytest_plugins = ["spaces_fixtures"]

OFFICE = {"space_id": "office-1", "name": "Bureau 101", "kind": "private_office", "capacity": 4}
MEETING = {  # Mon 7 Dec 2026, 10:00-11:00 in Casablanca (+01)
    "starts_at": datetime(2026, 12, 7, 9, tzinfo=UTC).isoformat(),
    "ends_at": datetime(2026, 12, 7, 10, tzinfo=UTC).isoformat(),
}
RACERS = 8


def residency(member_id: str, starts_on: str = "2026-12-07") -> dict[str, str]:
    return {"member_id": member_id, "site_id": SITE, "space_id": "office-1", "starts_on": starts_on}


def reservation(seats: int = 2) -> dict[str, object]:
    return {"site_id": SITE, "requirement": {"kind": "private_office", "seats": seats}, "time": MEETING}


async def test_a_residency_and_a_reservation_racing_for_one_office_one_wins(
    app: FastAPI, client: httpx.AsyncClient, tokens: dict[str, str], database: Database
) -> None:
    await add_site_with_rooms(client, tokens["admin"], [OFFICE])
    members = [f"org-{n}" for n in range(RACERS)]
    await project_members(database, *members)
    desk = bearer(tokens["desk"])
    answers = await asyncio.gather(
        *(
            request
            for n in range(RACERS)
            for request in (
                client.post("/v1/residencies", json=residency(members[n]), headers=desk),
                client.post("/v1/reservations", json=reservation(), headers=desk),
            )
        )
    )
    started = [a for a in answers[::2] if a.status_code == 201]
    assert {a.status_code for a in answers[::2]} <= {201, 409}, [a.text for a in answers[::2]]
    reserved = [a for a in answers[1::2] if a.status_code == 201 and a.json()["status"] == "confirmed"]
    assert len(started) + len(reserved) == 1, (len(started), len(reserved))
    calendar = await app.state.components[SpacesStore].calendars.collection.find_one({"_id": "office-1"})
    assert len(calendar["holds"]) == 1


async def test_an_allocated_office_is_not_reserved_and_a_reserved_one_not_allocated(
    client: httpx.AsyncClient, tokens: dict[str, str], database: Database
) -> None:
    await add_site_with_rooms(client, tokens["admin"], [OFFICE])
    await project_members(database, "org-1", "org-2")
    desk = bearer(tokens["desk"])

    meeting = await client.post("/v1/reservations", json=reservation(), headers=desk)
    assert meeting.json()["status"] == "confirmed", meeting.text
    over_it = await client.post("/v1/residencies", json=residency("org-1"), headers=desk)
    assert over_it.status_code == 409, over_it.text
    after_it = await client.post("/v1/residencies", json=residency("org-1", "2026-12-08"), headers=desk)
    assert after_it.status_code == 201, after_it.text

    next_day = {
        "starts_at": datetime(2026, 12, 8, 9, tzinfo=UTC).isoformat(),
        "ends_at": datetime(2026, 12, 8, 10, tzinfo=UTC).isoformat(),
    }
    taken = await client.post("/v1/reservations", json={**reservation(), "time": next_day}, headers=desk)
    assert (taken.json()["status"], taken.json()["reason"]) == ("refused", "no_space_free"), taken.text


async def test_residencies_former_calendars_move_onto_the_space_calendars(app: FastAPI) -> None:
    store = app.state.components[SpacesStore]
    days = {"starts_at": datetime(2026, 12, 7, tzinfo=UTC), "ends_at": datetime(2027, 6, 7, tzinfo=UTC)}
    await store.former_residency_calendars.insert_one(
        {"_id": "office-9", "site_id": SITE, "version": 1, "holds": [{"reservation_id": "res-1", **days}]}
    )
    assert await store.calendars.absorb(store.former_residency_calendars) == 1
    assert await store.calendars.absorb(store.former_residency_calendars) == 0
    calendar = await store.calendars.get("office-9", SITE)
    assert [(h.reservation_id, h.residency) for h in calendar.holds] == [("res-1", True)]
    assert not calendar.days_free(datetime(2027, 1, 4, 9, tzinfo=UTC), datetime(2027, 1, 4, 10, tzinfo=UTC))


async def test_a_reservation_command_beyond_the_horizon_is_refused_not_failed(
    app: FastAPI, client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    await add_site_with_rooms(client, tokens["admin"], [OFFICE])
    far = datetime(2028, 12, 4, 9, tzinfo=UTC)  # the tests' clock stands at 2026-12-01: more than 2 years
    answer = await app.state.components[Reservations].reserve(
        reservation_request(
            "req-far",
            SpaceKind.PRIVATE_OFFICE,
            TimeRange(starts_at=far, ends_at=far + timedelta(hours=1)),
            requested_by=Requester.BOOKINGS,
            reference_id="booking-far",
        )
    )
    assert (answer["status"], answer["reason"]) == ("refused", "invalid_request")
