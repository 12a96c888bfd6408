"""Who sees what of spaces (the kit's `Scope`), and what a client may send (issue 26).

- A front desk of another site finds nothing of this site: its site, spaces, reservations,
  residencies, waitlist entries, day passes, occupancy and report are 404, and lists leave them out.
- Naming another site in a body (a reservation, a residency, a move, a waitlist entry, a day
  pass) is 403: the caller sees what it asked for, and may not do it.
- A member sees its own organisation's residencies, waitlist entries and day passes only
  (another's: 404; naming another organisation in a list filter: 403).
- Dates at Python's edges (with offsets) and control characters are a 422 naming the field,
  never a 5xx; a residency whose default 18 months would run past the calendar is a 422 too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from spaces_support import SITE, add_site_with_rooms, bearer, fields_of, project_members

from parkgrid.auth import Role, issue_token
from parkgrid.settings import KitSettings
from parkgrid.store import Database

pytest_plugins = ["spaces_fixtures"]

ELSEWHERE = "site-elsewhere"  # the other desk's site
ROOMS = [
    {"space_id": "office-1", "name": "Bureau 101", "kind": "private_office", "capacity": 4},
    {"space_id": "office-2", "name": "Bureau 102", "kind": "private_office", "capacity": 4},
    {"space_id": "office-3", "name": "Bureau 103", "kind": "private_office", "capacity": 4},
    {"space_id": "room-1", "name": "Salle Atlas", "kind": "meeting_room", "capacity": 8},
    {"space_id": "area-1", "name": "Open space", "kind": "hot_desk_area", "capacity": 20},
]
RESERVATION_TIME = {"starts_at": "2026-12-01T10:00:00+01:00", "ends_at": "2026-12-01T11:00:00+01:00"}
DAY_EDGES = ["9999-12-31", "0001-01-01", "1999-12-31", "2200-01-01"]
INSTANT_EDGES = ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00", "2199-12-31T23:30:00-05:00"]
CONTROL = ["\u0000\u0001", "Bureau\u001b[31m", "line\nbreak"]


@dataclass
class World:
    """Site SITE with org-2's things (made by its desk) and org-1's own; site ELSEWHERE with an office."""

    reservation_id: str
    theirs: str  # org-2's residency
    mine: str  # org-1's residency
    their_entry: str
    my_entry: str
    their_pass: str
    my_pass: str


def member(settings: KitSettings, member_id: str) -> dict[str, str]:
    return bearer(issue_token(settings, role=Role.MEMBER, member_id=member_id, person_id=f"p-{member_id}"))


async def created(response: httpx.Response, key: str) -> str:
    assert response.status_code == 201, response.text
    value: str = response.json()[key]
    return value


@pytest.fixture
async def world(client: httpx.AsyncClient, tokens: dict[str, str], settings: KitSettings, database: Database) -> World:
    await add_site_with_rooms(client, tokens["admin"], [])
    for room in ROOMS:
        response = await client.post(f"/v1/sites/{SITE}/spaces", json=room, headers=bearer(tokens["admin"]))
        assert response.status_code == 201, response.text
    await add_site_with_rooms(
        client,
        tokens["admin"],
        [{"space_id": "office-far", "name": "Far", "kind": "private_office", "capacity": 4}],
        ELSEWHERE,
    )
    await project_members(database, "org-1", "org-2")
    desk, org1 = bearer(tokens["desk"]), member(settings, "org-1")
    reservation = {"site_id": SITE, "requirement": {"kind": "meeting_room", "seats": 3}, "time": RESERVATION_TIME}

    def residency(member_id: str, space_id: str) -> dict[str, str]:
        return {"member_id": member_id, "site_id": SITE, "space_id": space_id, "starts_on": "2026-12-01"}

    def day_pass(member_id: str) -> dict[str, str]:
        return {
            "site_id": SITE,
            "space_id": "area-1",
            "member_id": member_id,
            "person_id": f"p-{member_id}",
            "day": "2026-12-01",
        }

    return World(
        reservation_id=await created(
            await client.post("/v1/reservations", json=reservation, headers=desk), "reservation_id"
        ),
        theirs=await created(
            await client.post("/v1/residencies", json=residency("org-2", "office-1"), headers=desk), "residency_id"
        ),
        mine=await created(
            await client.post("/v1/residencies", json=residency("org-1", "office-2"), headers=desk), "residency_id"
        ),
        their_entry=await created(
            await client.post(
                "/v1/office-waitlist", json={"site_id": SITE, "member_id": "org-2", "seats": 4}, headers=desk
            ),
            "entry_id",
        ),
        my_entry=await created(
            await client.post(
                "/v1/office-waitlist", json={"site_id": SITE, "member_id": "org-1", "seats": 6}, headers=org1
            ),
            "entry_id",
        ),
        their_pass=await created(
            await client.post("/v1/day-passes", json=day_pass("org-2"), headers=desk), "day_pass_id"
        ),
        my_pass=await created(await client.post("/v1/day-passes", json=day_pass("org-1"), headers=org1), "day_pass_id"),
    )


def reads_of(w: World) -> list[tuple[str, str, dict[str, Any] | None, dict[str, str] | None]]:
    """Every route that reads or changes one thing of SITE: (method, path, body, query)."""
    return [
        ("GET", f"/v1/sites/{SITE}", None, None),
        ("GET", f"/v1/sites/{SITE}/spaces", None, None),
        ("GET", "/v1/spaces/office-1", None, None),
        ("GET", f"/v1/reservations/{w.reservation_id}", None, None),
        ("GET", f"/v1/residencies/{w.theirs}", None, None),
        ("GET", f"/v1/office-waitlist/{w.their_entry}", None, None),
        ("GET", f"/v1/day-passes/{w.their_pass}", None, None),
        ("GET", f"/v1/sites/{SITE}/office-waitlist", None, None),
        ("GET", f"/v1/sites/{SITE}/occupancy", None, {"date": "2026-12-01"}),
        ("GET", f"/v1/sites/{SITE}/occupancy-report", None, {"from": "2026-12-01", "to": "2026-12-07"}),
    ]


def writes_of(w: World) -> list[tuple[str, str, dict[str, Any] | None, dict[str, str] | None]]:
    return [
        ("POST", f"/v1/reservations/{w.reservation_id}/release", None, None),
        ("POST", f"/v1/residencies/{w.theirs}/extend", {"ends_on": "2029-01-01"}, None),
        ("POST", f"/v1/residencies/{w.theirs}/move", {"space_id": "office-3", "moves_on": "2027-01-01"}, None),
        ("POST", f"/v1/residencies/{w.theirs}/end", {"reason": "not my site"}, None),
        ("POST", f"/v1/sites/{SITE}/office-waitlist/offers", {"space_id": "office-3", "starts_on": "2027-01-01"}, None),
        ("POST", f"/v1/office-waitlist/{w.their_entry}/accept", None, None),
        ("POST", f"/v1/office-waitlist/{w.their_entry}/decline", {}, None),
        ("POST", f"/v1/office-waitlist/{w.their_entry}/leave", {}, None),
    ]


async def call(
    client: httpx.AsyncClient,
    route: tuple[str, str, dict[str, Any] | None, dict[str, str] | None],
    headers: dict[str, str],
) -> httpx.Response:
    method, path, body, query = route
    return await client.request(method, path, json=body, params=query, headers=headers)


async def test_another_sites_desk_finds_nothing_of_this_site(
    client: httpx.AsyncClient, tokens: dict[str, str], world: World
) -> None:
    desk, other = bearer(tokens["desk"]), bearer(tokens["other_desk"])
    for route in reads_of(world):
        assert (await call(client, route, desk)).status_code == 200, route  # the site's own desk reads it
        response = await call(client, route, other)
        assert response.status_code == 404, (route, response.text)
        assert response.json()["detail"].startswith("there is no "), response.text
    for route in writes_of(world):  # the other desk changes nothing it cannot see
        response = await call(client, route, other)
        assert response.status_code == 404, (route, response.text)

    # Lists leave out what is not the caller's.
    assert [s["site_id"] for s in (await client.get("/v1/sites", headers=other)).json()["items"]] == [ELSEWHERE]
    assert [s["site_id"] for s in (await client.get("/v1/sites", headers=desk)).json()["items"]] == [SITE]
    admin = (await client.get("/v1/sites", headers=bearer(tokens["admin"]))).json()["items"]
    assert sorted(s["site_id"] for s in admin) == sorted([SITE, ELSEWHERE])
    entries = await client.get("/v1/office-waitlist", params={"member_id": "org-2"}, headers=other)
    assert (entries.status_code, entries.json()["items"]) == (200, [])
    entries = await client.get("/v1/office-waitlist", params={"member_id": "org-2"}, headers=desk)
    assert [e["entry_id"] for e in entries.json()["items"]] == [world.their_entry]

    # Nothing changed: the site's own desk still sees org-2's residency and entry as they were.
    residency = (await client.get(f"/v1/residencies/{world.theirs}", headers=desk)).json()
    assert (residency["status"], residency["space_id"]) == ("active", "office-1")
    entry = (await client.get(f"/v1/office-waitlist/{world.their_entry}", headers=desk)).json()
    assert entry["status"] == "waiting"


async def test_naming_another_site_in_a_body_is_forbidden(
    client: httpx.AsyncClient, tokens: dict[str, str], world: World
) -> None:
    desk, other = bearer(tokens["desk"]), bearer(tokens["other_desk"])
    bodies: list[tuple[str, dict[str, Any]]] = [
        (
            "/v1/reservations",
            {"site_id": SITE, "requirement": {"kind": "meeting_room", "seats": 3}, "time": RESERVATION_TIME},
        ),
        ("/v1/residencies", {"member_id": "org-2", "site_id": SITE, "space_id": "office-3", "starts_on": "2027-01-01"}),
        ("/v1/office-waitlist", {"site_id": SITE, "member_id": "org-2", "seats": 8}),
        (
            "/v1/day-passes",
            {"site_id": SITE, "space_id": "area-1", "member_id": "org-2", "person_id": "p-9", "day": "2026-12-02"},
        ),
    ]
    for path, body in bodies:
        response = await client.post(path, json=body, headers=other)
        assert response.status_code == 403, (path, response.text)
    # This site's desk moving a residency to the other desk's site.
    move = {"space_id": "office-far", "site_id": ELSEWHERE, "moves_on": "2027-01-01"}
    response = await client.post(f"/v1/residencies/{world.theirs}/move", json=move, headers=desk)
    assert response.status_code == 403, response.text
    # Naming a site that does not exist is invalid input, not a hint that it does.
    response = await client.post("/v1/office-waitlist", json={**bodies[2][1], "site_id": "site-nowhere"}, headers=desk)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["site_id"]


async def test_a_member_sees_its_own_organisation_only(
    client: httpx.AsyncClient, tokens: dict[str, str], settings: KitSettings, world: World
) -> None:
    org1 = member(settings, "org-1")
    for path in (
        f"/v1/residencies/{world.mine}",
        f"/v1/office-waitlist/{world.my_entry}",
        f"/v1/day-passes/{world.my_pass}",
    ):
        assert (await client.get(path, headers=org1)).status_code == 200, path
    for path in (
        f"/v1/residencies/{world.theirs}",
        f"/v1/office-waitlist/{world.their_entry}",
        f"/v1/day-passes/{world.their_pass}",
    ):
        response = await client.get(path, headers=org1)
        assert response.status_code == 404, (path, response.text)
    for answer in ("decline", "leave"):
        response = await client.post(f"/v1/office-waitlist/{world.their_entry}/{answer}", json={}, headers=org1)
        assert response.status_code == 404, response.text
    mine = await client.get("/v1/office-waitlist", params={"member_id": "org-1"}, headers=org1)
    assert [e["entry_id"] for e in mine.json()["items"]] == [world.my_entry]
    theirs = await client.get("/v1/office-waitlist", params={"member_id": "org-2"}, headers=org1)
    assert theirs.status_code == 403
    assert [e["field"] for e in theirs.json()["errors"]] == ["query.member_id"]
    # Staff routes stay staff's.
    assert (await client.get(f"/v1/sites/{SITE}", headers=org1)).status_code == 403
    assert (await client.get(f"/v1/reservations/{world.reservation_id}", headers=org1)).status_code == 403


async def test_dates_at_the_edges_are_invalid_input_naming_the_field(
    client: httpx.AsyncClient, tokens: dict[str, str], world: World
) -> None:
    desk, admin = bearer(tokens["desk"]), bearer(tokens["admin"])
    for day in DAY_EDGES:
        queries = [
            (f"/v1/sites/{SITE}/occupancy", {"date": day}, "query.date"),
            (f"/v1/sites/{SITE}/occupancy-report", {"from": day, "to": "2026-12-07"}, "query.from"),
            (f"/v1/sites/{SITE}/occupancy-report", {"from": "2026-12-01", "to": day}, "query.to"),
        ]
        for path, query, field in queries:
            assert field in fields_of(await client.get(path, params=query, headers=desk)), (path, day)
        bodies = [
            (
                "/v1/residencies",
                {"member_id": "org-2", "site_id": SITE, "space_id": "office-3", "starts_on": day},
                "starts_on",
            ),
            (
                "/v1/residencies",
                {
                    "member_id": "org-2",
                    "site_id": SITE,
                    "space_id": "office-3",
                    "starts_on": "2027-01-01",
                    "ends_on": day,
                },
                "ends_on",
            ),
            (f"/v1/residencies/{world.theirs}/extend", {"ends_on": day}, "ends_on"),
            (f"/v1/residencies/{world.theirs}/end", {"ends_on": day}, "ends_on"),
            (f"/v1/residencies/{world.theirs}/move", {"space_id": "office-3", "moves_on": day}, "moves_on"),
            (f"/v1/sites/{SITE}/office-waitlist/offers", {"space_id": "office-3", "starts_on": day}, "starts_on"),
            (
                f"/v1/sites/{SITE}/office-waitlist/offers",
                {"space_id": "office-3", "starts_on": "2027-01-01", "ends_on": day},
                "ends_on",
            ),
            (
                "/v1/day-passes",
                {"site_id": SITE, "space_id": "area-1", "member_id": "org-2", "person_id": "p-2", "day": day},
                "day",
            ),
        ]
        for path, body, field in bodies:
            assert field in fields_of(await client.post(path, json=body, headers=desk)), (path, day)
        closure = {"first_day": day, "last_day": "2026-12-31", "reason": "works"}
        site = await client.get(f"/v1/sites/{SITE}", headers=admin)
        response = await client.patch(
            f"/v1/sites/{SITE}", json={"closures": [closure]}, headers={**admin, "If-Match": site.headers["ETag"]}
        )
        assert "closures.0.first_day" in fields_of(response)
    for instant in INSTANT_EDGES:
        for end in ("starts_at", "ends_at"):
            time = {**RESERVATION_TIME, end: instant}
            reservation = {"site_id": SITE, "requirement": {"kind": "meeting_room", "seats": 3}, "time": time}
            response = await client.post("/v1/reservations", json=reservation, headers=desk)
            assert f"time.{end}" in fields_of(response), (instant, end)

    # A residency or an offer starts at most 31 days back and 2 years ahead of today at the site
    # (the tests' clock: 2026-12-01): 422 naming starts_on, never a failure to publish.
    for starts_on in ("2199-12-01", "2028-12-02", "2026-10-30"):
        late = {"member_id": "org-2", "site_id": SITE, "space_id": "office-3", "starts_on": starts_on}
        assert fields_of(await client.post("/v1/residencies", json=late, headers=desk)) == ["starts_on"]
        offer = {"space_id": "office-1", "starts_on": starts_on}
        assert fields_of(await client.post(f"/v1/sites/{SITE}/office-waitlist/offers", json=offer, headers=desk)) == [
            "starts_on"
        ]
    ahead = {
        "site_id": SITE,
        "requirement": {"kind": "meeting_room", "seats": 3},
        "time": {"starts_at": "2028-12-04T10:00:00+01:00", "ends_at": "2028-12-04T11:00:00+01:00"},
    }
    assert fields_of(await client.post("/v1/reservations", json=ahead, headers=desk)) == ["time.starts_at"]
    # The edges themselves are fine.
    for starts_on, ends_on in (("2026-10-31", "2026-11-30"), ("2028-12-01", "2029-11-30")):
        fine = {
            "member_id": "org-2",
            "site_id": SITE,
            "space_id": "office-3",
            "starts_on": starts_on,
            "ends_on": ends_on,
        }
        assert (await client.post("/v1/residencies", json=fine, headers=desk)).status_code == 201


async def test_text_is_one_clean_line_within_its_bounds(
    client: httpx.AsyncClient, tokens: dict[str, str], world: World
) -> None:
    desk, admin = bearer(tokens["desk"]), bearer(tokens["admin"])
    site = {
        "site_id": "site-new",
        "name": "New",
        "city": "Rabat",
        "country": "MA",
        "time_zone": "Africa/Casablanca",
        "opening_hours": [],
    }
    space = {"name": "Bureau", "kind": "private_office", "capacity": 4, "floor": "1"}
    for text in CONTROL:
        for field in ("name", "city"):
            response = await client.post("/v1/sites", json={**site, field: text}, headers=admin)
            assert fields_of(response) == [field]
            assert response.json()["errors"][0]["message"] == "control characters are not allowed here"
        closure = {"first_day": "2026-12-24", "last_day": "2026-12-26", "reason": text}
        assert fields_of(await client.post("/v1/sites", json={**site, "closures": [closure]}, headers=admin)) == [
            "closures.0.reason"
        ]
        for field in ("name", "floor"):
            response = await client.post(f"/v1/sites/{SITE}/spaces", json={**space, field: text}, headers=admin)
            assert fields_of(response) == [field]
        current = await client.get("/v1/spaces/office-3", headers=admin)
        response = await client.patch(
            "/v1/spaces/office-3", json={"name": text}, headers={**admin, "If-Match": current.headers["ETag"]}
        )
        assert fields_of(response) == ["name"]
        current = await client.get(f"/v1/sites/{SITE}", headers=admin)
        response = await client.patch(
            f"/v1/sites/{SITE}", json={"city": text}, headers={**admin, "If-Match": current.headers["ETag"]}
        )
        assert fields_of(response) == ["city"]
        for path in (
            f"/v1/residencies/{world.theirs}/end",
            f"/v1/office-waitlist/{world.their_entry}/decline",
            f"/v1/office-waitlist/{world.their_entry}/leave",
        ):
            assert fields_of(await client.post(path, json={"reason": text}, headers=desk)) == ["reason"], path

    # Bounds hold on the trimmed text: blank is empty, and spaces around a name are dropped.
    assert fields_of(await client.post("/v1/sites", json={**site, "name": "   "}, headers=admin)) == ["name"]
    assert fields_of(await client.post("/v1/sites", json={**site, "city": "x" * 101}, headers=admin)) == ["city"]
    added = await client.post(f"/v1/sites/{SITE}/spaces", json={**space, "name": "  Bureau 104 "}, headers=admin)
    assert added.status_code == 201, added.text
    assert added.json()["name"] == "Bureau 104"
