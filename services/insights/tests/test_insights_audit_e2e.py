"""Issue 22's audit trail through a real service: an admin opens a site in spaces and changes it,
a front desk's request is refused, the events travel over Kafka naming their actor, and insights
answers "who changed what, when" by object, by actor and by kind, newest first, for admins only."""

from __future__ import annotations

from datetime import datetime

import httpx
from fastapi import FastAPI
from insights_fixtures import answered, app, bearer, eventually, settings, smtp_sink, spaces

from insights.settings import InsightsSettings
from parkgrid.auth import Role
from parkgrid.testing.http import app_client

__all__ = ["app", "settings", "smtp_sink", "spaces"]

SITE = "site-audit-e2e"
WEEKDAYS = [{"weekday": d, "opens": "08:30", "closes": "18:30"} for d in range(1, 6)]


async def test_the_trail_says_who_changed_a_site_what_and_when_to_admins_only(
    app: FastAPI, settings: InsightsSettings, spaces: httpx.AsyncClient
) -> None:
    ana = bearer(settings, Role.ADMIN, subject="admin-ana")
    site = {"site_id": SITE, "name": "Technopark Audit", "city": "Rabat", "country": "MA"}
    opened = await spaces.post(
        "/v1/sites", json=site | {"time_zone": "Africa/Casablanca", "opening_hours": WEEKDAYS}, headers=ana
    )
    assert opened.status_code == 201, opened.text
    renamed = await spaces.patch(
        f"/v1/sites/{SITE}",
        json={"name": "Technopark Audit-Salé", "no_show_release_minutes": 20},
        headers={**ana, "If-Match": opened.headers["ETag"]},
    )
    assert renamed.status_code == 200, renamed.text
    desk = bearer(settings, Role.FRONT_DESK, subject="fd-omar", sites=[SITE])
    refused = await spaces.patch(f"/v1/sites/{SITE}", json={"name": "Mine now"}, headers=desk)
    assert refused.status_code == 403, refused.text  # refused: it changes nothing, so it is in no trail

    async with app_client(app, "insights", raise_app_exceptions=True) as http:
        trail = {"object_id": SITE}

        async def both_seen() -> bool:
            got = await http.get("/v1/audit", params=trail, headers=ana)
            return got.status_code == 200 and len(got.json()["items"]) == 2

        await eventually(both_seen, what="insights to record the site's two events")
        latest, first = (await answered(http.get("/v1/audit", params=trail, headers=ana), 200))["items"]
        assert (latest["kind"], latest["object_id"], latest["actor"]) == ("site", SITE, "admin:admin-ana")
        # as instants: an ISO time with no fraction ("…:27Z") sorts after one with ("…:27.052Z") as text
        assert datetime.fromisoformat(latest["time"]) >= datetime.fromisoformat(first["time"])
        assert {c["field"]: (c["before"], c["after"]) for c in latest["changes"]} == {
            "name": ("Technopark Audit", "Technopark Audit-Salé"),
            "no_show_release_minutes": (None, "20"),
        }
        assert (first["actor"], first["changes"]) == ("admin:admin-ana", [])  # opened: its creation

        by_actor = await answered(http.get("/v1/audit", params={"actor": "admin:admin-ana"}, headers=ana), 200)
        assert [i["event_id"] for i in by_actor["items"]] == [latest["event_id"], first["event_id"]]
        nobody = await answered(http.get("/v1/audit", params={"actor": "front_desk:fd-omar"}, headers=ana), 200)
        assert nobody["items"] == []
        offerings = await answered(http.get("/v1/audit", params={**trail, "kind": "offering"}, headers=ana), 200)
        assert offerings["items"] == []

        newest = await answered(http.get("/v1/audit", params={**trail, "limit": 1}, headers=ana), 200)
        assert [i["event_id"] for i in newest["items"]] == [latest["event_id"]]
        older = await answered(
            http.get("/v1/audit", params={**trail, "limit": 1, "cursor": newest["next_cursor"]}, headers=ana), 200
        )
        assert [i["event_id"] for i in older["items"]] == [first["event_id"]]
        assert older["next_cursor"] is None

        for who, status in ((desk, 403), (bearer(settings, Role.MEMBER, member_id="m-1"), 403), ({}, 401)):
            denied = await http.get("/v1/audit", params=trail, headers=who)
            assert denied.status_code == status, denied.text
            assert denied.headers["content-type"].startswith("application/problem+json")
        for bad in ({"actor": "ana"}, {"kind": "invoice"}, {"cursor": "not-ours"}, {"limit": 0}):
            wrong = await http.get("/v1/audit", params=bad, headers=ana)
            assert wrong.status_code == 422, (bad, wrong.text)
            assert wrong.headers["content-type"].startswith("application/problem+json")
