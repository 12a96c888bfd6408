"""Office offers lapse: an offer unanswered for the configured time (72 h by default) is declined
by the sweeper, its days given back and the office offered to the next in line, once, however
many sweeps run at the same time."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from fastapi import FastAPI
from spaces_support import SITE, Clock, add_site_with_rooms, bearer, project_members

from parkgrid.settings import KitSettings
from parkgrid.store import Database
from parkgrid.testing.topics import read_topic
from spaces.adapters.stores import SpacesStore
from spaces.service_layer.waitlist import Waitlist

pytest_plugins = ["spaces_fixtures"]

OFFICE = {"space_id": "office-4", "name": "Bureau 101", "kind": "private_office", "capacity": 4}
SWEEPS = 8


async def test_an_unanswered_offer_lapses_once_and_passes_to_the_next(
    app: FastAPI,
    client: httpx.AsyncClient,
    tokens: dict[str, str],
    settings: KitSettings,
    database: Database,
    clock: Clock,
) -> None:
    await add_site_with_rooms(client, tokens["admin"], [OFFICE])
    await project_members(database, "org-1", "org-2")
    desk = bearer(tokens["desk"])
    for member in ("org-1", "org-2"):
        joined = await client.post(
            "/v1/office-waitlist", json={"site_id": SITE, "member_id": member, "seats": 4}, headers=desk
        )
        assert joined.status_code == 201, joined.text
    offered = await client.post(
        f"/v1/sites/{SITE}/office-waitlist/offers",
        json={"space_id": "office-4", "starts_on": "2027-01-01"},
        headers=desk,
    )
    assert offered.status_code == 201, offered.text
    first = offered.json()
    waitlist = app.state.components[Waitlist]

    clock.advance(timedelta(hours=71))
    assert await waitlist.lapse_offers() == 0  # not yet: 72 hours to answer
    clock.advance(timedelta(hours=2))
    lapsed = await asyncio.gather(*(waitlist.lapse_offers() for _ in range(SWEEPS)))
    assert sum(lapsed) == 1, lapsed

    out = (await client.get(f"/v1/office-waitlist/{first['entry_id']}", headers=desk)).json()
    assert out["status"] == "declined"
    line = (await client.get(f"/v1/sites/{SITE}/office-waitlist", headers=desk)).json()["items"]
    assert [(e["member_id"], e["status"]) for e in line] == [("org-2", "offered")]
    calendar = await app.state.components[SpacesStore].calendars.get("office-4", SITE)
    assert [h.reservation_id for h in calendar.holds] == [line[0]["offer"]["residency_id"]]

    events = await read_topic(settings, "spaces.waitlist", until=5)
    kinds = [e.type.rsplit(".", 1)[1] for e in events]
    assert kinds.count("offer_lapsed") == 1, kinds
    assert kinds.count("offered") == 2, kinds
    lapse = next(e for e in events if e.type.endswith("offer_lapsed"))
    assert (lapse.data["entry_id"], lapse.data["status"]) == (first["entry_id"], "declined")
    assert lapse.data["lapsed_at"].startswith("2026-12-04T10:00")


async def test_an_accept_racing_the_sweeps_either_starts_the_residency_or_loses_to_the_lapse(
    app: FastAPI, client: httpx.AsyncClient, tokens: dict[str, str], database: Database, clock: Clock
) -> None:
    await add_site_with_rooms(client, tokens["admin"], [OFFICE])
    await project_members(database, "org-1")
    desk = bearer(tokens["desk"])
    joined = await client.post(
        "/v1/office-waitlist", json={"site_id": SITE, "member_id": "org-1", "seats": 4}, headers=desk
    )
    entry_id = joined.json()["entry_id"]
    offered = await client.post(
        f"/v1/sites/{SITE}/office-waitlist/offers",
        json={"space_id": "office-4", "starts_on": "2027-01-01"},
        headers=desk,
    )
    residency_id = offered.json()["offer"]["residency_id"]
    waitlist = app.state.components[Waitlist]
    clock.advance(timedelta(hours=73))

    accepted, *lapsed = await asyncio.gather(
        client.post(f"/v1/office-waitlist/{entry_id}/accept", headers=desk),
        *(waitlist.lapse_offers() for _ in range(SWEEPS)),
    )
    entry = (await client.get(f"/v1/office-waitlist/{entry_id}", headers=desk)).json()
    calendar = await app.state.components[SpacesStore].calendars.get("office-4", SITE)
    held = [h.reservation_id for h in calendar.holds]
    residency = await client.get(f"/v1/residencies/{residency_id}", headers=desk)
    if accepted.status_code < 300:
        assert (entry["status"], sum(lapsed), held, residency.status_code) == ("accepted", 0, [residency_id], 200)
    else:
        assert accepted.status_code == 409, accepted.text
        assert (entry["status"], sum(lapsed), held, residency.status_code) == ("declined", 1, [], 404)
