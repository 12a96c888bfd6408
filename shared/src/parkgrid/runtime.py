"""What a service process runs besides its routes, and the FastAPI app around it.

`ServiceRuntime` owns the store client, the producer, the outbox relay and the
consumers. It starts even when Kafka or the store is down: it keeps trying in the
background, logs why it is not ready, and `/readyz` turns green by itself once both
answer. `create_app` puts every HTTP convention of DESIGN.md around a service's routes.
Tracing is set up here from the `OTEL_*` variables (`parkgrid.telemetry`), before the store
client exists, so every service is traced the same way without wiring of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from fastapi import APIRouter, FastAPI
from pymongo import AsyncMongoClient
from starlette.types import Scope

from parkgrid.auth import TokenVerifier
from parkgrid.consumer import ConsumerRunner, Delivery, Handler
from parkgrid.events import EventRegistry
from parkgrid.http import health
from parkgrid.http.idempotency import IdempotencyMiddleware, IdempotencyRecords
from parkgrid.http.middleware import BodyLimitMiddleware, CorrelationMiddleware, MetricsMiddleware, header
from parkgrid.http.problems import install_problem_handlers
from parkgrid.kafka import EventPublisher, make_producer
from parkgrid.logging import configure_logging, get_logger
from parkgrid.outbox import OutboxRelay, default_owner
from parkgrid.rebuild import ProjectionSpec
from parkgrid.settings import KitSettings
from parkgrid.store import Collection, Database, Document, connect, ping
from parkgrid.telemetry import configure_tracing, instrument_app
from parkgrid.topics import TopicSpec, ensure_topics

log = get_logger(__name__)

CHECK_TIMEOUT = 2.0


@dataclass(frozen=True)
class Subscription:
    """One consumer of a service: what it reads, what handles it, and what it fills.

    A service declares its consumers as a list of these in `bootstrap.py`; `ServiceRuntime.
    subscribe` runs them. `projections` makes the consumer a rebuildable projection
    (`parkgrid rebuild <service> <name>`); see `ServiceRuntime.consume` for the rest.
    """

    name: str
    topics: Sequence[TopicSpec]
    handler: Handler
    projections: Sequence[Collection] = ()
    concurrency: int = 1
    newest_per_key: bool = False
    group: str | None = None
    from_end: bool = False
    """A group-less reader from the end of its topics, in every process (see ConsumerRunner)."""
    apply_batch: Callable[[Sequence[Delivery]], Awaitable[None]] | None = None
    """For a projection: how `parkgrid rebuild` applies a fetched batch at once (see ProjectionSpec)."""
    after_drop: Callable[[], Awaitable[None]] | None = None
    """For a projection: what `parkgrid rebuild` runs right after dropping it (e.g. create its indexes)."""


class ServiceRuntime:
    """The long-lived parts of one service process."""

    def __init__(
        self,
        settings: KitSettings,
        *,
        registry: EventRegistry,
        topics: Sequence[TopicSpec] = (),
        relay_lease: timedelta = timedelta(seconds=30),
    ) -> None:
        self.settings = settings
        self.registry = registry
        self.topics = list(topics)
        configure_tracing(settings.service_name)  # before the store client: PyMongo's spans need it
        self.mongo: AsyncMongoClient[Document] = connect(settings.mongodb_uri, app_name=settings.service_name)
        self.db: Database = self.mongo[settings.database]
        # Health checks use a client of their own, bounded by its own timeouts: cancelling an
        # operation of the working client (asyncio.wait_for) left its pool lock broken
        # ("Lock is not acquired") and every later store call hanging.
        probe_ms = int(CHECK_TIMEOUT * 1000)
        self._probe: AsyncMongoClient[Document] = connect(
            settings.mongodb_uri,
            app_name=f"{settings.service_name}-probe",
            timeout_ms=probe_ms,
            socket_timeout_ms=probe_ms,
            counted=False,
        )
        self.idempotency = IdempotencyRecords(
            self.db["idempotency_keys"], stale_after=timedelta(seconds=settings.idempotency_takeover_seconds)
        )
        self.kept_answers: dict[str, Callable[[str, str], Awaitable[Document | None]]] = {}
        """By path: where a route that keeps its answer in the aggregate it creates (`answer_kept`)
        finds it again, from the caller and the Idempotency-Key."""
        self.publisher: EventPublisher | None = None
        self.relay_collections: list[Collection] = []
        self.relay_lease = relay_lease
        self.relay: OutboxRelay | None = None
        # PARKGRID_RELAY=off: the relay runs elsewhere (`parkgrid relay <service>`, `serve_relay`).
        self.runs_relay = settings.relay == "on"
        # In a service, `notify_relay` names each write to its relay, so sweeping is only for
        # what other processes left; a relay of its own process hears of nothing and sweeps often.
        self.relay_sweep_interval = 1.0
        self.relay_sweep_at_most = 5.0
        """While its sweeps find only what this process wrote, the relay sweeps less often, up to
        this (`OutboxRelay.sweep_at_most`): what another process or a crash leaves is published
        within it (an insert lease of a dead process expires within `INSERT_LEASE` first)."""
        self.consumers: list[ConsumerRunner] = []
        self.projections: dict[str, ProjectionSpec] = {}
        self.kafka_ready = asyncio.Event()
        self.store_set_up = asyncio.Event()
        """Set once every `on_store_ready` step has run (at once when there is none): what a test
        that writes beside those steps (a migration, an index) waits for, not to race them."""
        self._store_setup: list[Callable[[], Awaitable[None]]] = []
        self._periodic: list[tuple[str, timedelta, Callable[[], Awaitable[object]]]] = []
        self._producer: AIOKafkaProducer | None = None
        self._tasks: list[asyncio.Task[None]] = []

    def topic(self, name: str) -> str:
        return self.settings.topic_prefix + name

    def relay_outbox_of(self, *collections: Collection) -> None:
        """Publish the outbox entries of these aggregate collections."""
        self.relay_collections.extend(collections)

    def consume(
        self,
        *,
        name: str,
        topics: Sequence[TopicSpec],
        handler: Handler,
        group: str | None = None,
        projections: Sequence[Collection] = (),
        concurrency: int = 1,
        newest_per_key: bool = False,
        from_end: bool = False,
    ) -> ConsumerRunner:
        """Run `handler` over these topics (created if missing) in the group `<prefix><service>.<name>`.

        `projections` names the collections the handler fills: they make the consumer a
        projection that `parkgrid rebuild <service> <name>` can drop and replay.
        `concurrency` > 1 handles that many keys of a batch at once, and `newest_per_key` only
        the newest event of each key in a batch, for full-state projections (see `ConsumerRunner`).
        """
        runner = ConsumerRunner(
            name=name,
            bootstrap_servers=self.settings.kafka_bootstrap_servers,
            settings=self.settings,
            # The topic prefix isolates test runs sharing one broker; their groups must be
            # theirs too, or runs rebalance each other's consumers without end.
            group_id=self.settings.topic_prefix + (group or f"{self.settings.service_name}.{name}"),
            topics=[self.topic(t.name) for t in topics],
            handler=handler,
            registry=self.registry,
            concurrency=concurrency,
            newest_per_key=newest_per_key,
            from_end=from_end,
        )
        self.topics.extend(t for t in topics if t not in self.topics)
        self.consumers.append(runner)
        if projections:
            self.projections[name] = ProjectionSpec(name, runner.topics, handler, list(projections))
        return runner

    def subscribe(self, *subscriptions: Subscription) -> list[ConsumerRunner]:
        """Run each subscription's handler in a consumer of its own (see `consume`)."""
        runners = []
        for s in subscriptions:
            runner = self.consume(
                name=s.name,
                topics=s.topics,
                handler=s.handler,
                group=s.group,
                projections=s.projections,
                concurrency=s.concurrency,
                newest_per_key=s.newest_per_key,
                from_end=s.from_end,
            )
            if s.projections and (s.apply_batch or s.after_drop):
                spec = self.projections[s.name]
                self.projections[s.name] = dataclasses.replace(spec, apply_batch=s.apply_batch, after_drop=s.after_drop)
            runners.append(runner)
        return runners

    def every(self, name: str, interval: timedelta, job: Callable[[], Awaitable[object]]) -> None:
        """Run `job` every `interval` while the service runs, the first time one interval after start.

        For the sweepers a store without TTL indexes needs (no-shows, holds, reminders). A
        failing run is logged and the next one comes on time; every replica runs its own
        copy, so jobs must be idempotent (conditional updates), as all writes here are.
        """
        self._periodic.append((name, interval, job))

    async def _run_every(self, name: str, interval: timedelta, job: Callable[[], Awaitable[object]]) -> None:
        while True:
            await asyncio.sleep(interval.total_seconds())
            try:
                await job()
            except Exception as exc:
                log.warning("periodic.failed", job=name, error=repr(exc))

    def on_store_ready(self, setup: Callable[[], Awaitable[None]]) -> None:
        """Run `setup` (e.g. creating indexes) once the store answers, retrying until it succeeds.

        A service must start while its store is down, so this never blocks startup.
        """
        self._store_setup.append(setup)

    async def _set_up_store(self) -> None:
        for setup in self._store_setup:
            attempt = 0
            while True:
                try:
                    await setup()
                    break
                except Exception as exc:
                    attempt += 1
                    delay = min(10.0, 0.5 * 2 ** min(attempt, 5))
                    log.warning("store.setup_failed", step=getattr(setup, "__qualname__", "setup"), error=repr(exc))
                    await asyncio.sleep(delay)
        self.store_set_up.set()

    async def start(self) -> None:
        if self._store_setup:
            self._spawn(self._set_up_store(), "store-setup")
        else:
            self.store_set_up.set()
        self._spawn(self._connect_kafka(), "kafka-connect")
        self._spawn(self._watch_store(), "store-watch")
        for runner in self.consumers:
            self._spawn(self._consume_when_topics_exist(runner), f"consumer-{runner.name}")
        for name, interval, job in self._periodic:
            self._spawn(self._run_every(name, interval, job), f"every-{name}")

    async def _consume_when_topics_exist(self, runner: ConsumerRunner) -> None:
        # Subscribing before the topics exist would leave the consumer without partitions
        # until its next metadata refresh.
        await self.kafka_ready.wait()
        await runner.run()

    async def stop(self) -> None:
        for runner in self.consumers:
            await runner.stop()
        if self.relay is not None:
            await self.relay.stop()
        # These end only when cancelled (the store watcher always, the Kafka connector while it retries):
        # waiting for them made every stop take the full 15 s.
        endless = (
            {"store-watch", "store-setup"}
            if self.kafka_ready.is_set()
            else {"store-watch", "store-setup", "kafka-connect"}
        )
        for task in self._tasks:
            if task.get_name() in endless or task.get_name().startswith("every-"):
                task.cancel()
        _, pending = await asyncio.wait(self._tasks, timeout=15) if self._tasks else (set(), set())
        for task in pending:
            task.cancel()
        if self._producer is not None:
            await self._producer.stop()
        await self.mongo.close()
        await self._probe.close()

    def _spawn(self, coroutine: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        task = asyncio.create_task(coroutine, name=name)
        self._tasks.append(task)
        return task

    async def _connect_kafka(self) -> None:
        attempt = 0
        while True:
            producer = make_producer(
                self.settings.kafka_bootstrap_servers, client_id=self.settings.service_name, settings=self.settings
            )
            try:
                await producer.start()
                if self.topics:
                    await ensure_topics(
                        self.settings.kafka_bootstrap_servers,
                        [t.prefixed(self.settings.topic_prefix) for t in self.topics],
                        replication_factor=self.settings.kafka_replication_factor,
                    )
                break
            except (KafkaError, OSError) as exc:
                attempt += 1
                delay = min(10.0, 0.5 * 2 ** min(attempt, 5))
                log.warning(
                    "kafka.unavailable",
                    service=self.settings.service_name,
                    bootstrap=self.settings.kafka_bootstrap_servers,
                    error=repr(exc),
                    retry_in=delay,
                )
                await producer.stop()
                await asyncio.sleep(delay)
            except asyncio.CancelledError:  # stop() while connecting: close what was opened
                await producer.stop()
                raise
        self._producer = producer
        self.publisher = EventPublisher(producer, self.settings.topic_prefix)
        self.kafka_ready.set()
        log.info("kafka.connected", service=self.settings.service_name)
        if self.relay_collections and self.runs_relay:
            self.relay = OutboxRelay(
                self.relay_collections,
                self.publisher,
                owner=default_owner(self.settings.service_name),
                lease=self.relay_lease,
                sweep_interval=self.relay_sweep_interval,
                sweep_at_most=self.relay_sweep_at_most,
            )
            await self.relay.run()

    async def serve_relay(self, stop: asyncio.Event) -> None:
        """Run only this service's outbox relay (no API, consumers or jobs) until `stop` is set.

        What `parkgrid relay <service>` runs: the relay deployed as a process of its own,
        beside instances started with PARKGRID_RELAY=off, so it can be scaled, restarted and
        killed apart from them (the chaos tests kill it at random). Leases keep several
        relays, in-process or not, from working on one aggregate at once.
        """
        if not self.relay_collections:
            raise ValueError(f"{self.settings.service_name} has no outbox to relay")
        self.runs_relay = True
        self.relay_sweep_interval = self.relay_sweep_at_most = (
            0.25  # no writer of its own: every write is found by a sweep
        )
        self._spawn(self._connect_kafka(), "kafka-connect")
        try:
            await stop.wait()
        finally:
            await self.stop()

    async def _watch_store(self) -> None:
        """Log once when the store is unreachable and once when it comes back."""
        reachable: bool | None = None
        while True:
            try:
                await ping(self._probe)
                now = True
            except Exception as exc:
                now = False
                if reachable is not False:
                    log.warning("store.unavailable", uri=self.settings.mongodb_uri, error=repr(exc))
            if now and reachable is not True:
                log.info("store.connected", database=self.settings.database)
            reachable = now
            await asyncio.sleep(5 if now else 1)

    def notify_relay(self) -> None:
        if self.relay is not None:
            self.relay.notify()

    async def readiness(self) -> dict[str, str]:
        checks: dict[str, str] = {}
        try:
            await ping(self._probe)
            checks["store"] = "ok"
        except Exception as exc:
            checks["store"] = f"unreachable: {type(exc).__name__}"
        if self._producer is None:
            checks["kafka"] = "unreachable: not connected yet"
        else:
            try:
                await asyncio.wait_for(self._producer.client.fetch_all_metadata(), CHECK_TIMEOUT)
                checks["kafka"] = "ok"
            except Exception as exc:
                checks["kafka"] = f"unreachable: {type(exc).__name__}"
        for runner in self.consumers:
            checks[f"consumer:{runner.name}"] = "ok" if runner.connected else "not connected"
        return checks


def create_app(
    runtime: ServiceRuntime,
    *,
    title: str,
    routers: Sequence[APIRouter] = (),
    version: str = "1.0.0",
    description: str = "",
) -> FastAPI:
    """A FastAPI app with ParkGrid's HTTP conventions around the given routers."""
    settings = runtime.settings
    configure_logging(settings.log_level, settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        keys = app.state.token_verifier.keys
        if keys is not None:  # an issuer's keys before the first request (held ones serve if it is down)
            with contextlib.suppress(Exception):
                await keys.refresh()
        # Python's full collections walk every object the process holds, the hundreds of
        # thousands made at start (modules, pydantic's and FastAPI's schemas, routes) included:
        # 55-123 ms in bookings under load, every request waiting meanwhile (bench/README.md,
        # 2026-12-07). What exists once the app has started lives as long as the process, so it
        # is set aside from collection (`gc.freeze`): walked never, freed never. Once per process
        # (a test run starts many apps in one).
        if gc.get_freeze_count() == 0:
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(title=title, version=version, description=description, lifespan=lifespan)
    app.state.runtime = runtime
    app.state.token_verifier = TokenVerifier(settings)
    install_problem_handlers(app)
    app.include_router(health.router)
    for router in routers:
        app.include_router(router)

    verifier: TokenVerifier = app.state.token_verifier

    async def caller(scope: Scope) -> str:
        # async so that a token signed with an issuer's new key is verified (its key fetched)
        # before the record is named: a retry must land on the same record as the first try.
        authorization = header(scope, "authorization") or ""
        _, _, token = authorization.partition(" ")
        try:
            return (await verifier.verify_async(token.strip())).subject
        except Exception:
            return "anonymous"

    async def kept(path: str, caller: str, key: str) -> Document | None:
        find = runtime.kept_answers.get(path)
        return None if find is None else await find(caller, key)

    app.add_middleware(IdempotencyMiddleware, records=lambda: runtime.idempotency, caller=caller, kept=kept)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(MetricsMiddleware, service=settings.service_name)
    app.add_middleware(CorrelationMiddleware)
    instrument_app(app)
    return app
