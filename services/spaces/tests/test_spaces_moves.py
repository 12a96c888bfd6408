"""Residency moves against the real store and broker: to another office of the site or of
another site from a date, never onto days the target gives to someone else; the occupancy
before and after the move, and the published `residency.moved`."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from spaces_support import SITE, add_site_with_rooms, bearer, project_members

from parkgrid.settings import KitSettings
from parkgrid.store import Database
from parkgrid.testing.topics import read_topic
from spaces.adapters.stores import SpacesStore

pytest_plugins = ["spaces_fixtures"]

OFFICES = [
    {"space_id": "office-1", "name": "Bureau 101", "kind": "private_office", "capacity": 4},
    {"space_id": "office-2", "name": "Bureau 102", "kind": "private_office", "capacity": 6},
    {"space_id": "office-3", "name": "Bureau 103", "kind": "private_office", "capacity": 6},
    {"space_id": "room-1", "name": "Salle", "kind": "meeting_room", "capacity": 8},
]


async def state_on(
    client: httpx.AsyncClient, desk: dict[str, str], day: str, site: str = SITE
) -> dict[str, str | None]:
    occupancy = await client.get(f"/v1/sites/{site}/occupancy", params={"date": day}, headers=desk)
    assert occupancy.status_code == 200, occupancy.text
    return {
        s["space_id"]: (s["residency"]["member_id"] if s["residency"] else None) for s in occupancy.json()["spaces"]
    }


async def test_moving_a_residency_within_and_across_sites(
    app: FastAPI, client: httpx.AsyncClient, tokens: dict[str, str], settings: KitSettings, database: Database
) -> None:
    await add_site_with_rooms(client, tokens["admin"], OFFICES)
    await add_site_with_rooms(
        client,
        tokens["admin"],
        [{"space_id": "paris-office", "name": "Bureau P1", "kind": "private_office", "capacity": 4}],
        "site-paris",
        zone="Europe/Paris",
    )
    await project_members(database, "org-1", "org-2", "org-3")
    desk, other = bearer(tokens["desk"]), bearer(tokens["other_desk"])

    async def allocate(member: str, space: str, starts_on: str, ends_on: str | None = None) -> httpx.Response:
        body = {"member_id": member, "site_id": SITE, "space_id": space, "starts_on": starts_on}
        if ends_on:
            body["ends_on"] = ends_on
        return await client.post("/v1/residencies", json=body, headers=desk)

    started = await allocate("org-1", "office-1", "2026-12-01")
    rid = started.json()["residency_id"]
    # office-3 is taken by org-2 from the spring: a move there overlapping those days is refused.
    assert (await allocate("org-2", "office-3", "2027-04-01", "2027-12-31")).status_code == 201

    async def move(body: dict[str, str], headers: dict[str, str] = desk) -> httpx.Response:
        return await client.post(f"/v1/residencies/{rid}/move", json=body, headers=headers)

    assert (await move({"space_id": "office-3", "moves_on": "2027-03-01"})).status_code == 409
    for body, field in (
        ({"space_id": "room-1", "moves_on": "2027-03-01"}, "space_id"),
        ({"space_id": "office-1", "moves_on": "2027-03-01"}, "space_id"),
        ({"space_id": "nowhere", "moves_on": "2027-03-01"}, "space_id"),
        ({"space_id": "office-2", "moves_on": "2026-11-30"}, "moves_on"),
        ({"space_id": "office-2", "moves_on": "2028-06-01"}, "moves_on"),
        ({"space_id": "office-2", "moves_on": "2027-03-01", "site_id": "site-nowhere"}, "site_id"),
        ({"space_id": "office-2", "moves_on": "2027-03-01", "when": "soon"}, "when"),
    ):
        response = await move(body)
        assert response.status_code == 422, (body, response.text)
        assert field in [e["field"] for e in response.json()["errors"]]
    assert (await move({"space_id": "office-2", "moves_on": "2027-03-01"}, other)).status_code == 404

    # The team grows: Bureau 102 (6 seats) from March.
    moved = await move({"space_id": "office-2", "moves_on": "2027-03-01"})
    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert (body["space_id"], body["seats"], body["starts_on"], body["ends_on"]) == (
        "office-2",
        6,
        "2026-12-01",
        "2028-05-31",
    )
    assert [(s["space_id"], s["first_day"], s["last_day"]) for s in body["stays"]] == [
        ("office-1", "2026-12-01", "2027-02-28"),
        ("office-2", "2027-03-01", "2028-05-31"),
    ]
    assert (await state_on(client, desk, "2027-02-28"))["office-1"] == "org-1"
    after = await state_on(client, desk, "2027-03-01")
    assert (after["office-1"], after["office-2"]) == (None, "org-1")
    # Bureau 101 is free from the move on, and still taken the day before.
    assert (await allocate("org-3", "office-1", "2027-02-28", "2027-06-30")).status_code == 409
    assert (await allocate("org-3", "office-1", "2027-03-01", "2027-06-30")).status_code == 201

    # Then to Paris from September (the desk works at both sites); ending early keeps the stays right.
    paris = await move({"space_id": "paris-office", "site_id": "site-paris", "moves_on": "2027-09-01"})
    assert paris.status_code == 200, paris.text
    assert (paris.json()["site_id"], paris.json()["space_id"]) == ("site-paris", "paris-office")
    assert (await state_on(client, desk, "2027-09-01", "site-paris"))["paris-office"] == "org-1"
    assert (await state_on(client, desk, "2027-09-01"))["office-2"] is None
    assert (await state_on(client, desk, "2027-08-31"))["office-2"] == "org-1"
    extended = await client.post(f"/v1/residencies/{rid}/extend", json={"ends_on": "2028-08-31"}, headers=desk)
    assert extended.json()["stays"][-1]["last_day"] == "2028-08-31"
    ended = await client.post(f"/v1/residencies/{rid}/end", json={"ends_on": "2027-06-30"}, headers=desk)
    assert [(s["space_id"], s["last_day"]) for s in ended.json()["stays"]] == [
        ("office-1", "2027-02-28"),
        ("office-2", "2027-06-30"),
    ]
    assert ended.json()["space_id"] == "office-2"
    calendars = app.state.components[SpacesStore].calendars.collection
    paris_calendar = await calendars.find_one({"_id": "paris-office"})
    assert paris_calendar["holds"] == []
    assert (await move({"space_id": "office-3", "moves_on": "2027-03-01"})).status_code == 409  # ended

    events = await read_topic(settings, "spaces.residency", until=7)
    mine = [e for e in events if e.subject == rid]
    assert [e.type.rsplit(".", 1)[1] for e in mine] == ["started", "moved", "moved", "extended", "ended"]
    first_move, second_move = mine[1].data, mine[2].data
    assert (first_move["previous_space_id"], first_move["previous_site_id"], first_move["moved_on"]) == (
        "office-1",
        None,
        "2027-03-01",
    )
    assert (second_move["site_id"], second_move["previous_site_id"], second_move["seats"]) == (
        "site-paris",
        SITE,
        4,
    )
