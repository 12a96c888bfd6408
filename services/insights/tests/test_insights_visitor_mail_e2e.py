"""Issue 25's visitor mail through the real spaces service: a member registers a guest in spaces,
the desk checks the guest in (twice, as a double click would), `spaces.visit` travels over Kafka,
and the host alone gets one mail in their own language naming the guest and the site; a
cancelled visit and the guest's leaving tell nobody; past the retention the guest's name leaves
the notice and the mail as insights keeps them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI
from insights_fixtures import (
    Sink,
    answered,
    app,
    bearer,
    eventually,
    publish,
    settings,
    smtp_sink,
    spaces,
    wrap,
)

from insights.service_layer.notifications import Notifications
from insights.settings import InsightsSettings
from parkgrid.auth import Role
from parkgrid.contracts.community import MemberRegistered

__all__ = ["app", "settings", "smtp_sink", "spaces"]

SITE = "site-visit-e2e"
MEMBER = "member-visit-e2e"
EVERY_DAY = [{"weekday": d, "opens": "00:00", "closes": "23:59"} for d in range(1, 8)]


async def test_the_desk_checks_a_guest_in_and_the_host_alone_gets_one_mail_in_their_language(
    app: FastAPI, settings: InsightsSettings, smtp_sink: tuple[Sink, int], spaces: httpx.AsyncClient
) -> None:
    sink, _ = smtp_sink
    admin = bearer(settings, Role.ADMIN, subject="admin-1")
    desk = bearer(settings, Role.FRONT_DESK, subject="desk-1", sites=[SITE])
    host = bearer(settings, Role.MEMBER, member_id=MEMBER, person_id="p-amal")
    site = {
        "site_id": SITE,
        "name": "Technopark Oujda",
        "city": "Oujda",
        "country": "MA",
        "time_zone": "Africa/Casablanca",
        "opening_hours": EVERY_DAY,
    }
    await answered(spaces.post("/v1/sites", json=site, headers=admin), 201)
    people = [
        {"person_id": "p-amal", "name": "Amal", "email": "amal@example.ma", "role": "CEO", "language": "ar"},
        {"person_id": "p-john", "name": "John", "email": "john@example.ma", "role": "CTO", "language": "en"},
    ]
    member = MemberRegistered.model_validate(
        {
            "member_id": MEMBER,
            "name": "Startup visite",
            "kind": "startup",
            "sector": "agritech",
            "home_site_id": SITE,
            "status": "active",
            "programme": {"stage": "incubation", "started_on": "2026-01-05"},
            "people": people,
        }
    )
    await publish(settings, [("community.member", wrap(member, MEMBER, 1, "community"))])
    today = datetime.now(ZoneInfo("Africa/Casablanca")).date().isoformat()
    guest = {"site_id": SITE, "day": today, "member_id": MEMBER, "guest_name": "Karim Benali", "expected_at": "10:00"}

    async def member_known() -> bool:
        response = await spaces.post("/v1/visits", json=guest, headers=host)  # no key: a 422 would be replayed
        return response.status_code == 201

    await eventually(member_known, within=30, what="the member projected in spaces")
    visits = await answered(spaces.get(f"/v1/sites/{SITE}/visits", headers=desk), 200)
    visit_id = visits["items"][0]["visit_id"]
    other = await answered(spaces.post("/v1/visits", json={**guest, "guest_name": "Nadia"}, headers=host), 201)
    await answered(spaces.post(f"/v1/visits/{other['visit_id']}/cancel", headers=host), 200)
    twice = await asyncio.gather(*(spaces.post(f"/v1/visits/{visit_id}/arrive", headers=desk) for _ in range(2)))
    assert [r.status_code for r in twice] == [200, 200]
    await answered(spaces.post(f"/v1/visits/{visit_id}/leave", headers=desk), 200)

    async def told() -> bool:
        return bool(sink.to("amal@example.ma"))

    await eventually(told, within=60, what="the host's mail")
    await asyncio.sleep(1.0)
    await app.state.components[Notifications].tick()  # one more round: nothing else is due

    assert [m["Subject"] for m in sink.to("amal@example.ma")] == ["وصل زائركم إلى مكتب الاستقبال"]
    body = sink.to("amal@example.ma")[0].get_content()
    assert "Karim Benali" in body
    assert "Technopark Oujda" in body
    assert "Nadia" not in body
    assert sink.to("john@example.ma") == []  # the guest is the host's, not the whole organisation's
    assert len(sink.messages) == 1

    # The guest's name is personal data: past the retention it leaves the notice and its mail.
    notifications: Notifications = app.state.components[Notifications]
    now = datetime.now(UTC)
    assert await notifications.forget_guests(now + timedelta(days=29)) == 0
    assert await notifications.forget_guests(now + timedelta(days=31)) == 1
    assert await notifications.forget_guests(now + timedelta(days=31)) == 0
    notice = await notifications.notices.collection.find_one({"kind": "visitor_arrived"})
    assert notice is not None
    assert (notice["context"]["guest_name"], notice["context"]["site_id"]) == (None, SITE)
    rows = await notifications.sent_log.rows()
    assert [(r["email"], r["status"]) for r in rows] == [("amal@example.ma", "sent")]
    assert "Karim" not in rows[0]["body"] + rows[0]["subject"]
