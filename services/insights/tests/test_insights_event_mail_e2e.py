"""One of issue 23's mails through the real stack: staff cancel a community event in the real
community service, its events travel over Kafka, and each registrant gets one mail, in their
own language, in the SMTP sink: the event's cancellation, not also their registration's."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from insights_fixtures import Sink, answered, app, eventually, neighbour, publish, settings, smtp_sink, wrap

from community.bootstrap import Community
from community.bootstrap import build_app as build_community
from insights.adapters.projection import InsightsStore
from insights.service_layer.notifications import Notifications
from insights.settings import InsightsSettings
from parkgrid.auth import Role, issue_token
from parkgrid.contracts.spaces import SiteRegistered
from parkgrid.contracts.topics import TOPICS
from parkgrid.settings import KitSettings
from parkgrid.store import Database
from parkgrid.testing.plugin import CreateTopics, ServiceSettings

__all__ = ["app", "settings", "smtp_sink"]

SITE = "site-rabat"
TZ = ZoneInfo("Africa/Casablanca")


def next_tuesday_at_ten() -> datetime:
    """A Tuesday at 10:00 in Rabat, a week or two ahead: within the site's hours, never in the past."""
    day = datetime.now(TZ).date() + timedelta(days=7)
    day += timedelta(days=(1 - day.weekday()) % 7)
    return datetime.combine(day, time(10, 0), tzinfo=TZ)


@pytest.fixture
async def community(
    settings: InsightsSettings,
    service_settings: ServiceSettings,
    create_topics: CreateTopics,
    database: Database,
) -> AsyncIterator[tuple[httpx.AsyncClient, Community]]:
    """The real community service on the same broker and topic prefix, with a database of its own."""
    await create_topics([t for t in TOPICS if t.name.startswith(("community.", "spaces."))])
    own: KitSettings = service_settings("community").model_copy(update={"database_name": database.name + "_c"})
    application = build_community(own)
    async with neighbour(application, "community", database, "_c") as http:
        yield http, application.state.community


async def test_staff_cancel_an_event_and_each_registrant_gets_one_mail_in_their_language(
    app: FastAPI,
    settings: InsightsSettings,
    smtp_sink: tuple[Sink, int],
    community: tuple[httpx.AsyncClient, Community],
) -> None:
    sink, _ = smtp_sink
    http, service = community
    site = SiteRegistered(
        site_id=SITE,
        name="Technopark Rabat",
        city="Rabat",
        country="MA",
        time_zone="Africa/Casablanca",
        opening_hours=[{"weekday": d, "opens": "08:30", "closes": "18:30"} for d in range(1, 6)],
    )
    await publish(settings, [("spaces.site", wrap(site, SITE, 1, "spaces"))])

    async def site_known() -> bool:
        return SITE in await service.store.sites.known_ids()

    await eventually(site_known, within=30, what="the site projected in community")
    desk = {"Authorization": f"Bearer {issue_token(settings, role=Role.FRONT_DESK, subject='desk-1', sites=[SITE])}"}
    people = [
        {"person_id": "p-amal", "name": "Amal", "email": "amal@example.ma", "role": "CEO", "language": "ar"},
        {"person_id": "p-salma", "name": "Salma", "email": "salma@example.ma", "role": "CTO", "language": "fr"},
    ]
    member = {
        "member_id": "member-e2e",
        "name": "Startup e2e",
        "kind": "startup",
        "sector": "fintech",
        "home_site_id": SITE,
        "stage": "incubation",
        "cohort": "2026-A",
        "people": people,
    }
    await answered(http.post("/v1/members", json=member, headers=desk))
    starts = next_tuesday_at_ten()
    event = {
        "event_id": "cevt-e2e-mail",
        "site_id": SITE,
        "kind": "workshop",
        "mode": "in_person",
        "title": {"fr": "Atelier levée de fonds", "en": "Fundraising workshop", "ar": "ورشة جمع التمويل"},
        "description": {"fr": "Pratique", "en": "Hands-on"},
        "time": {"starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=2)).isoformat()},
        "capacity": 10,
        "publish": True,
    }
    await answered(http.post("/v1/events", json=event, headers=desk))
    for person in ("p-amal", "p-salma"):
        registration = await answered(
            http.post(
                "/v1/events/cevt-e2e-mail/registrations",
                json={"person_id": person, "member_id": "member-e2e"},
                headers=desk,
            )
        )
        assert registration["status"] == "confirmed"

    async def confirmations() -> bool:
        return bool(sink.to("amal@example.ma") and sink.to("salma@example.ma"))

    await eventually(confirmations, within=60, what="the registration mails")
    cancelled = await http.post("/v1/events/cevt-e2e-mail/cancel", json={"reason": "intempéries"}, headers=desk)
    assert cancelled.status_code == 200, cancelled.text

    notifications: Notifications = app.state.components[Notifications]

    async def told_once() -> bool:
        """Both registrants have the event's mail, and both registration-cancelled notices gave way to it."""
        covered = await notifications.notices.collection.count_documents(
            {"kind": "registration_cancelled", "status": "covered"}
        )
        return len(sink.messages) >= 4 and covered == 2

    await eventually(told_once, within=60, what="the event-cancelled mails")
    await notifications.tick()  # one more round: nothing else is due
    when = f"يوم الثلاثاء {starts.day} "
    amal = sink.to("amal@example.ma")
    assert [m["Subject"] for m in amal] == [
        "تأكيد التسجيل: ورشة جمع التمويل",
        "إلغاء الفعالية: ورشة جمع التمويل",
    ]
    body = amal[1].get_content()
    assert "مرحبًا Amal،" in body
    assert when in body
    assert "الساعة 10:00 (Africa/Casablanca)" in body
    assert "السبب: intempéries" in body
    assert amal[1]["Content-Language"] == "ar"
    assert [m["Subject"] for m in sink.to("salma@example.ma")] == [
        "Inscription confirmée : Atelier levée de fonds",
        "Événement annulé : Atelier levée de fonds",
    ]
    assert len(sink.messages) == 4
    assert datetime.now(UTC) < starts

    # The registrants were found by one indexed query on the event's id.
    store: InsightsStore = app.state.components[InsightsStore]
    assert "event" in await store.aggregates.index_information()
    found = await store.registrations_of_event("cevt-e2e-mail")
    assert sorted(r["person_id"] for r in found) == ["p-amal", "p-salma"]
    # Registrations projected before the field existed get it at start.
    await store.aggregates.update_many({"aggregate": "community.registration"}, {"$unset": {"event_id": ""}})
    assert await store.registrations_of_event("cevt-e2e-mail") == []
    assert await store.flatten_event_ids() == 2
    assert len(await store.registrations_of_event("cevt-e2e-mail")) == 2
