"""Helpers of the bookings tests: the other contexts' facts (offerings, members, sites) as their
events say them, publishing and reading topics, times in the site's zone."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI

from bookings.adapters.sessions import MemberAllowances
from bookings.bootstrap import BookingsSettings
from bookings.domain.booking import Actor, Booking
from bookings.domain.entitlements import Allowance
from bookings.entrypoints.consumers import PUBLISHED, topic
from bookings.service_layer.service import BookingService
from parkgrid.contracts.bookings import BookingStatus
from parkgrid.contracts.catalogue import OfferingPublished
from parkgrid.contracts.common import MemberKind, ProgrammeStage, SpaceKind, SpaceRequirement, TimeRange, WeeklyWindow
from parkgrid.contracts.community import MemberRegistered, MemberStatus, Programme, SealedPerson
from parkgrid.contracts.spaces import Requester, SiteRegistered
from parkgrid.envelope import Envelope
from parkgrid.events import IntegrationEvent, registry
from parkgrid.store import Document
from parkgrid.testing import topics
from parkgrid.testing.http import app_client
from spaces.domain.sites import Site, Space
from spaces.service_layer.handlers import Inventory, ReservationRequest

SITE = "site-test"
OTHER_SITE = "site-other"
CASABLANCA = ZoneInfo("Africa/Casablanca")
MEMBER = "member-acme"
PERSON = "person-acme-1"
OTHER_MEMBER = "member-globex"
TOPICS_USED = [*PUBLISHED, *(topic(n) for n in ("catalogue.offering", "community.member", "spaces.site"))]
TOPICS_USED.append(topic("spaces.reservation"))


def bearer(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


# --- the other contexts' facts --------------------------------------------------------


def offering(offering_id: str = "off-test-mentoring", **changes: Any) -> OfferingPublished:
    """A published offering of the test site: every day 09:00-17:00, sessions of an hour."""
    data: dict[str, Any] = {
        "offering_id": offering_id,
        "site_id": SITE,
        "category": "mentoring",
        "title": {"fr": "Mentorat", "en": "Mentoring"},
        "description": {"fr": "Une heure avec un mentor", "en": "An hour with a mentor"},
        "provider": {"name": "Mentor", "kind": "expert"},
        "mode": "in_person",
        "session_minutes": 60,
        "seats_per_session": 1,
        "eligibility": {"member_kinds": [], "stages": []},
        "credits": None,
        "rules": {"min_notice_minutes": 60, "max_advance_days": 120, "cancellation_window_minutes": 24 * 60},
        "time_zone": "Africa/Casablanca",
        "availability": [{"weekday": d, "opens": "09:00", "closes": "17:00"} for d in range(1, 8)],
        "closures": [],
        "space_requirement": None,
        "status": "published",
        "price": None,
    }
    data.update(changes)
    return OfferingPublished.model_validate(data)


def member(member_id: str = MEMBER, *, kind: str = "startup", stage: str = "incubation", **changes: Any) -> Any:
    given = changes.pop("people", None)
    people = (
        [SealedPerson.model_validate(p.model_dump()) for p in given]
        if given
        else [
            SealedPerson(
                person_id=f"person-{member_id.removeprefix('member-')}-1",
                name="Salma",
                email="salma@example.ma",
                role="CEO",
            )
        ]
    )
    return MemberRegistered(
        member_id=member_id,
        name=changes.pop("name", f"Startup {member_id}"),
        kind=MemberKind(kind),
        sector="agritech",
        home_site_id=changes.pop("home_site_id", SITE),
        status=changes.pop("status", MemberStatus.ACTIVE),
        programme=Programme(stage=ProgrammeStage(stage), started_on=date(2026, 1, 5)),
        people=people,
    )


def site(site_id: str = SITE, zone: str = "Africa/Casablanca") -> SiteRegistered:
    return SiteRegistered(
        site_id=site_id,
        name=f"Technopark {site_id}",
        city="Casablanca",
        country="MA",
        time_zone=zone,
        opening_hours=[{"weekday": d, "opens": "08:00", "closes": "20:00"} for d in range(1, 8)],
    )


def a_booking(starts_at: datetime, requested_at: datetime, **changes: Any) -> Booking:
    """A pending booking of an hour's mentoring at the test site, for rules that need no store."""
    fields: dict[str, Any] = {
        "booking_id": "b-1",
        "offering_id": "o-1",
        "offering_title": {"fr": "Mentorat", "en": "Mentoring"},
        "category": "mentoring",
        "site_id": SITE,
        "time_zone": "Africa/Casablanca",
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=1),
        "member_id": "m-1",
        "person_id": "p-1",
        "party_size": 1,
        "booked_by": Actor("member", "p-1"),
        "status": BookingStatus.PENDING,
        "requested_at": requested_at,
    }
    fields.update(changes)
    return Booking(**fields)


def envelope(event: IntegrationEvent, subject: str, sequence: int = 1, source: str = "tests") -> Envelope:
    return registry.envelope(event, source=source, subject=subject, sequence=sequence)


async def book_each(
    client: httpx.AsyncClient, headers: dict[str, str], starts_at: datetime, *member_ids: str
) -> list[str]:
    """One place of the test mentoring session at `starts_at` for each member, asked with `headers`
    (each must be 201); the new bookings' ids, in order."""
    ids = []
    for who in member_ids:
        made = await client.post(
            "/v1/bookings",
            json={"offering_id": "off-test-mentoring", "member_id": who, "starts_at": starts_at.isoformat()},
            headers=headers,
        )
        assert made.status_code == 201, made.text
        ids.append(made.json()["id"])
    return ids


async def wait_in_line(client: httpx.AsyncClient, headers: dict[str, str], starts_at: datetime, member_id: str) -> Any:
    """`member_id` asks for the (full) test mentoring session at `starts_at`, willing to wait
    (`join_waitlist`): 201 and waitlisted; the place as answered (`entry_id`, `booking_id`, `position`)."""
    made = await client.post(
        "/v1/bookings",
        json={
            "offering_id": "off-test-mentoring",
            "member_id": member_id,
            "starts_at": starts_at.isoformat(),
            "join_waitlist": True,
        },
        headers=headers,
    )
    assert made.status_code == 201, made.text
    assert made.json()["status"] == "waitlisted", made.text
    return made.json()


async def project(service: BookingService, *events: IntegrationEvent) -> None:
    """Apply other contexts' events to the projections directly (the consumers are tested apart)."""
    for event in events:
        if isinstance(event, OfferingPublished):
            await service.projections.offerings.apply(envelope(event, event.offering_id), event)
        elif isinstance(event, MemberRegistered):
            await service.projections.members.apply(envelope(event, event.member_id), event)
        elif isinstance(event, SiteRegistered):
            await service.projections.sites.apply(envelope(event, event.site_id), event)


async def offered(client: httpx.AsyncClient, token: str, offering_id: str, day: date) -> list[str]:
    """The local start times (`HH:MM`) of the offering's slots on `day`, as the API lists them."""
    got = await client.get(
        f"/v1/offerings/{offering_id}/slots",
        params={"from": day.isoformat(), "to": day.isoformat()},
        headers=bearer(token),
    )
    assert got.status_code == 200, got.text
    return [s["starts_at"][11:16] for s in got.json()["items"]]


async def until_offered(client: httpx.AsyncClient, token: str, offering_id: str, day: date, hours: list[str]) -> None:
    """Wait until the offering's slots on `day` are `hours` (spaces' facts arrive over Kafka)."""

    async def shown() -> bool:
        return await offered(client, token, offering_id, day) == hours

    await eventually(shown, within=30)


async def open_site(
    spaces: FastAPI, rooms: int, buffers: dict[str, Any] | None = None, hours: tuple[str, str] = ("08:00", "20:00")
) -> None:
    """The test site in the real spaces (open `hours` every day, `buffers` by kind) with `rooms`
    meeting rooms of 6 seats, `room-0`…, written through its inventory (so published)."""
    inventory = spaces.state.components[Inventory]
    await inventory.register_site(
        Site(
            site_id=SITE,
            name="Technopark Test",
            city="Casablanca",
            country="MA",
            time_zone="Africa/Casablanca",
            opening_hours=tuple(WeeklyWindow(weekday=d, opens=hours[0], closes=hours[1]) for d in range(1, 8)),
            buffers=buffers or {},
        )
    )
    for n in range(rooms):
        await inventory.add_space(
            Space(space_id=f"room-{n}", site_id=SITE, name=f"Salle {n}", kind=SpaceKind.MEETING_ROOM, capacity=6)
        )


MEETING_ROOM = {"kind": "meeting_room", "seats": 4, "features": []}
"""What the tests' room offerings require: a meeting room of 4 (`open_site`'s rooms seat 6)."""


def staff_reservation(request_id: str, starts_at: datetime, ends_at: datetime) -> ReservationRequest:
    """A front desk's reservation of a meeting room at the test site, straight to the real spaces'
    `Reservations` (a room taken outside bookings, or a walk-in given a freed one)."""
    return ReservationRequest(
        request_id=request_id,
        requested_by=Requester.STAFF,
        reference_id=request_id,
        site_id=SITE,
        requirement=SpaceRequirement.model_validate(MEETING_ROOM),
        time=TimeRange(starts_at=starts_at, ends_at=ends_at),
    )


@contextlib.asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[FastAPI]:
    """A service's app with its lifespan (consumers, relay) running, once Kafka is ready."""
    async with app.router.lifespan_context(app):
        await asyncio.wait_for(app.state.runtime.kafka_ready.wait(), 30)
        yield app


@contextlib.asynccontextmanager
async def http_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of a service's app started by `running` (not the `client` fixture's app)."""
    async with app_client(app, "bookings") as client:
        yield client


async def book_room(client: httpx.AsyncClient, headers: dict[str, str], offering_id: str, starts_at: datetime) -> Any:
    """The member's booking of `offering_id` (a room offering) at `starts_at`, waiting up to 25 s for
    spaces' answer (`Prefer: wait`): 201 once the saga settled it; the booking as answered."""
    body = {"offering_id": offering_id, "member_id": MEMBER, "starts_at": starts_at.isoformat()}
    made = await client.post("/v1/bookings", json=body, headers={**headers, "Prefer": "wait=25"})
    assert made.status_code == 201, made.text
    return made.json()


async def publish(settings: BookingsSettings, items: Iterable[tuple[str, Envelope]]) -> None:
    await topics.publish(settings, items, client_id="bookings-tests")


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CASABLANCA)


def _shift() -> timedelta:
    """How far the tests' clock is from the machine's: none, or with `BOOKINGS_TESTS_AT=HH:MM`
    (local time at the test site) as if the suite had started at that time today, to show that
    no test depends on the hour it runs at (`BOOKINGS_TESTS_AT=23:30 pytest services/bookings`)."""
    at = os.environ.get("BOOKINGS_TESTS_AT")
    if not at:
        return timedelta(0)
    real = datetime.now(CASABLANCA)
    hour, minute = (int(part) for part in at.split(":"))
    return real.replace(hour=hour, minute=minute, second=0, microsecond=0) - real


SHIFT = _shift()


def now() -> datetime:
    """The tests' now (UTC): the machine's, shifted by `BOOKINGS_TESTS_AT`; the service's clock in every test."""
    return datetime.now(UTC) + SHIFT


def in_days(days: int, hour: int = 10) -> datetime:
    """A session start `days` ahead at `hour` local time."""
    return local(now().astimezone(CASABLANCA).date() + timedelta(days=days), hour)


def same_quarter_days(ahead: int, span: int) -> date:
    """The first local day at least `ahead` days from now whose next `span` days are in its quarter
    (a test whose bookings must share one credits period)."""
    day = now().astimezone(CASABLANCA).date() + timedelta(days=ahead)
    while (day.month - 1) // 3 != ((day + timedelta(days=span)).month - 1) // 3:
        day += timedelta(days=1)
    return day


async def eventually(check: Any, within: float = 20.0, every: float = 0.1) -> Any:
    deadline = time.monotonic() + within
    while True:
        result = await check()
        if result:
            return result
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(every)


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


class UnguardedAllowances(MemberAllowances):
    """The allowances with their guard removed: `$inc` whatever is used (what must never ship)."""

    def allowance_filter(self, allowance: Allowance, booking_id: str, replaces: str | None) -> Document:
        return {"_id": allowance.allowance_id, f"held.{booking_id}": {"$exists": False}}
