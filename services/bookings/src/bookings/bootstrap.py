"""Wires bookings: settings, runtime (store, relay, consumers), the service, the sweeper and the app.

`uvicorn bookings.bootstrap:app` serves it on port 8002 (deploy/local/services.tsv).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI
from pydantic import Field

from bookings.adapters.bookings import Bookings
from bookings.adapters.ledgers import CalendarFeeds, Ledger, Waitlist
from bookings.adapters.projections import Projections
from bookings.adapters.sessions import Seats, SessionSeats
from bookings.entrypoints import api
from bookings.entrypoints.consumers import PUBLISHED, consume_ledger, consume_projections, consume_saga
from bookings.service_layer.handlers import BookingService
from parkgrid.events import registry
from parkgrid.logging import get_logger
from parkgrid.runtime import ServiceRuntime, create_app
from parkgrid.settings import KitSettings

log = get_logger(__name__)


class BookingsSettings(KitSettings):
    service_name: str = Field("bookings", validation_alias="PARKGRID_SERVICE_NAME")
    sweep_seconds: float = Field(
        30.0, gt=0, validation_alias="BOOKINGS_SWEEP_SECONDS", description="How often finished sessions are settled."
    )


@dataclass
class Wiring:
    runtime: ServiceRuntime
    service: BookingService


def build_runtime(settings: KitSettings, *, consumers: bool = True, seats: type[SessionSeats] = SessionSeats) -> Wiring:
    runtime = ServiceRuntime(settings, registry=registry, topics=PUBLISHED)
    db = runtime.db
    service = BookingService(
        bookings=Bookings(db["bookings"]),
        seats=Seats(db, seats),
        waitlist=Waitlist(db["waitlist"]),
        projections=Projections(db),
        ledger=Ledger(db["entitlements"]),
        written=runtime.notify_relay,
    )
    runtime.relay_outbox_of(service.bookings.collection, service.waitlist.collection, service.ledger.collection)

    async def indexes() -> None:
        await service.bookings.ensure_indexes()
        await service.seats.sessions.ensure_indexes()
        await service.waitlist.ensure_indexes()
        await service.ledger.ensure_indexes()
        await service.projections.ensure_indexes()

    runtime.on_store_ready(indexes)
    if consumers:
        consume_projections(runtime, service)
        consume_saga(runtime, service)
        consume_ledger(runtime, service)
    return Wiring(runtime, service)


async def sweep_forever(service: BookingService, every: float) -> None:
    """The periodic sweeper (the store has no TTL): completed / no-show, waitlists left behind."""
    while True:
        await asyncio.sleep(every)
        try:
            await service.sweep()
        except Exception as exc:  # store away: next round
            log.warning("bookings.sweep_failed", error=repr(exc))


def build_app(settings: KitSettings | None = None, *, seats: type[SessionSeats] = SessionSeats) -> FastAPI:
    settings = settings or BookingsSettings()
    wiring = build_runtime(settings, seats=seats)
    application = create_app(
        wiring.runtime,
        title="ParkGrid bookings",
        description="Bookings of offerings: slots, seats, the spaces saga, waitlists, lifecycle, entitlements.",
        routers=[api.router],
    )
    application.state.bookings = wiring.service
    application.state.calendar_feeds = CalendarFeeds(wiring.runtime.db["calendar_feeds"])
    every = settings.sweep_seconds if isinstance(settings, BookingsSettings) else 30.0
    started = application.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with started(app):
            sweeper = asyncio.create_task(sweep_forever(wiring.service, every), name="bookings-sweeper")
            try:
                yield
            finally:
                sweeper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sweeper

    application.router.lifespan_context = lifespan
    return application


app = build_app()
