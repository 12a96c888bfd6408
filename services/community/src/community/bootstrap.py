"""Wires the community service: settings, runtime, store, service layer, routes, consumers, reconciler.

`uvicorn community.bootstrap:app` serves it on port 8004 (deploy/local/services.tsv).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from fastapi import FastAPI
from pydantic import Field, SecretStr, model_validator

from community.adapters.stores import CommunityStore
from community.adapters.tickets import TicketSigner
from community.entrypoints.consumers import subscriptions
from community.entrypoints.http import ROUTERS
from community.service_layer.events import Events
from community.service_layer.members import Members
from community.service_layer.registrations import Registrations
from parkgrid.contracts.topics import topics
from parkgrid.events import registry
from parkgrid.exports import ExportAnswers, Holding
from parkgrid.http.access import provide
from parkgrid.runtime import ServiceRuntime, create_app
from parkgrid.settings import DEVELOPMENT_JWT_SECRET, DEVELOPMENT_TICKET_KEY, KitSettings

PUBLISHED = topics(
    "community.member",
    "community.subject_key",
    "community.event",
    "community.registration",
    "community.export",
    "spaces.commands",
)
EXPORTED = (
    Holding(
        "members",
        person_field="person_ids",
        people=("people", "former_people"),
        exclude=("name_search", "name_sort", "emails", "person_ids", "former_person_ids", "keys"),
    ),
    Holding("registrations"),
)
"""What community holds on a member (`parkgrid.exports`): the organisation with its people, and
registrations to events (a person's export: the organisation's record and that person's registrations)."""


class CommunitySettings(KitSettings):
    service_name: str = Field("community", validation_alias="PARKGRID_SERVICE_NAME")
    reconcile_seconds: float = Field(
        5.0, gt=0, validation_alias="COMMUNITY_RECONCILE_SECONDS", description="How often crash leftovers are finished."
    )
    check_in_opens_minutes: int = Field(
        60,
        ge=0,
        le=24 * 60,
        validation_alias="COMMUNITY_CHECK_IN_OPENS_MINUTES",
        description="How long before an event's start its door takes tickets (it closes at the end).",
    )
    ticket_key: SecretStr | None = Field(
        None,
        validation_alias="PARKGRID_TICKET_KEY",
        description="The key that signs QR tickets; required unless PARKGRID_ENV=development "
        "(where it defaults to the development key).",
    )

    @model_validator(mode="after")
    def _ticket_key_outside_development(self) -> CommunitySettings:
        if self.development:
            return self
        key = self.ticket_key.get_secret_value() if self.ticket_key else ""
        if not key:
            raise ValueError(
                f"PARKGRID_TICKET_KEY is required with PARKGRID_ENV={self.environment}: "
                "the secret key that signs QR tickets (e.g. `openssl rand -base64 32`)"
            )
        if key in (DEVELOPMENT_TICKET_KEY, DEVELOPMENT_JWT_SECRET):
            raise ValueError(
                f"PARKGRID_TICKET_KEY is a public development default, refused with PARKGRID_ENV={self.environment}"
            )
        return self

    @property
    def ticket_signing_key(self) -> str:
        return self.ticket_key.get_secret_value() if self.ticket_key else DEVELOPMENT_TICKET_KEY


@dataclass
class Community:
    """The service's parts, as the app, the seeder and the tests use them."""

    runtime: ServiceRuntime
    store: CommunityStore
    members: Members
    events: Events
    registrations: Registrations


def build(settings: KitSettings, *, consumers: bool = True) -> Community:
    """The service's parts over `settings`; `consumers` False for one-off processes (the seeder)."""
    runtime = ServiceRuntime(settings, registry=registry, topics=PUBLISHED)
    store = CommunityStore(runtime.db)
    runtime.relay_outbox_of(*store.outbox_collections)
    exports = ExportAnswers(runtime.db, "community", EXPORTED)
    runtime.relay_outbox_of(exports.collection)
    runtime.on_store_ready(store.ensure_indexes)
    notify, zone = runtime.notify_relay, settings.default_time_zone
    events = Events(store.events, store.seats, notify, default_zone=zone, lately=store.event_lately)
    members = Members(store, notify, default_zone=zone)
    own = CommunitySettings.of(settings)
    signer = TicketSigner(own.ticket_signing_key)
    door = timedelta(minutes=own.check_in_opens_minutes)
    registrations = Registrations(store, events, signer, notify, door_opens_before=door)
    if consumers:
        runtime.subscribe(*subscriptions(store, events, registrations), exports.subscription(notify))
    return Community(runtime, store, members, events, registrations)


def build_app(settings: KitSettings | None = None) -> FastAPI:
    settings = settings or CommunitySettings()
    community = build(settings)
    application = create_app(
        community.runtime,
        title="ParkGrid community",
        routers=ROUTERS,
        description="Member organisations, programmes, community events, registrations and check-in.",
    )
    application.state.community = community
    provide(application, community.store, community.members, community.events, community.registrations)
    every = CommunitySettings.of(settings).reconcile_seconds
    # Finish what a crash left half-done (placings, promotions) and complete ended events.
    community.runtime.every("reconcile", timedelta(seconds=every), community.registrations.reconcile)
    return application


app = build_app()
