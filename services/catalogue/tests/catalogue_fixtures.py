"""Fixtures of the catalogue's integration tests: the app over the test's own database and
topic prefix, tokens, site events published as spaces would, and a reader of the offering topic."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import httpx
import pytest
from fastapi import FastAPI

from catalogue.adapters.offerings import TOPIC as OFFERINGS_TOPIC
from catalogue.bootstrap import build_app
from parkgrid.auth import Role, issue_token
from parkgrid.contracts.spaces import SiteRegistered, SpaceAdded, SpaceRetired, SpaceUpdated
from parkgrid.contracts.topics import topic
from parkgrid.envelope import Envelope
from parkgrid.events import registry
from parkgrid.kafka import EventPublisher
from parkgrid.known import KnownSites
from parkgrid.settings import KitSettings
from parkgrid.testing.http import app_client
from parkgrid.testing.plugin import ServiceSettings
from parkgrid.testing.topics import publishing
from parkgrid.testing.topics import read_topic as read_prefixed_topic
from parkgrid.topics import TopicSpec, ensure_topics

CASABLANCA = "Africa/Casablanca"
T = TypeVar("T")
TOPICS_USED = [OFFERINGS_TOPIC, topic("spaces.site"), topic("spaces.space")]
SPACE_EVENTS: dict[str, type[SpaceAdded] | type[SpaceUpdated] | type[SpaceRetired]] = {
    "added": SpaceAdded,
    "updated": SpaceUpdated,
    "retired": SpaceRetired,
}


@pytest.fixture
def settings(service_settings: ServiceSettings) -> KitSettings:
    return service_settings("catalogue")


@pytest.fixture
async def app(settings: KitSettings) -> AsyncIterator[FastAPI]:
    application = build_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(app, "test", raise_app_exceptions=True) as c:
        yield c


def auth(settings: KitSettings, role: Role) -> dict[str, str]:
    extra: dict[str, Any] = {}
    if role == Role.MEMBER:
        extra = {"member_id": "m-1", "person_id": "p-1"}
    elif role == Role.FRONT_DESK:
        extra = {"sites": ["site-rabat"]}
    return {"Authorization": f"Bearer {issue_token(settings, role=role, **extra)}"}


def site_event(site_id: str, city: str = "Rabat", sequence: int = 1) -> Envelope:
    event = SiteRegistered(
        site_id=site_id,
        name=f"Technopark {city}",
        city=city,
        country="MA",
        time_zone=CASABLANCA,
        opening_hours=[{"weekday": d, "opens": "08:00", "closes": "19:00"} for d in range(1, 6)],
    )
    return registry.envelope(event, source="spaces", subject=site_id, sequence=sequence)


@asynccontextmanager
async def publishing_as(settings: KitSettings, source: str, topics: list[TopicSpec]) -> AsyncIterator[EventPublisher]:
    """A publisher standing in for the `source` service on this test's `topics` (created first)."""
    await ensure_topics(settings.kafka_bootstrap_servers, [t.prefixed(settings.topic_prefix) for t in topics])
    async with publishing(settings, client_id=f"test-{source}") as publisher:
        yield publisher


async def register_sites(settings: KitSettings, site_ids: list[str]) -> None:
    """Publish SiteRegistered events to the test's spaces.site topic, as spaces would."""
    async with publishing_as(settings, "spaces", TOPICS_USED) as publisher:
        await publisher.publish_many([("spaces.site", site_event(s)) for s in site_ids])


def space_event(
    space_id: str,
    site_id: str,
    kind: str,
    capacity: int,
    features: list[str],
    *,
    what: str = "added",
    sequence: int = 1,
) -> Envelope:
    """A space of a site as spaces publishes it (`what`: added, updated or retired)."""
    event = SPACE_EVENTS[what].model_validate(
        {
            "space_id": space_id,
            "site_id": site_id,
            "name": space_id,
            "kind": kind,
            "capacity": capacity,
            "features": features,
            "status": "retired" if what == "retired" else "active",
        }
    )
    return registry.envelope(event, source="spaces", subject=space_id, sequence=sequence)


async def publish_spaces(settings: KitSettings, envelopes: list[Envelope]) -> None:
    """Publish space events to the test's spaces.space topic, as spaces would."""
    async with publishing_as(settings, "spaces", TOPICS_USED) as publisher:
        await publisher.publish_many([("spaces.space", e) for e in envelopes])


def part(app: FastAPI, kind: type[T]) -> T:
    """The part of the app `bootstrap.build_app` provided as `kind` (what routes get by `component`)."""
    found: T = app.state.components[kind]
    return found


async def wait_for_sites(app: FastAPI, site_ids: list[str], within: float = 30.0) -> None:
    sites = part(app, KnownSites)
    deadline = time.monotonic() + within
    while not set(site_ids) <= await sites.known_ids():
        assert time.monotonic() < deadline, "the sites projection did not catch up"
        await asyncio.sleep(0.1)


async def read_topic(settings: KitSettings, topic: str, count: int, within: float = 20.0) -> list[Envelope]:
    """Read `count` messages from the start of the prefixed topic (then a second more, to catch extras)."""
    return await read_prefixed_topic(settings, topic, count, within=within, grace=1.0)
