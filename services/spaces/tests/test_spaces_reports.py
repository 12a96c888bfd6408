"""The occupancy report of a site over a range of days, against the real store: turnover of
residencies and utilisation by kind from residencies, reservations and day passes."""

from __future__ import annotations

from typing import Any

import httpx
from spaces_support import SITE, add_site_with_rooms, bearer, project_members

from parkgrid.settings import KitSettings
from parkgrid.store import Database

pytest_plugins = ["spaces_fixtures"]

SPACES = [
    {"space_id": "office-1", "name": "Bureau 101", "kind": "private_office", "capacity": 4},
    {"space_id": "office-2", "name": "Bureau 102", "kind": "private_office", "capacity": 6},
    {"space_id": "desk-1", "name": "Poste 1", "kind": "dedicated_desk", "capacity": 1},
    {"space_id": "room-1", "name": "Salle Atlas", "kind": "meeting_room", "capacity": 8},
    {"space_id": "area", "name": "Coworking", "kind": "hot_desk_area", "capacity": 10},
]
WEEK = {"from": "2026-12-07", "to": "2026-12-13"}  # Monday to Sunday: open 6 days, 54 hours


async def test_turnover_and_utilisation_over_a_week(
    client: httpx.AsyncClient, tokens: dict[str, str], settings: KitSettings, database: Database
) -> None:
    await add_site_with_rooms(client, tokens["admin"], SPACES)
    await project_members(database, "org-1", "org-2", "org-3")
    desk = bearer(tokens["desk"])
    for member, space, starts_on, ends_on in (
        ("org-1", "office-1", "2026-12-01", "2027-05-31"),  # all week
        ("org-2", "office-2", "2026-11-01", "2026-12-09"),  # leaves on Wednesday
        ("org-3", "desk-1", "2026-12-10", "2027-12-31"),  # arrives on Thursday
    ):
        body: dict[str, Any] = {
            "member_id": member,
            "site_id": SITE,
            "space_id": space,
            "starts_on": starts_on,
            "ends_on": ends_on,
        }
        assert (await client.post("/v1/residencies", json=body, headers=desk)).status_code == 201
    for starts_at, ends_at in (
        ("2026-12-08T10:00:00+01:00", "2026-12-08T12:00:00+01:00"),
        ("2026-12-12T09:00:00+01:00", "2026-12-12T11:00:00+01:00"),
    ):
        body = {
            "site_id": SITE,
            "requirement": {"kind": "meeting_room", "seats": 4},
            "time": {"starts_at": starts_at, "ends_at": ends_at},
        }
        assert (await client.post("/v1/reservations", json=body, headers=desk)).json()["status"] == "confirmed"
    for person, day in (
        ("a", "2026-12-07"),
        ("b", "2026-12-07"),
        ("c", "2026-12-07"),
        ("a", "2026-12-08"),
        ("b", "2026-12-08"),
    ):
        body = {"site_id": SITE, "space_id": "area", "member_id": "org-1", "person_id": person, "day": day}
        assert (await client.post("/v1/day-passes", json=body, headers=desk)).status_code == 201

    response = await client.get(f"/v1/sites/{SITE}/occupancy-report", params=WEEK, headers=desk)
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["open_days"], report["time_zone"]) == (6, "Africa/Casablanca")
    assert report["residencies"] == {
        "residents_at_start": 2,
        "residents_at_end": 2,
        "started": 1,
        "ended": 1,
        "moved_in": 0,
        "moved_out": 0,
        "turnover_rate": 0.5,
    }
    by_kind = {line["kind"]: line for line in report["utilisation"]}
    assert {k: (v["used"], v["available"], v["unit"]) for k, v in by_kind.items()} == {
        "private_office": (9, 12, "space_days"),  # 6 days + Monday to Wednesday
        "dedicated_desk": (3, 6, "space_days"),
        "meeting_room": (4, 54, "hours"),
        "hot_desk_area": (5, 60, "place_days"),
    }
    assert by_kind["private_office"]["utilisation"] == 0.75

    year = await client.get(
        f"/v1/sites/{SITE}/occupancy-report", params={"from": "2026-01-01", "to": "2026-12-31"}, headers=desk
    )
    assert (year.json()["residencies"]["started"], year.json()["residencies"]["ended"]) == (3, 1)
    for params, field in (
        ({"from": "2026-12-13", "to": "2026-12-07"}, "query.to"),
        ({"from": "2026-01-01", "to": "2031-01-01"}, "query.to"),
        ({"to": "2026-12-07"}, "query.from"),
        ({"from": "2026-12-07", "to": "next week"}, "query.to"),
    ):
        bad = await client.get(f"/v1/sites/{SITE}/occupancy-report", params=params, headers=desk)
        assert bad.status_code == 422, bad.text
        assert field in [e["field"] for e in bad.json()["errors"]]
    assert (
        await client.get(f"/v1/sites/{SITE}/occupancy-report", params=WEEK, headers=bearer(tokens["member"]))
    ).status_code == 403
    other = bearer(tokens["other_desk"])
    assert (await client.get(f"/v1/sites/{SITE}/occupancy-report", params=WEEK, headers=other)).status_code == 404
    assert (await client.get("/v1/sites/site-nowhere/occupancy-report", params=WEEK, headers=desk)).status_code == 404
