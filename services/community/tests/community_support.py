"""Helpers of the community tests: bodies, tokens, sites published as spaces would, topic reads."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import httpx
from fastapi import FastAPI

from community.bootstrap import Community, build_app
from parkgrid.auth import Role, issue_token
from parkgrid.contracts.spaces import SiteRegistered
from parkgrid.envelope import Envelope
from parkgrid.events import registry
from parkgrid.settings import KitSettings
from parkgrid.testing import topics
from parkgrid.testing.http import app_client
from parkgrid.testing.topics import read_topic as read_prefixed_topic
from spaces.bootstrap import build_app as build_spaces
from spaces.seed import SITES as SPACES_SITES
from spaces.seed import seed_into

SITE = "site-rabat"
DESK_SITES = [SITE, "site-casablanca"]
# A Tuesday in January 2027: Casablanca is at +01:00, the sites open 08:30-18:30.
STARTS = "2027-01-12T10:00:00+01:00"
ENDS = "2027-01-12T12:00:00+01:00"

T = TypeVar("T")


@asynccontextmanager
async def running_service(settings: KitSettings) -> AsyncIterator[tuple[httpx.AsyncClient, Community]]:
    """The service running over `settings` (its lifespan), with an HTTP client in front."""
    application = build_app(settings)
    async with application.router.lifespan_context(application):
        await asyncio.wait_for(application.state.runtime.kafka_ready.wait(), 30)
        async with app_client(application, "community") as http:
            yield http, application.state.community


@asynccontextmanager
async def running_spaces(settings: KitSettings, sites: Iterable[str] = ()) -> AsyncIterator[FastAPI]:
    """The real spaces service (its seeded demo sites among `sites`), for the venue saga."""
    application = build_spaces(settings)
    async with application.router.lifespan_context(application):
        await asyncio.wait_for(application.state.runtime.kafka_ready.wait(), 30)
        wanted = [s for s in SPACES_SITES if s[0] in set(sites)]
        if wanted:
            await seed_into(part_of(application, "inventory", "Inventory"), wanted)
        yield application


def part_of(spaces: FastAPI, attribute: str, kind: str) -> Any:
    """A part of the spaces app by its class name (`provide`), or its old `app.state` attribute."""
    found = getattr(spaces.state, attribute, None)
    if found is None:
        found = next(c for c in spaces.state.components.values() if type(c).__name__ == kind)
    return found


async def reactions_processed(community: Community, at_least: int, within: float = 60.0) -> None:
    """Wait until the service's reactions consumer has handled `at_least` messages in all."""
    runner = next(r for r in community.runtime.consumers if r.name == "reactions")

    async def count() -> int:
        return runner.processed_count

    await wait_for(count, lambda n: n >= at_least, within, "reactions processed")


def member_token(settings: KitSettings, member_id: str, person_id: str | None = None) -> str:
    return issue_token(settings, role=Role.MEMBER, member_id=member_id, person_id=person_id)


def bearer(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


def text(en: str) -> dict[str, str]:
    return {"fr": en, "en": en}


def member_body(member_id: str, people: int = 2, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "member_id": member_id,
        "name": f"Startup {member_id}",
        "kind": "startup",
        "sector": "agritech",
        "home_site_id": SITE,
        "stage": "incubation",
        "cohort": "2026-A",
        "people": [
            {
                "person_id": f"{member_id}-p{i}",
                "name": f"Person {i} of {member_id}",
                "email": f"p{i}@{member_id}.ma",
                "role": "founder" if i == 0 else "developer",
            }
            for i in range(people)
        ],
    }
    body.update(extra)
    return body


def event_body(event_id: str, capacity: int = 20, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "event_id": event_id,
        "site_id": SITE,
        "kind": "workshop",
        "mode": "in_person",
        "title": text(f"Workshop {event_id}"),
        "description": text("Hands-on session"),
        "time": {"starts_at": STARTS, "ends_at": ENDS},
        "capacity": capacity,
    }
    body.update(extra)
    return body


async def created(response: Awaitable[httpx.Response], status: int = 201) -> dict[str, Any]:
    answer = await response
    assert answer.status_code == status, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def publish_sites(settings: KitSettings, site_ids: Iterable[str]) -> None:
    items = []
    for site_id in site_ids:
        site = SiteRegistered(
            site_id=site_id,
            name=f"Technopark {site_id}",
            city="Rabat",
            country="MA",
            time_zone="Africa/Casablanca",
            opening_hours=[{"weekday": d, "opens": "08:30", "closes": "18:30"} for d in range(1, 6)],
        )
        items.append(("spaces.site", registry.envelope(site, source="spaces", subject=site_id, sequence=1)))
    await publish(settings, items)


async def publish(settings: KitSettings, items: Iterable[tuple[str, Envelope]]) -> None:
    await topics.publish(settings, items, client_id="community-tests")


async def wait_for(
    read: Callable[[], Awaitable[T]], ok: Callable[[T], bool], within: float = 60.0, what: str = "condition"
) -> T:
    deadline = time.monotonic() + within
    while True:
        value = await read()
        if ok(value):
            return value
        assert time.monotonic() < deadline, f"{what} not reached: {value!r}"
        await asyncio.sleep(0.1)


async def read_topic(
    settings: KitSettings, topic: str, *, until: int = 0, within: float = 40.0, types: set[str] | None = None
) -> list[Envelope]:
    """The kit's reader, with half a second more after `until` to see extras (duplicates)."""
    return await read_prefixed_topic(settings, topic, until, within=within, types=types, grace=0.5)
