"""`parkgrid rebuild <service> <projection>`, the README's operator command, for every projection of
every installed service, against a stack that has made a few of each kind of fact.

Each projection is rebuilt by the command as an operator runs it (a subprocess with the service's
environment): it exits 0 and the projection then holds the same documents as before, so dropping
and replaying from offset 0 loses nothing and invents nothing. Which projections a service has is
what `parkgrid rebuild <service>` lists; which collections each fills, what the service's
`parkgrid.runtimes` wiring declares (the same the command reads).
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from e2e_fixtures import eventually, site_body
from pymongo import AsyncMongoClient

from parkgrid.auth import Role
from parkgrid.runtime import ServiceRuntime
from parkgrid.testing.infrastructure import Infrastructure
from parkgrid.testing.stack import Stack, installed_services, running_stack

SITE = "site-rebuild-all"
MEMBER = "member-rebuild-a"
PERSON = "person-rebuild-a1"

Snapshot = dict[str, list[dict[str, Any]]]


@pytest.fixture(scope="module")
def stack(infrastructure: Infrastructure) -> Iterator[Stack]:
    with running_stack(infrastructure.kafka_bootstrap_servers, infrastructure.mongodb_uri) as stack:
        yield stack


def parkgrid(stack: Stack, service: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The operator's command, with the environment the service runs with."""
    return subprocess.run(
        [str(Path(sys.executable).with_name("parkgrid")), "rebuild", service, *args],
        env={**stack.environment(service), "PARKGRID_LOG_LEVEL": "WARNING"},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def projections_listed(stack: Stack, service: str) -> list[str]:
    listing = parkgrid(stack, service)
    assert listing.returncode == 0, f"parkgrid rebuild {service}: {listing.returncode} {listing.stderr}{listing.stdout}"
    found = re.search(rf"projections of {service}: (.*)", listing.stdout)
    assert found, listing.stdout
    return [] if found[1].strip() == "(none)" else [name.strip() for name in found[1].split(",")]


def collections_of(stack: Stack, service: str) -> dict[str, list[str]]:
    """Each projection's collections, as the service's wiring declares them to the command."""
    (entry,) = (e for e in entry_points(group="parkgrid.runtimes") if e.name == service)
    built = entry.load()(stack.settings(service))
    runtime: ServiceRuntime = getattr(getattr(built, "state", None), "runtime", built)
    return {name: [c.name for c in spec.collections] for name, spec in runtime.projections.items()}


async def snapshot(stack: Stack, service: str, collections: list[str]) -> Snapshot:
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(stack.mongodb_uri)
    try:
        db = mongo[stack.database(service)]
        return {name: await db[name].find({}).sort("_id", 1).to_list() for name in collections}
    finally:
        await mongo.close()


def _relaying(snap: Snapshot) -> bool:
    """Some document still has events for the relay (the rebuild, another process, writes them:
    the service's relay finds them by its sweep, within `ServiceRuntime.relay_sweep_at_most`)."""
    return any(doc.get("outbox_pending") for docs in snap.values() for doc in docs)


async def settled(stack: Stack, service: str, collections: list[str]) -> Snapshot:
    """The projection once two looks a second apart agree (what is on its topics has arrived) and
    its events are relayed."""
    before = await snapshot(stack, service, collections)
    for _ in range(60):
        await asyncio.sleep(1.0)
        now = await snapshot(stack, service, collections)
        if now == before and not _relaying(now):
            return now
        before = now
    raise AssertionError(f"{service}'s projections {collections} keep changing")


async def make_facts(stack: Stack) -> None:
    """A site with a room and an office, a member at it with a residency and a reservation, a published
    offering, a booking and an event with a registration: facts for every projection."""
    admin = stack.headers(Role.ADMIN)
    owner = stack.headers(Role.MEMBER, member_id=MEMBER, person_id=PERSON)
    url = stack.url
    async with httpx.AsyncClient(timeout=15) as http:
        site = await http.post(f"{url('spaces')}/v1/sites", json=site_body(SITE), headers=admin)
        assert site.status_code == 201, site.text
        for space in (
            {"space_id": "rebuild-room", "name": "Salle Atlas", "kind": "meeting_room", "capacity": 6},
            {"space_id": "rebuild-office", "name": "Bureau 101", "kind": "private_office", "capacity": 4},
        ):
            added = await http.post(f"{url('spaces')}/v1/sites/{SITE}/spaces", json=space, headers=admin)
            assert added.status_code == 201, added.text
        member = {
            "member_id": MEMBER,
            "name": "Startup rebuild",
            "kind": "startup",
            "sector": "software",
            "home_site_id": SITE,
            "stage": "incubation",
            "people": [{"person_id": PERSON, "name": "Founder", "email": "f@example.org", "role": "CEO"}],
        }

        async def registered() -> bool:
            answer = await http.post(f"{url('community')}/v1/members", json=member, headers=admin)
            return answer.status_code == 201

        await eventually(registered, within=60, what="community knows the site")

        async def resident() -> bool:  # spaces learns the member over Kafka
            residency = {
                "member_id": MEMBER,
                "site_id": SITE,
                "space_id": "rebuild-office",
                "starts_on": (date.today() + timedelta(days=30)).isoformat(),
                "ends_on": (date.today() + timedelta(days=200)).isoformat(),
            }
            answer = await http.post(f"{url('spaces')}/v1/residencies", json=residency, headers=admin)
            return answer.status_code == 201

        await eventually(resident, within=60, what="spaces knows the member")
        day = date.today() + timedelta(days=5)
        while day.isoweekday() > 5:  # the site opens on weekdays
            day += timedelta(days=1)
        starts = datetime.combine(day, time(10), tzinfo=ZoneInfo("Africa/Casablanca"))
        reservation = {
            "site_id": SITE,
            "requirement": {"kind": "meeting_room", "seats": 4},
            "time": {"starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=1)).isoformat()},
            "member_id": MEMBER,
        }
        reserved = await http.post(f"{url('spaces')}/v1/reservations", json=reservation, headers=admin)
        assert reserved.status_code == 201, reserved.text
        offering = {
            "site_id": SITE,
            "category": "mentoring",
            "title": {"fr": "Mentorat", "en": "Mentoring"},
            "description": {"fr": "Une heure", "en": "An hour"},
            "provider": {"name": "Salma Idrissi", "kind": "expert"},
            "mode": "in_person",
            "session_minutes": 60,
            "seats_per_session": 3,
            "eligibility": {"member_kinds": ["startup"], "stages": ["incubation"]},
            "price": {"amount_minor": 0, "currency": "MAD"},
            "credits": 1,  # a confirmed booking then takes a credit: the entitlements ledger has a line
            "availability": [{"weekday": d, "opens": "09:00", "closes": "17:00"} for d in range(1, 8)],
        }

        async def offered() -> dict[str, Any] | None:
            answer = await http.post(f"{url('catalogue')}/v1/offerings", json=offering, headers=admin)
            return answer.json() if answer.status_code == 201 else None

        offering_id = (await eventually(offered, within=60, what="the catalogue knows the site"))["id"]
        published = await http.post(f"{url('catalogue')}/v1/offerings/{offering_id}/publish", headers=admin)
        assert published.status_code == 200, published.text

        async def booked() -> bool:
            first = date.today() + timedelta(days=2)
            slots = await http.get(
                f"{url('bookings')}/v1/offerings/{offering_id}/slots",
                params={"from": first.isoformat(), "to": (first + timedelta(days=3)).isoformat()},
                headers=owner,
            )
            items = slots.json().get("items", []) if slots.status_code == 200 else []
            if not items:
                return False
            booking = {"offering_id": offering_id, "member_id": MEMBER, "starts_at": items[0]["starts_at"]}
            answer = await http.post(f"{url('bookings')}/v1/bookings", json=booking, headers=owner)
            return answer.status_code == 201

        await eventually(booked, within=60, what="bookings knows the offering and the member")
        starts = (datetime.now(UTC) + timedelta(days=10)).replace(hour=10, minute=0, second=0, microsecond=0)
        event = {
            "site_id": SITE,
            "kind": "workshop",
            "title": {"fr": "Atelier", "en": "Workshop"},
            "description": {"fr": "Atelier", "en": "Workshop"},
            "time": {"starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=2)).isoformat()},
            "capacity": 20,
            "publish": True,
        }
        made = await http.post(f"{url('community')}/v1/events", json=event, headers=admin)
        assert made.status_code == 201, made.text
        registration = await http.post(
            f"{url('community')}/v1/events/{made.json()['event_id']}/registrations",
            json={"person_id": PERSON},
            headers=owner,
        )
        assert registration.status_code == 201, registration.text


@pytest.fixture(scope="module")
def facts(stack: Stack) -> Stack:
    asyncio.run(make_facts(stack))
    return stack


@pytest.mark.parametrize("service", [s.name for s in installed_services()])
def test_every_projection_of_the_service_is_rebuilt_to_what_it_held(facts: Stack, service: str) -> None:
    stack = facts
    names = projections_listed(stack, service)
    declared = collections_of(stack, service)
    assert sorted(names) == sorted(declared), f"listed {names}, wired {sorted(declared)}"
    for name in names:
        before = asyncio.run(settled(stack, service, declared[name]))
        assert any(before.values()), f"{service}.{name} holds nothing: the rebuild would prove nothing"
        done = parkgrid(stack, service, name)
        assert done.returncode == 0, f"parkgrid rebuild {service} {name}: {done.stderr}{done.stdout}"
        assert f"{service}.{name}:" in done.stdout, done.stdout
        after = asyncio.run(settled(stack, service, declared[name]))
        assert after == before, f"{service}.{name} differs after its rebuild"


def test_a_service_that_is_not_installed_is_refused_with_exit_2(stack: Stack) -> None:
    done = parkgrid(stack, "no-such-service")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "no installed service" in done.stderr
