"""Fixtures of the insights tests: the app over the test's store and topic prefix, an SMTP sink
(aiosmtpd), tokens, contracted events published as the other services would, and waiting."""

from __future__ import annotations

import asyncio
import email
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiosmtpd.controller import Controller
from fastapi import FastAPI

from insights.adapters.mail import SentLog
from insights.adapters.projection import PROJECTED_TOPICS, InsightsStore, topics_of
from insights.adapters.webhooks import WebhookSender, WebhookStore
from insights.bootstrap import build_app
from insights.service_layer.notifications import NOTIFYING_TOPICS
from insights.service_layer.webhooks import Webhooks
from insights.settings import InsightsSettings
from parkgrid.auth import Role, issue_token
from parkgrid.contracts.topics import TOPICS
from parkgrid.envelope import Envelope
from parkgrid.events import IntegrationEvent, registry
from parkgrid.runtime import ServiceRuntime
from parkgrid.settings import KitSettings
from parkgrid.store import Database
from parkgrid.testing import topics
from parkgrid.testing.http import app_client
from parkgrid.testing.plugin import CreateTopics, ServiceSettings
from parkgrid.topics import ensure_topics
from spaces.bootstrap import build_app as build_spaces


class Sink:
    """An aiosmtpd handler keeping what it accepted; it can refuse a recipient a number of times."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refusals: dict[str, int] = {}
        self.refused: list[str] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.refusals.get(address, 0) > 0:
            self.refusals[address] -= 1
            self.refused.append(address)
            return "451 4.3.0 mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def smtp_sink() -> Iterator[tuple[Sink, int]]:
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


@pytest.fixture
def settings(service_settings: ServiceSettings, smtp_sink: tuple[Sink, int]) -> InsightsSettings:
    kit = service_settings("insights")
    return InsightsSettings(
        **{field: getattr(kit, field) for field in type(kit).model_fields},
        smtp_port=smtp_sink[1],
        mailer_interval_seconds=0.2,
        periodic_interval_seconds=3600,
        mail_retry_seconds=0.2,
        kpi_cache_seconds=0,  # every answer from the store as it is now
        # webhooks: a retry schedule of seconds, not days (tests/test_insights_webhooks*.py)
        webhook_interval_seconds=0.2,
        webhook_timeout_seconds=1.0,
        webhook_lease_seconds=2.0,
        webhook_retry_seconds=0.2,
        webhook_retry_max_seconds=1.0,
        webhook_max_attempts=4,
        webhook_disable_after=2,
    )


async def topics_ready(settings: InsightsSettings, within: float = 30.0) -> None:
    """Create the topics and wait until every partition has a leader.

    A consumer that joins while a new topic has no metadata yet leaves it out of its
    assignment until its next metadata refresh (minutes): on a loaded broker, wait first.
    """
    names = [
        t.prefixed(settings.topic_prefix) for t in topics_of(dict.fromkeys((*PROJECTED_TOPICS, *NOTIFYING_TOPICS)))
    ]
    await ensure_topics(settings.kafka_bootstrap_servers, names)
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        deadline = time.monotonic() + within
        while True:
            described = await admin.describe_topics([t.name for t in names])
            if all(
                t["error_code"] == 0 and t["partitions"] and all(p["leader"] >= 0 for p in t["partitions"])
                for t in described
            ):
                return
            assert time.monotonic() < deadline, "the test's topics got no leaders"
            await asyncio.sleep(0.2)
    finally:
        await admin.close()


@pytest.fixture
async def app(settings: InsightsSettings) -> AsyncIterator[FastAPI]:
    await topics_ready(settings)
    application = build_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@asynccontextmanager
async def neighbour(
    application: FastAPI, name: str, database: Database, suffix: str
) -> AsyncIterator[httpx.AsyncClient]:
    """A real neighbouring service (spaces, community) served in-process on the test's broker,
    once it has joined Kafka; the database of its own (the test's name + `suffix`) is dropped after."""
    try:
        async with application.router.lifespan_context(application):
            await asyncio.wait_for(application.state.runtime.kafka_ready.wait(), 30)
            async with app_client(application, f"{name}") as http:
                yield http
    finally:
        await database.client.drop_database(database.name + suffix)


async def answered(request: Awaitable[httpx.Response], status: int = 201) -> dict[str, Any]:
    """The JSON body of a request's answer, once its status is the one expected."""
    response = await request
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
async def spaces(
    settings: InsightsSettings, service_settings: ServiceSettings, create_topics: CreateTopics, database: Database
) -> AsyncIterator[httpx.AsyncClient]:
    """The real spaces service on the same broker and topic prefix, with a database of its own."""
    await create_topics([t for t in TOPICS if t.name.startswith("spaces.") or t.name == "community.member"])
    own: KitSettings = service_settings("spaces").model_copy(update={"database_name": database.name + "_s"})
    async with neighbour(build_spaces(own), "spaces", database, "_s") as http:
        yield http


def bearer(settings: KitSettings, role: Role, **claims: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(settings, role=role, **claims)}"}


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(app, "test", raise_app_exceptions=True, timeout=30) as c:
        yield c


def auth(settings: InsightsSettings, role: Role, sites: list[str] | None = None) -> dict[str, str]:
    extra: dict[str, Any] = {}
    if role == Role.MEMBER:
        extra = {"member_id": "m-1", "person_id": "p-1"}
    elif role == Role.FRONT_DESK:
        extra = {"sites": sites or ["site-rabat"]}
    elif role == Role.SERVICE:
        extra = {"service": "frontdesk"}
    return {"Authorization": f"Bearer {issue_token(settings, role=role, **extra)}"}


def wrap(event: IntegrationEvent, subject: str, sequence: int, source: str) -> Envelope:
    return registry.envelope(event, source=source, subject=subject, sequence=sequence)


async def publish(settings: InsightsSettings, items: Sequence[tuple[str, Envelope]]) -> None:
    """Produce with the kit's publisher onto the test's prefixed topics, as the services would."""
    await topics.publish(settings, items, client_id="insights-tests")


def consumer_named(app: FastAPI, name: str) -> Any:
    runtime: ServiceRuntime = app.state.runtime
    return next(c for c in runtime.consumers if c.name == name)


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + within
    while not await asyncio.wait_for(check(), within):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


def webhooks_worker(
    database: Database, settings: InsightsSettings, store: WebhookStore | None = None, **options: Any
) -> Webhooks:
    """The delivery worker over the test's database, built as bootstrap builds it (`options`: a
    clock, a worker name); `store` when the test counts or shares the endpoint store's calls."""
    return Webhooks(
        store=store or WebhookStore(database),
        facts=InsightsStore(database),
        sender=WebhookSender(settings.webhook_timeout_seconds),
        sent_log=SentLog(database["sent_mail"]),
        settings=settings,
        **options,
    )
