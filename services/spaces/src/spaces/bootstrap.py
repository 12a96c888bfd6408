"""Wires the spaces service: settings, runtime, stores, handlers, routes and consumers."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from pydantic import Field

from parkgrid.contracts.topics import TOPICS
from parkgrid.events import registry
from parkgrid.runtime import ServiceRuntime, create_app
from parkgrid.settings import KitSettings
from spaces.adapters.day_passes import DayPassStore
from spaces.adapters.members import Members
from spaces.adapters.stores import SpacesStore
from spaces.adapters.waitlist import WaitlistStore
from spaces.entrypoints.api import build_router
from spaces.entrypoints.consumers import command_handler, member_handler
from spaces.service_layer.day_passes import DayPasses
from spaces.service_layer.handlers import Inventory, Reservations
from spaces.service_layer.pruning import HoldPruner
from spaces.service_layer.residencies import Residencies
from spaces.service_layer.waitlist import Waitlist

PUBLISHED = (
    "spaces.site",
    "spaces.space",
    "spaces.residency",
    "spaces.reservation",
    "spaces.day_pass",
    "spaces.waitlist",
)


class SpacesSettings(KitSettings):
    service_name: str = Field("spaces", validation_alias="PARKGRID_SERVICE_NAME")
    hold_retention_days: int = Field(
        7, ge=1, validation_alias="SPACES_HOLD_RETENTION_DAYS", description="Days a past reservation hold is kept."
    )
    prune_every_seconds: float = Field(
        3600, gt=0, validation_alias="SPACES_PRUNE_EVERY_SECONDS", description="How often past holds are pruned."
    )


def build_app(settings: KitSettings | None = None) -> FastAPI:
    settings = settings or SpacesSettings()
    runtime = ServiceRuntime(settings, registry=registry, topics=[t for t in TOPICS if t.name in PUBLISHED])
    store = SpacesStore(runtime.db)
    day_pass_store = DayPassStore(runtime.db)
    waitlist_store = WaitlistStore(runtime.db)
    runtime.relay_outbox_of(
        *store.outbox_collections, day_pass_store.passes.collection, waitlist_store.entries.collection
    )
    runtime.on_store_ready(store.ensure_indexes)
    runtime.on_store_ready(waitlist_store.ensure_indexes)
    inventory = Inventory(store, runtime.notify_relay)
    reservations = Reservations(store, runtime.notify_relay)
    members = Members(runtime.db)
    runtime.consume(
        name="members",
        topics=[t for t in TOPICS if t.name == "community.member"],
        handler=member_handler(members),
        projections=[members.projection.collection],
    )
    runtime.consume(
        name="commands",
        topics=[t for t in TOPICS if t.name == "spaces.commands"],
        handler=command_handler(reservations, runtime.notify_relay),
    )
    app = create_app(
        runtime,
        title="ParkGrid spaces",
        routers=[build_router()],
        description="Sites, spaces, reservations and occupancy of the coworking network.",
    )
    app.state.spaces_store = store
    app.state.inventory = inventory
    app.state.reservations = reservations
    app.state.members = members
    residencies = Residencies(store, members, runtime.notify_relay)
    app.state.residencies = residencies
    app.state.day_passes = DayPasses(store, day_pass_store, runtime.notify_relay)
    app.state.day_pass_store = day_pass_store
    app.state.waitlist = Waitlist(store, waitlist_store, residencies, members, runtime.notify_relay)
    spaces_settings = settings if isinstance(settings, SpacesSettings) else SpacesSettings()
    app.state.hold_pruner = HoldPruner(
        store.calendars,
        keep=timedelta(days=spaces_settings.hold_retention_days),
    )
    runtime.every(
        "prune-holds", timedelta(seconds=spaces_settings.prune_every_seconds), app.state.hold_pruner.prune_once
    )
    return app


app = build_app()
