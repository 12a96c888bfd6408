"""Wires the spaces service: settings, stores, handlers, consumers and routes.

`build(settings)` makes the parts (no I/O until the runtime starts); `build_app(settings)`
puts them behind the HTTP routers, each route asking for the part it needs by type.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import FastAPI
from pydantic import Field

from parkgrid.clock import utc_now
from parkgrid.contracts.topics import topic, topics
from parkgrid.events import registry
from parkgrid.exports import ExportAnswers, Holding
from parkgrid.http.access import provide
from parkgrid.known import KnownMembers
from parkgrid.runtime import ServiceRuntime, Subscription, create_app
from parkgrid.settings import KitSettings
from spaces.adapters.day_passes import DayPassStore
from spaces.adapters.stores import SpacesStore
from spaces.adapters.visits import VisitStore
from spaces.adapters.waitlist import WaitlistStore
from spaces.entrypoints.consumers import command_handler, member_handler
from spaces.entrypoints.http import routers
from spaces.service_layer.day_passes import DayPasses
from spaces.service_layer.handlers import Inventory, Reservations
from spaces.service_layer.pruning import HoldPruner
from spaces.service_layer.repair import HoldRepair
from spaces.service_layer.residencies import Residencies
from spaces.service_layer.visits import Visits
from spaces.service_layer.waitlist import Waitlist

PUBLISHED = (
    "spaces.site",
    "spaces.space",
    "spaces.residency",
    "spaces.reservation",
    "spaces.day_pass",
    "spaces.waitlist",
    "spaces.visit",
    "spaces.export",
)
EXPORTED = (
    Holding("residencies", person_field=None),
    Holding("office_waitlist", person_field=None),
    Holding("day_passes"),
    Holding("visits", person_field="host_person_id"),
)
"""What spaces holds on a member (`parkgrid.exports`): residencies and office waitlist places (the
organisation's), day passes and the visitors it hosted (a person's too)."""


class SpacesSettings(KitSettings):
    service_name: str = Field("spaces", validation_alias="PARKGRID_SERVICE_NAME")
    hold_retention_days: int = Field(
        7, ge=1, validation_alias="SPACES_HOLD_RETENTION_DAYS", description="Days a past reservation hold is kept."
    )
    prune_every_seconds: float = Field(
        3600, gt=0, validation_alias="SPACES_PRUNE_EVERY_SECONDS", description="How often past holds are pruned."
    )
    office_offer_hours: float = Field(
        72,
        gt=0,
        validation_alias="SPACES_OFFICE_OFFER_HOURS",
        description="Hours an office waitlist offer waits for an answer before it lapses.",
    )
    offer_sweep_every_seconds: float = Field(
        300, gt=0, validation_alias="SPACES_OFFER_SWEEP_EVERY_SECONDS", description="How often offers are swept."
    )
    visit_retention_days: int = Field(
        30,
        ge=1,
        validation_alias="SPACES_VISIT_RETENTION_DAYS",
        description="Days after a visit's day its guest's name and company are kept (personal data).",
    )
    hold_repair_grace_minutes: float = Field(
        60,
        gt=0,
        validation_alias="SPACES_HOLD_REPAIR_GRACE_MINUTES",
        description="Minutes an abandoned residency hold is left alone after the repair sweep first saw it.",
    )


@dataclass(frozen=True)
class Service:
    """The runtime and the parts routes are given (`provide`)."""

    runtime: ServiceRuntime
    components: tuple[object, ...]


def build(settings: KitSettings, clock: Callable[[], datetime] = utc_now) -> Service:
    own = SpacesSettings.of(settings)
    runtime = ServiceRuntime(settings, registry=registry, topics=topics(*PUBLISHED))
    store = SpacesStore(runtime.db)
    day_pass_store = DayPassStore(runtime.db)
    waitlist_store = WaitlistStore(runtime.db)
    visit_store = VisitStore(runtime.db)
    exports = ExportAnswers(runtime.db, "spaces", EXPORTED)
    runtime.relay_outbox_of(
        exports.collection,
        *store.outbox_collections,
        day_pass_store.passes.collection,
        waitlist_store.entries.collection,
        visit_store.visits.collection,
    )
    runtime.on_store_ready(store.ensure_indexes)
    runtime.on_store_ready(waitlist_store.ensure_indexes)
    runtime.on_store_ready(day_pass_store.ensure_indexes)
    runtime.on_store_ready(visit_store.ensure_indexes)
    notify = runtime.notify_relay
    members = KnownMembers(runtime.db["members"])
    inventory = Inventory(store, notify)
    reservations = Reservations(store, notify, clock=clock)
    residencies = Residencies(store, members, notify, default_time_zone=settings.default_time_zone, clock=clock)
    day_passes = DayPasses(store, day_pass_store, notify, clock=clock)
    visits = Visits(visit_store, store, members, notify, keep_days=own.visit_retention_days, clock=clock)

    async def passes_onto_calendars() -> None:
        await day_passes.absorb()

    runtime.on_store_ready(passes_onto_calendars)
    waitlist = Waitlist(
        store, waitlist_store, residencies, members, notify, answer_within=timedelta(hours=own.office_offer_hours)
    )
    repair = HoldRepair(store, waitlist_store, grace=timedelta(minutes=own.hold_repair_grace_minutes), clock=clock)
    pruner = HoldPruner(store.calendars, keep=timedelta(days=own.hold_retention_days), clock=clock)
    runtime.subscribe(
        Subscription(
            "members", [topic("community.member")], member_handler(members), projections=[members.projection.collection]
        ),
        Subscription("commands", [topic("spaces.commands")], command_handler(reservations, notify)),
        exports.subscription(notify),
    )
    runtime.every("prune-holds", timedelta(seconds=own.prune_every_seconds), pruner.prune_once)
    runtime.every("forget-visitors", timedelta(seconds=own.prune_every_seconds), visits.erase_past)
    runtime.every("lapse-offers", timedelta(seconds=own.offer_sweep_every_seconds), waitlist.lapse_offers)
    runtime.every("repair-holds", timedelta(seconds=own.offer_sweep_every_seconds), repair.repair_once)
    parts = (
        store,
        day_pass_store,
        visit_store,
        members,
        inventory,
        reservations,
        residencies,
        day_passes,
        waitlist,
        visits,
        pruner,
        repair,
    )
    return Service(runtime, parts)


def build_app(settings: KitSettings | None = None, clock: Callable[[], datetime] = utc_now) -> FastAPI:
    """`clock`: the service's now (tests pin it), for residencies' dates, horizons and offers' lapse."""
    service = build(settings or SpacesSettings(), clock)
    app = create_app(
        service.runtime,
        title="ParkGrid spaces",
        routers=routers,
        description="Sites, spaces, reservations and occupancy of the coworking network.",
    )
    provide(app, *service.components)
    return app


app = build_app()
