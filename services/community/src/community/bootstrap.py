"""Wires the community service: settings, runtime, store, handlers, routes, consumers, reconciler.

`uvicorn community.bootstrap:app` serves it on port 8004 (deploy/local/services.tsv).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from fastapi import FastAPI
from pydantic import Field

from community.adapters.stores import CommunityStore
from community.adapters.tickets import TicketSigner
from community.entrypoints.api import build_router
from community.entrypoints.consumers import consume
from community.service_layer.events import Events
from community.service_layer.members import Members
from community.service_layer.registrations import Registrations
from parkgrid.contracts.topics import TOPICS
from parkgrid.events import registry
from parkgrid.logging import get_logger
from parkgrid.runtime import ServiceRuntime, create_app
from parkgrid.settings import KitSettings

log = get_logger(__name__)

PUBLISHED = ("community.member", "community.event", "community.registration", "spaces.commands")


class CommunitySettings(KitSettings):
    service_name: str = Field("community", validation_alias="PARKGRID_SERVICE_NAME")
    reconcile_seconds: float = Field(
        5.0, gt=0, validation_alias="COMMUNITY_RECONCILE_SECONDS", description="How often crash leftovers are finished."
    )


@dataclass
class Community:
    """The service's parts, as the app, the seeder and the tests use them."""

    runtime: ServiceRuntime
    store: CommunityStore
    members: Members
    events: Events
    registrations: Registrations


def build_community(settings: KitSettings, *, consumers: bool = True) -> Community:
    runtime = ServiceRuntime(settings, registry=registry, topics=[t for t in TOPICS if t.name in PUBLISHED])
    store = CommunityStore(runtime.db)
    runtime.relay_outbox_of(*store.outbox_collections)
    runtime.on_store_ready(store.ensure_indexes)
    notify = runtime.notify_relay
    events = Events(store, notify)
    registrations = Registrations(store, events, TicketSigner(settings.jwt_secret.get_secret_value()), notify)
    if consumers:
        consume(runtime, store, events, registrations)
    return Community(runtime, store, Members(store, notify), events, registrations)


def build_app(settings: KitSettings | None = None) -> FastAPI:
    settings = settings or CommunitySettings()
    community = build_community(settings)
    application = create_app(
        community.runtime,
        title="ParkGrid community",
        routers=[build_router()],
        description="Member organisations, programmes, community events, registrations and check-in.",
    )
    application.state.community = community
    application.state.community_store = community.store
    application.state.members = community.members
    application.state.events = community.events
    application.state.registrations = community.registrations
    every = settings.reconcile_seconds if isinstance(settings, CommunitySettings) else 5.0
    # Finish what a crash left half-done (placings, promotions) and complete ended events.
    community.runtime.every("reconcile", timedelta(seconds=every), community.registrations.reconcile)
    return application


app = build_app()
