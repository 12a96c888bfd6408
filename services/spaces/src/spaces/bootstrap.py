"""Wires the spaces service: settings, runtime, stores, handlers, routes and consumers."""

from __future__ import annotations

from fastapi import FastAPI
from pydantic import Field

from parkgrid.contracts.topics import TOPICS
from parkgrid.events import registry
from parkgrid.runtime import ServiceRuntime, create_app
from parkgrid.settings import KitSettings
from spaces.adapters.day_passes import DayPassStore
from spaces.adapters.members import Members
from spaces.adapters.stores import SpacesStore
from spaces.entrypoints.api import build_router
from spaces.entrypoints.consumers import command_handler, member_handler
from spaces.service_layer.day_passes import DayPasses
from spaces.service_layer.handlers import Inventory, Reservations
from spaces.service_layer.residencies import Residencies

PUBLISHED = ("spaces.site", "spaces.space", "spaces.residency", "spaces.reservation", "spaces.day_pass")


class SpacesSettings(KitSettings):
    service_name: str = Field("spaces", validation_alias="PARKGRID_SERVICE_NAME")


def build_app(settings: KitSettings | None = None) -> FastAPI:
    settings = settings or SpacesSettings()
    runtime = ServiceRuntime(settings, registry=registry, topics=[t for t in TOPICS if t.name in PUBLISHED])
    store = SpacesStore(runtime.db)
    day_pass_store = DayPassStore(runtime.db)
    runtime.relay_outbox_of(*store.outbox_collections, day_pass_store.passes.collection)
    runtime.on_store_ready(store.ensure_indexes)
    inventory = Inventory(store, runtime.notify_relay)
    reservations = Reservations(store, runtime.notify_relay)
    members = Members(runtime.db)
    runtime.consume(
        name="members",
        topics=[t for t in TOPICS if t.name == "community.member"],
        handler=member_handler(members),
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
    app.state.residencies = Residencies(store, members, runtime.notify_relay)
    app.state.day_passes = DayPasses(store, day_pass_store, runtime.notify_relay)
    return app


app = build_app()
