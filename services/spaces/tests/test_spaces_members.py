"""The community members as spaces projects them: residencies only for a known, active
member, the member's name in the views, and the projection's version guard."""

from __future__ import annotations

import httpx
from spaces_support import (
    SITE,
    add_site_with_rooms,
    bearer,
    left,
    member_fields,
    publish_members,
    registered,
    wait_projected,
)

from parkgrid.contracts.community import MemberUpdated
from parkgrid.events import registry
from parkgrid.known import KnownMembers
from parkgrid.settings import KitSettings
from parkgrid.store import Database
from spaces.domain.members import member_from

OFFICES = [
    {"space_id": "office-1", "name": "Bureau 101", "kind": "private_office", "capacity": 4},
    {"space_id": "office-2", "name": "Bureau 102", "kind": "private_office", "capacity": 2},
]


def allocation(member: str, space: str) -> dict[str, str]:
    return {"member_id": member, "site_id": SITE, "space_id": space, "starts_on": "2026-12-01"}


async def test_residency_only_for_a_known_active_member(
    client: httpx.AsyncClient, tokens: dict[str, str], settings: KitSettings, database: Database
) -> None:
    await add_site_with_rooms(client, tokens["admin"], OFFICES)
    desk = bearer(tokens["desk"])
    await publish_members(
        settings,
        [
            (registered("org-a", "Atlas Robotics"), 1),
            (MemberUpdated(**member_fields("org-a", "Atlas Robotique")), 2),
            (registered("org-gone"), 1),
            (left("org-gone"), 2),
        ],
    )
    await wait_projected(database, {"org-a": 2, "org-gone": 2})

    unknown = await client.post("/v1/residencies", json=allocation("org-nobody", "office-1"), headers=desk)
    assert unknown.status_code == 422, unknown.text
    assert "member_id" in [e["field"] for e in unknown.json()["errors"]]
    gone = await client.post("/v1/residencies", json=allocation("org-gone", "office-1"), headers=desk)
    assert gone.status_code == 409, gone.text

    created = await client.post("/v1/residencies", json=allocation("org-a", "office-1"), headers=desk)
    assert created.status_code == 201, created.text
    assert created.json()["member_name"] == "Atlas Robotique"
    rid = created.json()["residency_id"]
    assert (await client.get(f"/v1/residencies/{rid}", headers=desk)).json()["member_name"] == "Atlas Robotique"
    occupancy = await client.get(f"/v1/sites/{SITE}/occupancy", params={"date": "2027-01-15"}, headers=desk)
    by_space = {s["space_id"]: s for s in occupancy.json()["spaces"]}
    assert by_space["office-1"]["residency"]["member_name"] == "Atlas Robotique"
    assert by_space["office-2"]["residency"] is None


async def test_member_projection_keeps_the_newest_event(database: Database) -> None:
    members = KnownMembers(database["members"])
    renamed = MemberUpdated(**member_fields("org-b", "Newer name"))
    first = registered("org-b", "First name")
    assert await members.apply(registry.envelope(renamed, source="community", subject="org-b", sequence=2), renamed)
    assert not await members.apply(registry.envelope(first, source="community", subject="org-b", sequence=1), first)
    assert not await members.apply(registry.envelope(renamed, source="community", subject="org-b", sequence=2), renamed)
    member = member_from(await members.get("org-b"))
    assert member is not None
    assert (member.name, member.active) == ("Newer name", True)
    gone = left("org-b", "Newer name")
    assert await members.apply(registry.envelope(gone, source="community", subject="org-b", sequence=3), gone)
    member = member_from(await members.get("org-b"))
    assert member is not None
    assert not member.active
