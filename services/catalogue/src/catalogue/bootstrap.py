"""Wires the catalogue: settings, runtime (store, relay, consumers), handlers and the app.

`uvicorn catalogue.bootstrap:app` serves it on port 8001 (deploy/local/services.tsv).
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from catalogue.adapters.members import Members
from catalogue.adapters.offerings import TOPIC, Offerings
from catalogue.adapters.sites import Sites
from catalogue.entrypoints import api
from catalogue.entrypoints.consumers import consume_members, consume_sites
from catalogue.service_layer.handlers import Catalogue
from parkgrid.events import registry
from parkgrid.logging import get_logger
from parkgrid.runtime import ServiceRuntime, create_app
from parkgrid.settings import KitSettings

log = get_logger(__name__)
CATCH_UP_SECONDS = 30.0


def settings_from_env() -> KitSettings:
    settings = KitSettings()
    if "service_name" not in settings.model_fields_set:
        settings = settings.model_copy(update={"service_name": "catalogue"})
    return settings


def build_runtime(
    settings: KitSettings, *, sites_consumer: bool = True, members_consumer: bool = True
) -> tuple[ServiceRuntime, Catalogue, Members]:
    runtime = ServiceRuntime(settings, registry=registry, topics=[TOPIC])
    offerings = Offerings(runtime.db["offerings"], runtime.db["offerings_search"])
    runtime.on_store_ready(offerings.ensure_indexes)

    async def catch_up() -> None:
        await offerings.catch_up()

    runtime.on_store_ready(catch_up)
    catalogue = Catalogue(offerings=offerings, sites=Sites(runtime.db["sites"]), written=runtime.notify_relay)
    runtime.relay_outbox_of(offerings.collection)
    if sites_consumer:
        consume_sites(runtime, catalogue)
    members = Members(runtime.db["members"])
    if members_consumer:
        consume_members(runtime, members)
    return runtime, catalogue, members


def build_app(settings: KitSettings) -> FastAPI:
    runtime, catalogue, members = build_runtime(settings)
    application = create_app(
        runtime,
        title="ParkGrid catalogue",
        description="The service grid of the network: offerings, eligibility, availability.",
        routers=[api.router],
    )
    application.state.catalogue = catalogue
    application.state.members = members
    # Re-project search entries a failed write left behind (a crash is covered at start).
    runtime.every("search-entries", timedelta(seconds=CATCH_UP_SECONDS), catalogue.offerings.catch_up)
    return application


app = build_app(settings_from_env())
