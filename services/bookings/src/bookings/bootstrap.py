"""Wires bookings: settings, runtime (store, relay, consumers), the service, the sweeper and the app.

`uvicorn bookings.bootstrap:app` serves it on port 8002 (deploy/local/services.tsv).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from fastapi import FastAPI
from pydantic import Field

from bookings.adapters.bookings import Bookings
from bookings.adapters.ledgers import CalendarFeeds, Ledger, Waitlist
from bookings.adapters.projections import Projections
from bookings.adapters.sessions import Seats, SessionSeats
from bookings.entrypoints import api
from bookings.entrypoints.consumers import PUBLISHED, consume_ledger, consume_projections, consume_saga
from bookings.service_layer.changes import BookingChanges
from bookings.service_layer.handlers import BookingService
from parkgrid.events import registry
from parkgrid.http.ratelimit import TokenBuckets, rate_limit
from parkgrid.logging import get_logger
from parkgrid.runtime import ServiceRuntime, create_app
from parkgrid.settings import KitSettings

log = get_logger(__name__)


class BookingsSettings(KitSettings):
    service_name: str = Field("bookings", validation_alias="PARKGRID_SERVICE_NAME")
    sweep_seconds: float = Field(
        30.0, gt=0, validation_alias="BOOKINGS_SWEEP_SECONDS", description="How often finished sessions are settled."
    )
    self_booking_per_minute: float = Field(
        60.0,
        gt=0,
        validation_alias="BOOKINGS_SELF_BOOKING_PER_MINUTE",
        description="A member's sustained rate of booking commands (staff are not limited).",
    )
    self_booking_burst: int = Field(
        30, ge=1, validation_alias="BOOKINGS_SELF_BOOKING_BURST", description="How many a member may send at once."
    )


@dataclass
class Wiring:
    runtime: ServiceRuntime
    service: BookingService
    changes: BookingChanges


def build_runtime(settings: KitSettings, *, consumers: bool = True, seats: type[SessionSeats] = SessionSeats) -> Wiring:
    runtime = ServiceRuntime(settings, registry=registry, topics=PUBLISHED)
    db = runtime.db
    changes = BookingChanges()
    service = BookingService(
        bookings=Bookings(db["bookings"]),
        seats=Seats(db, seats),
        waitlist=Waitlist(db["waitlist"]),
        projections=Projections(db),
        ledger=Ledger(db["entitlements"]),
        written=runtime.notify_relay,
        changed=changes.changed,
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
    return Wiring(runtime, service, changes)


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
    application.state.booking_changes = wiring.changes
    application.state.calendar_feeds = CalendarFeeds(wiring.runtime.db["calendar_feeds"])
    limits = settings if isinstance(settings, BookingsSettings) else BookingsSettings()
    application.state.self_booking_limit = rate_limit(
        TokenBuckets(per_minute=limits.self_booking_per_minute, burst=limits.self_booking_burst)
    )
    # The store has no TTL: completed / no-show and waitlists left behind are swept.
    every = settings.sweep_seconds if isinstance(settings, BookingsSettings) else 30.0
    wiring.runtime.every("sweep", timedelta(seconds=every), wiring.service.sweep)
    return application


app = build_app()
