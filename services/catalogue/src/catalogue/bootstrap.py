"""Wires the catalogue: settings, runtime (store, relay, consumers), handlers and the app.

`uvicorn catalogue.bootstrap:app` serves it on port 8001 (deploy/local/services.tsv).
`build(settings)` makes the parts; `build_app(settings)` puts them behind the routers,
each part available to routes by its type (`parkgrid.http.access.provide`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from fastapi import FastAPI

from catalogue.adapters.known import site_lookup
from catalogue.adapters.offerings import TOPIC, Offerings
from catalogue.adapters.spaces import KnownSpaces
from catalogue.entrypoints.http import routers
from catalogue.service_layer.handlers import Catalogue, member_handler, site_handler, space_handler
from catalogue.settings import CatalogueSettings
from parkgrid.contracts.topics import topic
from parkgrid.events import registry
from parkgrid.http.access import provide
from parkgrid.known import KnownMembers, KnownSites
from parkgrid.runtime import ServiceRuntime, Subscription, create_app
from parkgrid.settings import KitSettings


@dataclass
class CatalogueParts:
    """What `build` wires: the runtime, the command handlers and the stores they and the routes use."""

    runtime: ServiceRuntime
    catalogue: Catalogue
    offerings: Offerings
    sites: KnownSites
    members: KnownMembers
    spaces: KnownSpaces


def subscriptions(sites: KnownSites, members: KnownMembers, spaces: KnownSpaces) -> list[Subscription]:
    """The catalogue's consumers: sites and spaces projections from spaces, the members projection from community."""
    return [
        Subscription(
            name="sites",
            topics=[topic("spaces.site")],
            handler=site_handler(sites),
            projections=[sites.projection.collection],
        ),
        Subscription(
            name="spaces",
            topics=[topic("spaces.space")],
            handler=space_handler(spaces),
            projections=[spaces.projection.collection],
            after_drop=spaces.ensure_indexes,
            # Full-state events guarded by sequence, spaces independent of each other (as members).
            concurrency=8,
            newest_per_key=True,
        ),
        Subscription(
            name="members",
            topics=[topic("community.member")],
            handler=member_handler(members),
            projections=[members.projection.collection],
            # Each member's events are full-state and guarded by sequence: members are
            # independent, so a catch-up applies several at once (each member in order), and
            # only each member's newest event of a batch (the others would be overwritten).
            concurrency=16,
            newest_per_key=True,
        ),
    ]


def build(settings: CatalogueSettings, *, consumers: bool = True) -> CatalogueParts:
    """The catalogue's parts; without `consumers` nothing is subscribed (the seeder subscribes its own)."""
    runtime = ServiceRuntime(settings, registry=registry, topics=[TOPIC])
    offerings = Offerings(runtime.db["offerings"], runtime.db["offerings_search"])
    runtime.on_store_ready(offerings.ensure_indexes)

    async def catch_up() -> None:
        await offerings.add_cohorts()
        await offerings.catch_up()

    runtime.on_store_ready(catch_up)
    sites, members = KnownSites(runtime.db["sites"]), KnownMembers(runtime.db["members"])
    spaces = KnownSpaces(runtime.db["spaces"])
    runtime.on_store_ready(spaces.ensure_indexes)
    catalogue = Catalogue(offerings=offerings, site_facts=site_lookup(sites, spaces), written=runtime.notify_relay)
    runtime.relay_outbox_of(offerings.collection)
    if consumers:
        runtime.subscribe(*subscriptions(sites, members, spaces))
    return CatalogueParts(runtime, catalogue, offerings, sites, members, spaces)


def build_app(settings: KitSettings | None = None) -> FastAPI:
    config = CatalogueSettings.of(settings)
    parts = build(config)
    application = create_app(
        parts.runtime,
        title="ParkGrid catalogue",
        description="The service grid of the network: offerings, eligibility, availability.",
        routers=routers,
    )
    provide(application, parts.catalogue, parts.offerings, parts.sites, parts.members, parts.spaces)
    # Re-project search entries a failed write left behind (a crash is covered at start).
    parts.runtime.every("search-entries", timedelta(seconds=config.search_catch_up_seconds), parts.offerings.catch_up)
    return application


app = build_app()
