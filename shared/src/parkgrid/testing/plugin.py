"""pytest plugin (entry point `parkgrid`): fixtures over real infrastructure.

Every test gets its own topic prefix and its own database, so tests never see each
other's data and can run in any order against one broker and one store.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from parkgrid.settings import KitSettings
from parkgrid.store import Database, Document, connect
from parkgrid.testing import leftovers
from parkgrid.testing.infrastructure import Infrastructure, provide, repo_root
from parkgrid.topics import TopicSpec, delete_topics_with_prefix, ensure_topics

INFRASTRUCTURE_FIXTURES = frozenset({"infrastructure"})


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--unit",
        action="store_true",
        help="run only the tests that need no infrastructure (no broker, no store, no service process)",
    )


def pytest_configure(config: pytest.Config) -> None:
    # Tests run a development checkout, explicitly (unset is production): in-process settings
    # and the processes tests start read it. A test of production sets its own.
    os.environ.setdefault("PARKGRID_ENV", "development")
    config.addinivalue_line(
        "markers", "processes: the test starts a process of its own (e.g. an OIDC provider); not in the --unit tier"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With --unit, deselect every test whose fixtures reach the real broker or store.

    A test needs infrastructure exactly when its fixture closure includes `infrastructure`
    (every Kafka, store and stack fixture depends on it), so nothing has to be marked by hand
    and a new integration test cannot slip into the fast tier. A test that starts a process of
    its own without the broker or store (a real OIDC provider) says so with `pytest.mark.processes`.
    """
    if not config.getoption("--unit"):
        return
    unit: list[pytest.Item] = []
    infra: list[pytest.Item] = []
    for item in items:
        needs = INFRASTRUCTURE_FIXTURES.intersection(getattr(item, "fixturenames", ()))
        (infra if needs or item.get_closest_marker("processes") else unit).append(item)
    if infra:
        config.hook.pytest_deselected(items=infra)
        items[:] = unit


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def apart(work: Callable[[], Coroutine[Any, Any, object]]) -> None:
    """Run `work` to its end on a loop of its own thread: a session fixture may first be set up
    from inside a test's running loop (`request.getfixturevalue`), where `asyncio.run` refuses."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(lambda: asyncio.run(work())).result()


@pytest.fixture(scope="session")
def infrastructure() -> Iterator[Infrastructure]:
    """The broker and the store, with what killed runs left on them removed first (`leftovers`)."""
    with provide() as infra:
        if infra.origin == "testcontainers":  # containers of this run only: they go with it
            yield infra
            return
        folder = Path(os.environ.get("PARKGRID_LOCAL") or repo_root() / ".local") / "test-leftovers"
        ledger = leftovers.open_ledger(folder, infra.kafka_bootstrap_servers, infra.mongodb_uri)
        clean_up(ledger.clear_dead_runs, "what killed runs left")  # their ledgers stay for the next run
        try:
            yield infra
        finally:
            leftovers.close_ledger()
            clean_up(ledger.clear, "what this run's tests left")  # its ledger stays for the next run


def clean_up(work: Callable[[], Coroutine[Any, Any, object]], what: str) -> None:
    """Clean-up that must not fail the run: a failure is a warning in pytest's summary."""
    try:
        apart(work)
    except Exception as exc:
        warnings.warn(f"could not remove {what} on the broker and store: {exc!r}", stacklevel=1)


@pytest.fixture
def kafka_bootstrap(infrastructure: Infrastructure) -> str:
    return infrastructure.kafka_bootstrap_servers


@pytest.fixture
def mongodb_uri(infrastructure: Infrastructure) -> str:
    return infrastructure.mongodb_uri


@pytest.fixture
async def topic_prefix(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """A prefix that makes this test's topics its own; they are deleted after the test.

    Without the clean-up a broker that lives across runs gathers thousands of partitions,
    and its restart then takes minutes.
    """
    prefix = unique("t") + "."
    leftovers.note(leftovers.Prefixes(topics=prefix, databases=""))
    infra: Infrastructure | None = (
        request.getfixturevalue("infrastructure") if "infrastructure" in request.fixturenames else None
    )
    yield prefix
    if infra is not None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(delete_topics_with_prefix(infra.kafka_bootstrap_servers, prefix), timeout=10)


@pytest.fixture
async def mongo_client(mongodb_uri: str) -> AsyncIterator[AsyncMongoClient[Document]]:
    client = connect(mongodb_uri, app_name="parkgrid-tests")
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
async def database(mongo_client: AsyncMongoClient[Document]) -> AsyncIterator[Database]:
    """A fresh database, dropped after the test."""
    name = unique("test_")
    leftovers.note(leftovers.Prefixes(topics="", databases=name))
    try:
        yield mongo_client[name]
    finally:
        await mongo_client.drop_database(name)


CreateTopics = Callable[[Sequence[TopicSpec]], Awaitable[list[str]]]


@pytest.fixture
def create_topics(kafka_bootstrap: str, topic_prefix: str) -> CreateTopics:
    """Create the given topics (and their DLQs) under this test's prefix; returns their full names."""

    async def create(specs: Sequence[TopicSpec]) -> list[str]:
        prefixed = [s.prefixed(topic_prefix) for s in specs]
        await ensure_topics(kafka_bootstrap, prefixed)
        return [s.name for s in prefixed]

    return create


ServiceSettings = Callable[[str], KitSettings]


@pytest.fixture
def service_settings(mongodb_uri: str, kafka_bootstrap: str, topic_prefix: str, database: Database) -> ServiceSettings:
    """Settings of a service under test: this test's store, database and topic prefix.

    The service name (and so every consumer group) is unique to the test: tests sharing a
    group would rebalance each other's consumers.
    """

    def make(service: str) -> KitSettings:
        return KitSettings(
            PARKGRID_SERVICE_NAME=f"{service}-{topic_prefix.strip('.')}",
            MONGODB_URI=mongodb_uri,
            PARKGRID_DATABASE=database.name,
            KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
            PARKGRID_TOPIC_PREFIX=topic_prefix,
            PARKGRID_LOG_JSON=False,
            PARKGRID_LOG_LEVEL="WARNING",
        )

    return make
