"""Fixtures of the spaces tests (a pytest plugin): the service over the real store and broker, tokens."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from spaces_support import SITE, Clock

from parkgrid.auth import Role, issue_token
from parkgrid.contracts.topics import TOPICS
from parkgrid.settings import KitSettings
from parkgrid.testing.http import app_client
from parkgrid.testing.plugin import CreateTopics, ServiceSettings
from spaces.bootstrap import build_app

SPACES_TOPICS = [t for t in TOPICS if t.name.startswith("spaces.") or t.name == "community.member"]


@pytest.fixture
async def settings(service_settings: ServiceSettings, create_topics: CreateTopics) -> KitSettings:
    await create_topics(SPACES_TOPICS)
    return service_settings("spaces")


@pytest.fixture
def clock() -> Clock:
    """The service's clock, pinned (a test moves it on): dates in tests do not age."""
    return Clock()


@pytest.fixture
async def app(settings: KitSettings, clock: Clock) -> AsyncIterator[FastAPI]:
    application = build_app(settings, clock)
    async with application.router.lifespan_context(application):
        runtime = application.state.runtime
        await asyncio.wait_for(runtime.kafka_ready.wait(), 30)
        await asyncio.wait_for(runtime.store_set_up.wait(), 30)  # its migrations ran: tests write after them
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(app, "spaces") as http:
        yield http


@pytest.fixture
def tokens(settings: KitSettings) -> dict[str, str]:
    return {
        "admin": issue_token(settings, role=Role.ADMIN, subject="admin-1"),
        "desk": issue_token(settings, role=Role.FRONT_DESK, subject="desk-1", sites=[SITE, "site-paris"]),
        "other_desk": issue_token(settings, role=Role.FRONT_DESK, subject="desk-2", sites=["site-elsewhere"]),
        "member": issue_token(settings, role=Role.MEMBER, member_id="org-1", person_id="person-1"),
    }
