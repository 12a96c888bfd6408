"""Residencies against the real store and broker: two staff allocating one office at
once, default incubation length, extension, early end, and another organisation's 404."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI
from spaces_support import SITE, add_site_with_rooms, bearer, register_members

from parkgrid.auth import Role, issue_token
from parkgrid.settings import KitSettings
from parkgrid.store import Database
from parkgrid.testing.topics import read_topic
from spaces.adapters.stores import SpacesStore

pytest_plugins = ["spaces_fixtures"]

OFFICES = [
    {"space_id": "office-1", "name": "Bureau 101", "kind": "private_office", "capacity": 4},
    {"space_id": "room-1", "name": "Salle", "kind": "meeting_room", "capacity": 8},
]


def allocation(member: str, **extra: str) -> dict[str, str]:
    return {"member_id": member, "site_id": SITE, "space_id": "office-1", "starts_on": "2026-12-01", **extra}


async def test_two_staff_allocating_one_office_at_once(
    app: FastAPI, client: httpx.AsyncClient, tokens: dict[str, str], settings: KitSettings, database: Database
) -> None:
    await add_site_with_rooms(client, tokens["admin"], OFFICES)
    await register_members(settings, database, *(f"org-{n}" for n in range(10)), "org-late", "org-x", "org-next")
    desk, admin = bearer(tokens["desk"]), bearer(tokens["admin"])
    answers = await asyncio.gather(
        *(
            client.post("/v1/residencies", json=allocation(f"org-{n}"), headers=desk if n % 2 else admin)
            for n in range(10)
        )
    )
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] + [409] * 9, [a.text for a in answers]
    winner = next(a.json() for a in answers if a.status_code == 201)
    assert (winner["starts_on"], winner["ends_on"]) == ("2026-12-01", "2028-05-31")  # 18 months
    holds = await app.state.components[SpacesStore].calendars.collection.find_one({"_id": "office-1"})
    assert len(holds["holds"]) == 1

    # The day after the residency's last day is free; the last day is not.
    after = await client.post(
        "/v1/residencies", json=allocation("org-late", starts_on="2028-06-01", ends_on="2028-12-31"), headers=desk
    )
    assert after.status_code == 201, after.text
    overlap = await client.post(
        "/v1/residencies", json=allocation("org-x", starts_on="2028-05-31", ends_on="2028-05-31"), headers=desk
    )
    assert overlap.status_code == 409
    rid = winner["residency_id"]
    # Extending into the next residency's days is refused; ending early frees days.
    blocked = await client.post(f"/v1/residencies/{rid}/extend", json={"ends_on": "2028-06-30"}, headers=desk)
    assert blocked.status_code == 409
    ended = await client.post(
        f"/v1/residencies/{rid}/end", json={"ends_on": "2027-06-30", "reason": "moved to a bigger office"}, headers=desk
    )
    assert ended.json()["status"] == "ended"
    assert ended.json()["ends_on"] == "2027-06-30"
    refill = await client.post(
        "/v1/residencies", json=allocation("org-next", starts_on="2027-07-01", ends_on="2028-05-31"), headers=desk
    )
    assert refill.status_code == 201, refill.text
    extended = await client.post(
        f"/v1/residencies/{refill.json()['residency_id']}/extend", json={"ends_on": "2028-05-31"}, headers=desk
    )
    assert extended.status_code == 422  # not later than its end

    occupancy = await client.get(f"/v1/sites/{SITE}/occupancy", params={"date": "2027-01-15"}, headers=desk)
    office = next(s for s in occupancy.json()["spaces"] if s["space_id"] == "office-1")
    assert (office["state"], office["residency"]["residency_id"]) == ("resident", rid)
    assert office["residency"]["member_name"] == winner["member_name"] == f"Startup {winner['member_id']}"

    events = await read_topic(settings, "spaces.residency", until=4)
    assert sorted(e.type.rsplit(".", 1)[1] for e in events) == ["ended", "started", "started", "started"]
    ended_event = next(e for e in events if e.type.endswith("ended"))
    assert ended_event.data["ended_early"] is True


async def test_residency_bad_input_and_other_organisation(
    client: httpx.AsyncClient, tokens: dict[str, str], settings: KitSettings, database: Database
) -> None:
    await add_site_with_rooms(client, tokens["admin"], OFFICES)
    await register_members(settings, database, "org-1")
    desk = bearer(tokens["desk"])
    for body, field in (
        (allocation("org-1", space_id="room-1"), "space_id"),
        (allocation("org-1", space_id="nowhere"), "space_id"),
        (allocation("org-1", site_id="site-nowhere"), "site_id"),
        (allocation("org-1", ends_on="2026-11-01"), "ends_on"),
        (allocation("org-1", ends_on="2036-11-01"), "ends_on"),
        ({**allocation("org-1"), "colour": "blue"}, "colour"),
    ):
        response = await client.post("/v1/residencies", json=body, headers=desk)
        assert response.status_code == 422, response.text
        assert field in [e["field"] for e in response.json()["errors"]]
    created = await client.post("/v1/residencies", json=allocation("org-1"), headers=desk)
    rid = created.json()["residency_id"]
    own = issue_token(settings, role=Role.MEMBER, member_id="org-1", person_id="p-1")
    other = issue_token(settings, role=Role.MEMBER, member_id="org-2", person_id="p-2")
    assert (await client.get(f"/v1/residencies/{rid}", headers=bearer(own))).status_code == 200
    assert (await client.get(f"/v1/residencies/{rid}", headers=bearer(other))).status_code == 404
    assert (await client.post("/v1/residencies", json=allocation("org-1"), headers=bearer(own))).status_code == 403
