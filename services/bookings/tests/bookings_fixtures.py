"""Fixtures of the bookings tests (a pytest plugin): the service over the real store and broker,
and tokens of every role."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from bookings_support import MEMBER, OTHER_MEMBER, OTHER_SITE, PERSON, SITE, TOPICS_USED, UnguardedAllowances, now
from fastapi import FastAPI
from pymongo import AsyncMongoClient

from bookings.bootstrap import BookingsSettings, build_app
from bookings.service_layer.service import BookingService
from parkgrid.auth import Role, issue_token
from parkgrid.settings import KitSettings
from parkgrid.store import Database, Document
from parkgrid.testing.http import app_client
from parkgrid.testing.plugin import CreateTopics


@pytest.fixture
async def settings(
    mongodb_uri: str, kafka_bootstrap: str, topic_prefix: str, database: Database, create_topics: CreateTopics
) -> BookingsSettings:
    await create_topics(TOPICS_USED)
    return BookingsSettings(
        PARKGRID_SERVICE_NAME=f"bookings-{topic_prefix.strip('.')}",
        MONGODB_URI=mongodb_uri,
        PARKGRID_DATABASE=database.name,
        KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
        PARKGRID_TOPIC_PREFIX=topic_prefix,
        PARKGRID_LOG_JSON=False,
        PARKGRID_LOG_LEVEL="WARNING",
        BOOKINGS_SWEEP_SECONDS=3600,
    )


@pytest.fixture
async def app(settings: BookingsSettings) -> AsyncIterator[FastAPI]:
    application = build_app(settings)
    async with application.router.lifespan_context(application):
        await asyncio.wait_for(application.state.runtime.kafka_ready.wait(), 30)
        application.state.components[BookingService].clock = now  # the tests' clock (`bookings_support.now`)
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(app, "bookings") as http:
        yield http


@pytest.fixture
def service(app: FastAPI) -> BookingService:
    """The app's service, on the tests' clock (`bookings_support.now`: the machine's unless shifted)."""
    found: BookingService = app.state.components[BookingService]
    return found


@pytest.fixture
def tokens(settings: BookingsSettings) -> dict[str, str]:
    return {
        "admin": issue_token(settings, role=Role.ADMIN, subject="admin-1"),
        "desk": issue_token(settings, role=Role.FRONT_DESK, subject="desk-1", sites=[SITE]),
        "other_desk": issue_token(settings, role=Role.FRONT_DESK, subject="desk-2", sites=[OTHER_SITE]),
        "member": issue_token(settings, role=Role.MEMBER, member_id=MEMBER, person_id=PERSON),
        "other_member": issue_token(settings, role=Role.MEMBER, member_id=OTHER_MEMBER, person_id="person-globex-1"),
    }


@pytest.fixture
async def spaces_settings(
    settings: BookingsSettings, mongo_client: AsyncMongoClient[Document]
) -> AsyncIterator[KitSettings]:
    """Settings of the real spaces service beside bookings in a test: its own database, the same broker."""
    name = f"{settings.database}_spaces"
    yield KitSettings(
        PARKGRID_SERVICE_NAME=f"spaces-{settings.topic_prefix.strip('.')}",
        MONGODB_URI=settings.mongodb_uri,
        PARKGRID_DATABASE=name,
        KAFKA_BOOTSTRAP_SERVERS=settings.kafka_bootstrap_servers,
        PARKGRID_TOPIC_PREFIX=settings.topic_prefix,
        PARKGRID_LOG_JSON=False,
        PARKGRID_LOG_LEVEL="WARNING",
    )
    await mongo_client.drop_database(name)


@pytest.fixture
async def racing(settings: BookingsSettings, request: pytest.FixtureRequest) -> AsyncIterator[BookingService]:
    """The service of an app of its own whose allowances are guarded (`param` True) or not (False: the
    negative control of a race, `UnguardedAllowances`); `service.app` is the app, for HTTP races."""
    application: FastAPI = build_app(settings)
    async with application.router.lifespan_context(application):
        await asyncio.wait_for(application.state.runtime.kafka_ready.wait(), 30)
        service: BookingService = application.state.components[BookingService]
        if not request.param:
            service.ledger.allowances = UnguardedAllowances(service.ledger.allowances.collection)
        service.app = application  # type: ignore[attr-defined]
        yield service
