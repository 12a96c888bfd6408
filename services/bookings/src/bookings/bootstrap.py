"""Wires bookings: settings, runtime (store, relay, consumers), the service, the sweeper and the app.

`build(settings)` makes the long-lived parts (what the seeder and the app share);
`build_app(settings)` puts the routes around them. `uvicorn bookings.bootstrap:app` serves
it on port 8002 (deploy/local/services.tsv).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from fastapi import FastAPI
from pydantic import Field

from bookings.adapters.bookings import Bookings
from bookings.adapters.feeds import FeedFacts, FeedLinks
from bookings.adapters.ledgers import Ledger
from bookings.adapters.limits import SiteLimits
from bookings.adapters.projections import Projections
from bookings.adapters.rooms import Rooms
from bookings.adapters.series import SeriesBook
from bookings.adapters.sessions import Seats, SessionSeats
from bookings.adapters.waitlists import WaitingLines
from bookings.entrypoints.consumers import PUBLISHED, subscriptions
from bookings.entrypoints.http import routers
from bookings.entrypoints.http.bookings import kept_answer
from bookings.entrypoints.http.common import SelfBookingLimit, Zones
from bookings.service_layer.changes import BookingChanges
from bookings.service_layer.parts import Timing
from bookings.service_layer.series import SeriesDesk
from bookings.service_layer.service import BookingService
from parkgrid.events import registry
from parkgrid.exports import ExportAnswers, Holding
from parkgrid.http.access import provide
from parkgrid.http.ratelimit import TokenBuckets, rate_limit
from parkgrid.runtime import ServiceRuntime, create_app
from parkgrid.settings import KitSettings


class BookingsSettings(KitSettings):
    service_name: str = Field("bookings", validation_alias="PARKGRID_SERVICE_NAME")
    sweep_seconds: float = Field(
        30.0, gt=0, validation_alias="BOOKINGS_SWEEP_SECONDS", description="How often finished sessions are settled."
    )
    hold_minutes: float = Field(
        15.0,
        gt=0,
        validation_alias="BOOKINGS_HOLD_MINUTES",
        description="How long a pending booking may wait for its space before it is rejected (hold_expired).",
    )
    check_in_opens_minutes: float = Field(
        60.0,
        ge=0,
        validation_alias="BOOKINGS_CHECK_IN_OPENS_MINUTES",
        description="How long before a session's start check-in opens (it closes at the session's end).",
    )
    idempotency_ttl_hours: float = Field(
        24.0,
        gt=0,
        validation_alias="BOOKINGS_IDEMPOTENCY_TTL_HOURS",
        description="How long an Idempotency-Key's answer is kept for replays; older records are swept.",
    )
    idempotency_sweep_seconds: float = Field(
        3600.0, gt=0, validation_alias="BOOKINGS_IDEMPOTENCY_SWEEP_SECONDS", description="How often they are swept."
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
    series: SeriesDesk


def timing_of(settings: KitSettings) -> Timing:
    own = BookingsSettings.of(settings)
    return Timing(
        hold=timedelta(minutes=own.hold_minutes), check_in_opens=timedelta(minutes=own.check_in_opens_minutes)
    )


EXPORTED = (
    Holding("bookings"),
    Holding("waitlist"),
    Holding("series"),
    Holding("entitlements", person_field=None),
)
"""What bookings holds on a member (`parkgrid.exports`): its bookings, waitlist places, series and
entitlements (the calendar feed's token is a secret of the member's, not exported)."""


def build(settings: KitSettings, *, consumers: bool = True, seats: type[SessionSeats] = SessionSeats) -> Wiring:
    """The runtime and the service over its store; `consumers=False` for a tool that picks its own."""
    runtime = ServiceRuntime(settings, registry=registry, topics=PUBLISHED)
    db = runtime.db
    changes = BookingChanges()
    service = BookingService(
        bookings=Bookings(db["bookings"]),
        seats=Seats(db, seats),
        waitlist=WaitingLines(db["waitlist"]),
        projections=Projections(db),
        ledger=Ledger(db["entitlements"]),
        written=runtime.notify_relay,
        changed=changes.changed,
        timing=timing_of(settings),
        limits=SiteLimits(db["limit_policies"]),
    )
    runtime.relay_outbox_of(db["limit_policies"])
    series = SeriesBook(db["series"])
    runtime.relay_outbox_of(
        service.bookings.collection, service.waitlist.collection, service.ledger.collection, series.collection
    )
    exports = ExportAnswers(db, "bookings", EXPORTED)
    runtime.relay_outbox_of(exports.collection)

    async def indexes() -> None:
        await service.bookings.ensure_indexes()
        await service.approvals.queue.ensure_indexes()
        await service.seats.sessions.ensure_indexes()
        await service.seats.adopt_places()
        await service.waitlist.ensure_indexes()
        await service.ledger.ensure_indexes()
        await SiteLimits(db["limit_policies"]).ensure_indexes()
        await service.projections.ensure_indexes()
        await Rooms(db).ensure_indexes()
        await FeedFacts(db).ensure_indexes()
        await FeedLinks(db["calendar_feeds"]).ensure_indexes()
        await series.ensure_indexes()

    runtime.on_store_ready(indexes)
    runtime.kept_answers["/v1/bookings"] = kept_answer(service)
    if consumers:
        runtime.subscribe(*subscriptions(settings, db, service), exports.subscription(runtime.notify_relay))
    return Wiring(runtime, service, changes, SeriesDesk(service, series))


def forget_idempotency(runtime: ServiceRuntime, own: BookingsSettings) -> Callable[[], Awaitable[int]]:
    """The job that deletes `Idempotency-Key` records older than their TTL (the store has no TTL index)."""
    ttl = timedelta(hours=own.idempotency_ttl_hours)

    async def sweep() -> int:
        return await runtime.idempotency.sweep(ttl)

    return sweep


def build_app(settings: KitSettings | None = None, *, seats: type[SessionSeats] = SessionSeats) -> FastAPI:
    settings = settings or BookingsSettings()
    own = BookingsSettings.of(settings)
    wiring = build(settings, seats=seats)
    application = create_app(
        wiring.runtime,
        title="ParkGrid bookings",
        description="Bookings of offerings: slots, seats, the spaces saga, waitlists, lifecycle, entitlements.",
        routers=routers,
    )
    buckets = TokenBuckets(per_minute=own.self_booking_per_minute, burst=own.self_booking_burst)
    provide(
        application,
        wiring.service,
        wiring.changes,
        wiring.series,
        FeedLinks(wiring.runtime.db["calendar_feeds"]),
        Rooms(wiring.runtime.db),
        FeedFacts(wiring.runtime.db),
        SelfBookingLimit(rate_limit(buckets)),
        Zones(settings.default_time_zone),
    )
    # The store has no TTL: completed / no-show, expired holds, waitlists left behind and old
    # idempotency records are swept.
    wiring.runtime.every("sweep", timedelta(seconds=own.sweep_seconds), wiring.service.sweep)
    wiring.runtime.every(
        "idempotency-keys", timedelta(seconds=own.idempotency_sweep_seconds), forget_idempotency(wiring.runtime, own)
    )
    return application


app = build_app()
