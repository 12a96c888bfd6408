"""The office waitlist against the real store and broker: joining in order, offers to the
first in line, accept (a residency starts), decline and leave (the office goes to the next),
offers racing each other, and the published `spaces.waitlist` events."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from fastapi import FastAPI
from spaces_support import SITE, add_site_with_rooms, bearer, project_members

from parkgrid.auth import Role, issue_token
from parkgrid.settings import KitSettings
from parkgrid.store import Database
from parkgrid.testing.topics import read_topic
from spaces.adapters.stores import SpacesStore

pytest_plugins = ["spaces_fixtures"]

OFFICES = [
    {"space_id": "office-4a", "name": "Bureau 101", "kind": "private_office", "capacity": 4},
    {"space_id": "office-4b", "name": "Bureau 102", "kind": "private_office", "capacity": 4},
    {"space_id": "office-6", "name": "Bureau 201", "kind": "private_office", "capacity": 6},
    {"space_id": "room-1", "name": "Salle Atlas", "kind": "meeting_room", "capacity": 8},
]


def member_token(settings: KitSettings, member_id: str) -> dict[str, str]:
    return bearer(issue_token(settings, role=Role.MEMBER, member_id=member_id, person_id=f"p-{member_id}"))


def join(member: str, seats: int = 4) -> dict[str, Any]:
    return {"site_id": SITE, "member_id": member, "seats": seats}


def offer(space: str, **extra: Any) -> dict[str, Any]:
    return {"space_id": space, "starts_on": "2027-01-01", **extra}


async def test_the_line_is_served_in_order(
    app: FastAPI, client: httpx.AsyncClient, tokens: dict[str, str], settings: KitSettings, database: Database
) -> None:
    await add_site_with_rooms(client, tokens["admin"], OFFICES)
    await project_members(database, "org-1", "org-2", "org-3", "org-4", "org-5")
    desk = bearer(tokens["desk"])
    org1 = member_token(settings, "org-1")

    first = await client.post("/v1/office-waitlist", json=join("org-1"), headers=org1)
    assert first.status_code == 201, first.text
    assert (first.json()["status"], first.json()["position"]) == ("waiting", 1)
    again = await client.post("/v1/office-waitlist", json=join("org-1"), headers=org1)
    assert again.status_code == 200
    assert again.json()["entry_id"] == first.json()["entry_id"]
    for member in ("org-2", "org-3"):
        assert (await client.post("/v1/office-waitlist", json=join(member), headers=desk)).status_code == 201
    assert (await client.post("/v1/office-waitlist", json=join("org-4", 6), headers=desk)).status_code == 201

    # Bad input and roles.
    assert (await client.post("/v1/office-waitlist", json=join("org-2"), headers=org1)).status_code == 403
    for body, field in (
        (join("org-nobody"), "member_id"),
        (join("org-5", 0), "seats"),
        ({**join("org-5"), "site_id": "site-nowhere"}, "site_id"),
        ({**join("org-5"), "colour": "blue"}, "colour"),
    ):
        response = await client.post("/v1/office-waitlist", json=body, headers=desk)
        assert response.status_code == 422, response.text
        assert field in [e["field"] for e in response.json()["errors"]]
    assert (await client.get(f"/v1/sites/{SITE}/office-waitlist", headers=org1)).status_code == 403

    line = (await client.get(f"/v1/sites/{SITE}/office-waitlist", headers=desk)).json()["items"]
    assert [(e["member_id"], e["seats"], e["position"]) for e in line] == [
        ("org-1", 4, 1),
        ("org-2", 4, 2),
        ("org-3", 4, 3),
        ("org-4", 6, 1),
    ]
    assert line[0]["member_name"] == "Startup org-1"
    ids = {e["member_id"]: e["entry_id"] for e in line}

    # Bureau 101 frees up: offered to org-1, first in line; Bureau 102 then goes to org-2.
    offered = await client.post(f"/v1/sites/{SITE}/office-waitlist/offers", json=offer("office-4a"), headers=desk)
    assert offered.status_code == 201, offered.text
    assert (offered.json()["member_id"], offered.json()["status"]) == ("org-1", "offered")
    assert offered.json()["offer"]["ends_on"] == "2028-06-30"  # 18 months
    second = await client.post(f"/v1/sites/{SITE}/office-waitlist/offers", json=offer("office-4b"), headers=desk)
    assert second.json()["member_id"] == "org-2"
    # An offered office is held: nobody else gets it meanwhile, neither by allocation nor by offer.
    direct = {"member_id": "org-5", "site_id": SITE, "space_id": "office-4a", "starts_on": "2027-03-01"}
    assert (await client.post("/v1/residencies", json=direct, headers=desk)).status_code == 409
    again = await client.post(f"/v1/sites/{SITE}/office-waitlist/offers", json=offer("office-4a"), headers=desk)
    assert again.status_code == 409, again.text
    # Offices that cannot serve the line.
    small = await client.post(
        f"/v1/sites/{SITE}/office-waitlist/offers", json=offer("office-4a", seats=6), headers=desk
    )
    assert small.status_code == 422
    room = await client.post(f"/v1/sites/{SITE}/office-waitlist/offers", json=offer("room-1"), headers=desk)
    assert "space_id" in [e["field"] for e in room.json()["errors"]]

    # Staff confirm org-1's offer: its residency starts on the office offered.
    assert (await client.post(f"/v1/office-waitlist/{ids['org-1']}/accept", headers=org1)).status_code == 403
    accepted = await client.post(f"/v1/office-waitlist/{ids['org-1']}/accept", headers=desk)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["entry"]["status"] == "accepted"
    residency = accepted.json()["residency"]
    assert (residency["member_id"], residency["space_id"], residency["starts_on"]) == (
        "org-1",
        "office-4a",
        "2027-01-01",
    )
    assert (await client.post(f"/v1/office-waitlist/{ids['org-1']}/decline", json={}, headers=desk)).status_code == 409

    # org-2 declines Bureau 102 itself: it goes to org-3, next in line.
    org2 = member_token(settings, "org-2")
    assert (await client.get(f"/v1/office-waitlist/{ids['org-2']}", headers=org1)).status_code == 404
    declined = await client.post(
        f"/v1/office-waitlist/{ids['org-2']}/decline", json={"reason": "too far from the lab"}, headers=org2
    )
    assert declined.status_code == 200, declined.text
    assert declined.json()["entry"]["status"] == "declined"
    assert declined.json()["next_offered"]["member_id"] == "org-3"
    assert declined.json()["next_offered"]["offer"]["space_id"] == "office-4b"

    # org-3 leaves with the offer in hand: nobody else waits for 4 seats, so Bureau 102 is free.
    left = await client.post(f"/v1/office-waitlist/{ids['org-3']}/leave", json={}, headers=desk)
    assert (left.json()["entry"]["status"], left.json()["next_offered"]) == ("left", None)
    nobody = await client.post(f"/v1/sites/{SITE}/office-waitlist/offers", json=offer("office-4b"), headers=desk)
    assert nobody.status_code == 409
    direct = {**direct, "space_id": "office-4b"}
    assert (await client.post("/v1/residencies", json=direct, headers=desk)).status_code == 201

    line = (await client.get(f"/v1/sites/{SITE}/office-waitlist", headers=desk)).json()["items"]
    assert [(e["member_id"], e["position"]) for e in line] == [("org-4", 1)]
    mine = (await client.get("/v1/office-waitlist", params={"member_id": "org-2"}, headers=org2)).json()["items"]
    assert [(e["status"], e["position"]) for e in mine] == [("declined", None)]

    events = await read_topic(settings, "spaces.waitlist", until=10)
    by_entry: dict[str, list[str]] = {}
    for envelope in events:
        by_entry.setdefault(envelope.subject, []).append(envelope.type.rsplit(".", 1)[1])
        assert envelope.data["entry_id"] == envelope.subject
    assert by_entry == {
        ids["org-1"]: ["joined", "offered", "accepted"],
        ids["org-2"]: ["joined", "offered", "declined"],
        ids["org-3"]: ["joined", "offered", "left"],
        ids["org-4"]: ["joined"],
    }
    declined_event = next(e for e in events if e.type.endswith("declined"))
    assert declined_event.data["reason"] == "too far from the lab"


async def test_offers_and_joins_racing_each_other(
    app: FastAPI, client: httpx.AsyncClient, tokens: dict[str, str], settings: KitSettings, database: Database
) -> None:
    await add_site_with_rooms(client, tokens["admin"], OFFICES)
    members = [f"org-{n}" for n in range(6)]
    await project_members(database, *members)
    desk, admin = bearer(tokens["desk"]), bearer(tokens["admin"])

    # One member joining five times at once is in line once.
    joins = await asyncio.gather(
        *(client.post("/v1/office-waitlist", json=join("org-0"), headers=desk) for _ in range(5))
    )
    assert sorted(j.status_code for j in joins) == [200, 200, 200, 200, 201]
    assert len({j.json()["entry_id"] for j in joins}) == 1
    # Five members joining at once get five places.
    joins = await asyncio.gather(*(client.post("/v1/office-waitlist", json=join(m), headers=desk) for m in members[1:]))
    line = (await client.get(f"/v1/sites/{SITE}/office-waitlist", headers=desk)).json()["items"]
    assert [e["position"] for e in line] == [1, 2, 3, 4, 5, 6]
    assert line[0]["member_id"] == "org-0"

    # Two staff offer the same office at once: it is offered once.
    same = await asyncio.gather(
        client.post(f"/v1/sites/{SITE}/office-waitlist/offers", json=offer("office-4a"), headers=desk),
        client.post(f"/v1/sites/{SITE}/office-waitlist/offers", json=offer("office-4a"), headers=admin),
    )
    statuses = sorted(r.status_code for r in same)
    assert statuses in ([201, 409], [201, 201]), [r.text for r in same]
    assert len({r.json()["entry_id"] for r in same if r.status_code == 201}) == 1
    # Two offices offered at once go to the next two in line, one each.
    both = await asyncio.gather(
        client.post(f"/v1/sites/{SITE}/office-waitlist/offers", json=offer("office-4b"), headers=desk),
        client.post(f"/v1/sites/{SITE}/office-waitlist/offers", json=offer("office-6", seats=4), headers=admin),
    )
    assert [r.status_code for r in both] == [201, 201], [r.text for r in both]
    assert sorted(r.json()["member_id"] for r in both) == sorted(e["member_id"] for e in line[1:3])
    offered = (await client.get(f"/v1/sites/{SITE}/office-waitlist", headers=desk)).json()["items"]
    assert sorted(e["offer"]["space_id"] for e in offered if e["status"] == "offered") == [
        "office-4a",
        "office-4b",
        "office-6",
    ]
    for space in ("office-4a", "office-4b", "office-6"):
        calendar = await app.state.components[SpacesStore].calendars.collection.find_one({"_id": space})
        assert len(calendar["holds"]) == 1, calendar
