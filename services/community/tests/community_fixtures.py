"""Fixtures of the community tests (a pytest plugin): the service over the real store and
broker, tokens, sites published as spaces would, and the real spaces service for the saga."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from community_support import DESK_SITES, SITE, publish_sites, running_service, wait_for

from community.bootstrap import Community
from parkgrid.auth import Role, issue_token
from parkgrid.contracts.topics import TOPICS
from parkgrid.settings import KitSettings
from parkgrid.store import Database
from parkgrid.testing.plugin import CreateTopics, ServiceSettings

USED_TOPICS = [t for t in TOPICS if t.name.startswith(("community.", "spaces."))]


@pytest.fixture
async def settings(service_settings: ServiceSettings, create_topics: CreateTopics) -> KitSettings:
    await create_topics(USED_TOPICS)
    return service_settings("community")


@pytest.fixture
async def service(settings: KitSettings) -> AsyncIterator[tuple[httpx.AsyncClient, Community]]:
    """The running service with the test sites projected (published on spaces.site as spaces would)."""
    async with running_service(settings) as running:
        await publish_sites(settings, [SITE, "site-casablanca"])
        sites = running[1].store.sites
        await wait_for(sites.known_ids, lambda ids: {SITE, "site-casablanca"} <= ids, what="sites projected")
        yield running


@pytest.fixture
def client(service: tuple[httpx.AsyncClient, Community]) -> httpx.AsyncClient:
    return service[0]


@pytest.fixture
def community(service: tuple[httpx.AsyncClient, Community]) -> Community:
    return service[1]


@pytest.fixture
def tokens(settings: KitSettings) -> dict[str, str]:
    return {
        "admin": issue_token(settings, role=Role.ADMIN, subject="admin-1"),
        "desk": issue_token(settings, role=Role.FRONT_DESK, subject="desk-1", sites=DESK_SITES),
        "other_desk": issue_token(settings, role=Role.FRONT_DESK, subject="desk-2", sites=["site-oujda"]),
    }


@pytest.fixture
async def spaces_settings(settings: KitSettings, database: Database) -> AsyncIterator[KitSettings]:
    """Spaces beside community: the same broker and topic prefix, a database of its own."""
    own = settings.model_copy(
        update={
            "service_name": settings.service_name.replace("community", "spaces"),
            "database_name": database.name + "_s",
        }
    )
    yield own
    await database.client.drop_database(database.name + "_s")
