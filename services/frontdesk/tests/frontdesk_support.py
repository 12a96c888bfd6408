"""The front desk's test stack (the `stack` fixture of frontdesk_fixtures runs it once per session).

The seven real apps (spaces, catalogue, community, bookings, insights, billing and the web app), each
served by uvicorn on a random port over the real store and broker, with demo data written through the
services' own APIs. A second web app, `degraded`, reaches catalogue and spaces but not
bookings, community, insights or billing (a port where nothing listens): its panels must say so while
the rest of every page works. Tests keep to their own ids, so one stack serves them all.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import time
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import uvicorn
from fastapi import FastAPI
from playwright.async_api import Browser, BrowserContext, Page

from billing.bootstrap import build_app as build_billing
from billing.settings import BillingSettings
from bookings.bootstrap import build_app as build_bookings
from catalogue.bootstrap import build_app as build_catalogue
from community.bootstrap import build_app as build_community
from frontdesk.bootstrap import build_app as build_frontdesk
from frontdesk.settings import FrontdeskSettings
from insights.bootstrap import build_app as build_insights
from insights.settings import InsightsSettings
from parkgrid.auth import Role, issue_token
from parkgrid.events import IntegrationEvent, registry
from parkgrid.settings import KitSettings
from parkgrid.store import connect
from parkgrid.testing import leftovers, topics
from parkgrid.testing.infrastructure import Infrastructure
from parkgrid.topics import delete_topics_with_prefix
from spaces.bootstrap import build_app as build_spaces

SITE = "site-fd"
ZONE = os.environ.get("FRONTDESK_TEST_TIME_ZONE", "Africa/Casablanca")
"""The test site's zone. To run the suite at the site's midnight, name a zone where it is
23:30-24:00 now (at 09:10 UTC: `Pacific/Marquesas`, UTC-09:30): the seeded event "in half an
hour" is then tomorrow's."""
STARTUP = "m-fd-startup"
FOUNDER = "p-fd-founder"
TPE = "m-fd-tpe"
MENTORING = "off-fd-mentoring"
ROOM = "off-fd-room"
TPE_ONLY = "off-fd-tpe-clinic"
FOUNDER_BODY = {"person_id": FOUNDER, "name": "Salma Benali", "email": "salma@example.ma", "role": "CEO"}
WEEK = [{"weekday": d, "opens": "08:00", "closes": "19:00"} for d in range(1, 8)]
ROUND_THE_CLOCK = [{"weekday": d, "opens": "00:00", "closes": "23:59"} for d in range(1, 8)]
"""A site open, or an offering available, all day: some session is always under way or just ahead."""


@dataclass
class Stack:
    """Where each app answers; `degraded` is a second web app that cannot reach bookings or community."""

    frontdesk: str
    degraded: str
    spaces: str
    catalogue: str
    bookings: str
    community: str
    settings: FrontdeskSettings
    kafka: KitSettings
    offerings: dict[str, str]
    event_id: str = ""
    event_day: date | None = None
    """The seeded event's date on the site's clock: Today of that date shows it (near midnight,
    "in half an hour" is tomorrow, so a test asks Today for this date, never for today)."""
    insights: str = ""
    """The insights app the web app's dashboard reads (the degraded web app cannot reach it)."""
    billing: str = ""
    """The billing app the web app's billing pages read (the degraded web app cannot reach it)."""
    billing_app: FastAPI | None = None
    """Billing's app object, whose parts (`app.state.components`) a test may use to charge a member."""

    @property
    def event_today(self) -> str:
        """The site's Today page on the seeded event's date."""
        assert self.event_day is not None, "the stack is seeded with its event"
        return f"/staff/sites/{SITE}/today?date={self.event_day.isoformat()}"

    def token(self, role: Role, **claims: Any) -> str:
        return issue_token(self.settings, role=role, **claims)

    @property
    def staff(self) -> str:
        return self.token(Role.FRONT_DESK, sites=[SITE])

    @property
    def member(self) -> str:
        return self.token(Role.MEMBER, member_id=STARTUP, person_id=FOUNDER)

    @property
    def admin(self) -> str:
        return self.token(Role.ADMIN)

    def browser(self, token: str | None, *, degraded: bool = False, **options: Any) -> httpx.AsyncClient:
        """A client that visits the web app the way a browser does: the token in its cookie."""
        cookies = {"parkgrid_token": token} if token else {}
        base = self.degraded if degraded else self.frontdesk
        return httpx.AsyncClient(base_url=base, cookies=cookies, timeout=30, **options)


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[str]:
    """Run the app under uvicorn on a random loopback port in this event loop; yield its URL."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", lifespan="on", timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def kit_settings(infrastructure: Infrastructure, service: str, run: str, prefix: str) -> dict[str, Any]:
    return {
        "PARKGRID_SERVICE_NAME": f"{service}-{run}",
        "MONGODB_URI": infrastructure.mongodb_uri,
        "PARKGRID_DATABASE": f"test_{run}_{service}",
        "KAFKA_BOOTSTRAP_SERVERS": infrastructure.kafka_bootstrap_servers,
        "PARKGRID_TOPIC_PREFIX": prefix,
        "PARKGRID_LOG_JSON": False,
        "PARKGRID_LOG_LEVEL": "WARNING",
    }


def billing_settings(infrastructure: Infrastructure, run: str, prefix: str) -> BillingSettings:
    """Billing with its period close left to the tests (they close a month through its API)."""
    return BillingSettings(**kit_settings(infrastructure, "billing", run, prefix))


def insights_settings(infrastructure: Infrastructure, run: str, prefix: str) -> InsightsSettings:
    """Insights for the dashboard: its KPIs read with no delay, no mail sent (no relay in the stack)."""
    return InsightsSettings(
        **kit_settings(infrastructure, "insights", run, prefix),
        INSIGHTS_MAIL_ENABLED=False,
        INSIGHTS_KPI_CACHE_SECONDS=0,
    )


async def publish(settings: KitSettings, topic: str, events: Iterable[tuple[IntegrationEvent, str, int]]) -> None:
    """Publish contract events (event, subject, sequence) as their owning service would."""
    source = topic.split(".")[0]
    await topics.publish(
        settings,
        ((topic, registry.envelope(e, source=source, subject=subject, sequence=seq)) for e, subject, seq in events),
        client_id="frontdesk-tests",
    )


async def eventually(check: Any, what: str, within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while not await check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


def offering_body(title: str, category: str, kinds: list[str], space: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "site_id": SITE,
        "category": category,
        "title": {"fr": f"{title} (fr)", "en": title},
        "description": {"fr": "Une séance.", "en": "A session."},
        "provider": {"name": "Réseau des mentors", "kind": "partner"},
        "mode": "in_person",
        "session_minutes": 60,
        "seats_per_session": 1,
        "eligibility": {"member_kinds": kinds, "stages": []},
        "availability": WEEK,
    }
    if space:
        body["space_requirement"] = space
    return body


def event_body(
    kind: str, title: tuple[str, str], description: tuple[str, str], starts: datetime, hours: int, capacity: int
) -> dict[str, Any]:
    """A community event at the stack's site, published at once: what the tests ask community for.

    `title` and `description` are (French, English)."""
    return {
        "site_id": SITE,
        "kind": kind,
        "title": dict(zip(("fr", "en"), title, strict=True)),
        "description": dict(zip(("fr", "en"), description, strict=True)),
        "time": {"starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=hours)).isoformat()},
        "capacity": capacity,
        "publish": True,
    }


def two_days_ahead_at_ten() -> datetime:
    """10:00 on the site's clock the day after tomorrow: inside its hours, whatever time a run starts."""
    return (datetime.now(ZoneInfo(ZONE)) + timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)


OFFERINGS = {
    MENTORING: offering_body("Strategy mentoring", "mentoring", ["startup"]),
    ROOM: offering_body("Meeting room for four", "meeting_room", [], {"kind": "meeting_room", "seats": 4}),
    TPE_ONLY: offering_body("TPE bookkeeping clinic", "expert_clinic", ["tpe"]),
}


def member_body(
    member_id: str, name: str, home_site_id: str, people: list[dict[str, str]], *, kind: str = "startup"
) -> dict[str, Any]:
    """A member organisation in incubation since 2026-01-05, as community's `POST /v1/members` takes it."""
    return {
        "member_id": member_id,
        "name": name,
        "kind": kind,
        "sector": "agritech",
        "home_site_id": home_site_id,
        "stage": "incubation",
        "started_on": "2026-01-05",
        "people": people,
    }


async def until_accepted(http: httpx.AsyncClient, url: str, body: dict[str, Any], **headers: str) -> httpx.Response:
    """POST until the service has projected what the body refers to (a site, a member): 2xx, or the last answer."""
    deadline = time.monotonic() + 60
    while True:
        response = await http.post(url, json=body, headers=headers)
        if response.status_code < 300 or time.monotonic() > deadline:
            return response
        await asyncio.sleep(0.3)


async def site_of_its_own(
    http: httpx.AsyncClient, stack: Stack, site_id: str, name: str, city: str, hours: list[dict[str, Any]] = WEEK
) -> None:
    """A site for one test module (its queue, its day and its rooms are that module's alone), in
    the suite's zone, written through spaces' API with the admin's `http`."""
    site = {"site_id": site_id, "name": name, "city": city, "country": "MA", "time_zone": ZONE, "opening_hours": hours}
    made = await http.post(f"{stack.spaces}/v1/sites", json=site)
    assert made.status_code == 201, made.text


async def startup_at(
    http: httpx.AsyncClient, stack: Stack, site_id: str, member_id: str, name: str, person: dict[str, str]
) -> None:
    """A startup of one person at home at `site_id`, once community knows the site."""
    created = await until_accepted(
        http, f"{stack.community}/v1/members", member_body(member_id, name, site_id, [person])
    )
    assert created.status_code in (200, 201), created.text


PHONE = {"width": 390, "height": 844}


async def signed_in(
    browser: Browser,
    base: str,
    token: str,
    *,
    phone: bool = False,
    locale: str = "en-GB",
    viewport: dict[str, int] | None = None,
) -> BrowserContext:
    """A browser context signed in to the web app at `base` as `token`'s holder (its cookie)."""
    size = viewport or (PHONE if phone else {"width": 1280, "height": 900})
    context = await browser.new_context(viewport=size, locale=locale)  # type: ignore[arg-type]
    await context.add_cookies([{"name": "parkgrid_token", "value": token, "url": base}])
    return context


async def published_offering(
    http: httpx.AsyncClient, stack: Stack, body: dict[str, Any], key: str, member_id: str | None = None
) -> str:
    """Create and publish an offering, then wait until bookings offers its slots (and, given a
    member, until catalogue lists offerings for that member): the set-up of every booking test."""
    created = await until_accepted(http, f"{stack.catalogue}/v1/offerings", body, **{"Idempotency-Key": key})
    assert created.status_code == 201, created.text
    offering_id: str = created.json()["id"]
    # 409 until catalogue has learnt the site's spaces (an offering no space can host is not published)
    published = await until_accepted(http, f"{stack.catalogue}/v1/offerings/{offering_id}/publish", {})
    assert published.status_code == 200, published.text

    async def bookable() -> bool:
        slots = await http.get(f"{stack.bookings}/v1/offerings/{offering_id}/slots")
        if slots.status_code != 200 or not slots.json()["items"]:
            return False
        if member_id is None:
            return True
        listed = await http.get(f"{stack.catalogue}/v1/offerings", params={"member_id": member_id})
        return listed.status_code == 200

    await eventually(bookable, f"bookings and catalogue to learn the offering {key!r}")
    return offering_id


async def seed_stack(stack: Stack) -> None:
    """A site with a meeting room and an office (spaces), two member organisations (community),
    three offerings (catalogue) and a published event starting in half an hour (`event_day`: its local
    date, which near midnight is tomorrow), written through the services' APIs."""
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {stack.admin}"}, timeout=30) as http:
        site = {
            "site_id": SITE,
            "name": "Technopark Test",
            "city": "Casablanca",
            "country": "MA",
            "time_zone": ZONE,
            "opening_hours": WEEK,
        }
        assert (await http.post(f"{stack.spaces}/v1/sites", json=site)).status_code == 201
        for space in (
            {"space_id": "sp-atlas", "name": "Salle Atlas", "kind": "meeting_room", "capacity": 6},
            {"space_id": "sp-office-12", "name": "Bureau 12", "kind": "private_office", "capacity": 4},
        ):
            response = await http.post(f"{stack.spaces}/v1/sites/{SITE}/spaces", json=space)
            assert response.status_code == 201, response.text
        for member_id, name, kind, people in (
            (STARTUP, "Argan Labs", "startup", [FOUNDER_BODY]),
            (TPE, "Atelier Tiznit", "tpe", []),
        ):
            member = member_body(member_id, name, SITE, people, kind=kind)
            response = await until_accepted(http, f"{stack.community}/v1/members", member)
            assert response.status_code == 201, response.text
        for key, body in OFFERINGS.items():
            created = await until_accepted(http, f"{stack.catalogue}/v1/offerings", body, **{"Idempotency-Key": key})
            assert created.status_code == 201, created.text
            stack.offerings[key] = created.json()["id"]
            # 409 until catalogue has learnt the site's spaces (an offering no space can host is not published)
            published = await until_accepted(http, f"{stack.catalogue}/v1/offerings/{stack.offerings[key]}/publish", {})
            assert published.status_code == 200, published.text
        # Soon, so its door is open (community takes tickets from an hour before the start) and
        # it is still ahead (an event in the past is refused); near midnight that is tomorrow, so
        # the tests look for it on Today of `event_day`, not of today.
        starts = (datetime.now(ZoneInfo(ZONE)) + timedelta(minutes=30)).replace(second=0, microsecond=0)
        event = event_body(
            "workshop", ("Atelier pitch", "Pitch workshop"), ("Un atelier.", "A workshop."), starts, 1, 20
        )
        created = await until_accepted(http, f"{stack.community}/v1/events", event)
        assert created.status_code == 201, created.text
        stack.event_id = created.json()["event_id"]
        stack.event_day = starts.date()

        async def bookable() -> bool:
            for offering_id in stack.offerings.values():
                slots = await http.get(f"{stack.bookings}/v1/offerings/{offering_id}/slots")
                if slots.status_code != 200 or not slots.json()["items"]:
                    return False
            return True

        async def members_known() -> bool:
            found = await http.get(f"{stack.catalogue}/v1/offerings", params={"member_id": TPE})
            return found.status_code == 200

        await eventually(bookable, "bookings to learn the offerings")
        await eventually(members_known, "catalogue to learn the members")


async def _ready(url: str) -> bool:
    async with httpx.AsyncClient(base_url=url, timeout=5) as http:
        return (await http.get("/readyz")).status_code == 200


@asynccontextmanager
async def running_stack(infrastructure: Infrastructure) -> AsyncIterator[Stack]:
    """The seven apps over a fresh prefix and databases, seeded; dropped afterwards."""
    run = uuid.uuid4().hex[:10]
    prefix = f"t{run}."
    leftovers.note(leftovers.Prefixes(topics=prefix, databases=f"test_{run}"))
    kafka = KitSettings(**kit_settings(infrastructure, "tests", run, prefix))
    mongo = connect(infrastructure.mongodb_uri, app_name="frontdesk-tests")
    try:
        async with AsyncExitStack() as apps:
            urls: dict[str, str] = {}
            for service, build in (
                ("spaces", build_spaces),
                ("catalogue", build_catalogue),
                ("community", build_community),
                ("bookings", build_bookings),
            ):
                urls[service] = await apps.enter_async_context(
                    serve(build(KitSettings(**kit_settings(infrastructure, service, run, prefix))))
                )
            urls["insights"] = await apps.enter_async_context(
                serve(build_insights(insights_settings(infrastructure, run, prefix)))
            )
            billing_app = build_billing(billing_settings(infrastructure, run, prefix))
            urls["billing"] = await apps.enter_async_context(serve(billing_app))
            nowhere = f"http://127.0.0.1:{closed_port()}"
            for name, bookings, community in (
                ("frontdesk", urls["bookings"], urls["community"]),
                ("degraded", nowhere, nowhere),
            ):
                settings = FrontdeskSettings(
                    **kit_settings(infrastructure, name, run, prefix),
                    FRONTDESK_CATALOGUE_URL=urls["catalogue"],
                    FRONTDESK_SPACES_URL=urls["spaces"],
                    FRONTDESK_BOOKINGS_URL=bookings,
                    FRONTDESK_COMMUNITY_URL=community,
                    FRONTDESK_INSIGHTS_URL=urls["insights"] if name == "frontdesk" else nowhere,
                    FRONTDESK_BILLING_URL=urls["billing"] if name == "frontdesk" else nowhere,
                    FRONTDESK_LIVE_HEARTBEAT=0.5,
                    PARKGRID_ENV="development",
                )
                urls[name] = await apps.enter_async_context(serve(build_frontdesk(settings)))
                if name == "frontdesk":
                    frontdesk_settings = settings
            for url in urls.values():
                await eventually(lambda url=url: _ready(url), f"{url} to be ready (store, Kafka, consumers)", 60)
            stack = Stack(
                frontdesk=urls["frontdesk"],
                degraded=urls["degraded"],
                spaces=urls["spaces"],
                catalogue=urls["catalogue"],
                bookings=urls["bookings"],
                community=urls["community"],
                insights=urls["insights"],
                billing=urls["billing"],
                billing_app=billing_app,
                settings=frontdesk_settings,
                kafka=kafka,
                offerings={},
            )
            await seed_stack(stack)
            yield stack
    finally:
        for service in ("spaces", "catalogue", "community", "bookings", "insights", "billing", "frontdesk", "degraded"):
            await mongo.drop_database(f"test_{run}_{service}")
        await mongo.close()
        with suppress(Exception):  # a broker that outlives the tests would keep its ~50 partitions
            await asyncio.wait_for(delete_topics_with_prefix(infrastructure.kafka_bootstrap_servers, prefix), 30)


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
"""Debian's Chromium (the browser tests drive a real one)."""
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"

AXE = Path(__file__).resolve().parents[3] / "node_modules/axe-core/axe.min.js"
"""axe-core from the npm registry (package.json's devDependencies; `make` runs npm ci)."""
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
"""WCAG 2.0-2.2 A/AA and axe's best practices."""


async def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations of the page, every impact (each with its id, impact and nodes)."""
    assert AXE.exists(), f"{AXE} is missing: run make install (npm ci)"
    await page.add_script_tag(path=str(AXE))
    found: dict[str, Any] = await page.evaluate(
        "async tags => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    violations: list[dict[str, Any]] = found["violations"]
    return violations
