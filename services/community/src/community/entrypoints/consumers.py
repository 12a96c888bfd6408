"""Kafka consumers of the community service.

- `sites`: spaces' sites (`spaces.site`) → the sites projection (site checks, time zones);
- `venues`: spaces' answers (`spaces.reservation`) → the venue outcomes projection and the saga;
- `reactions`: community's own facts → promotion after a cancelled registration, and the
  cancellation of every registration of a cancelled event. Reacting through Kafka means a
  crash only delays these: the message is delivered again, and every handler is idempotent.
"""

from __future__ import annotations

from community.adapters.stores import CommunityStore
from community.service_layer.events import Events
from community.service_layer.registrations import Registrations
from parkgrid.consumer import Delivery, Handler
from parkgrid.contracts.community import CommunityEventCancelled, RegistrationCancelled
from parkgrid.contracts.spaces import ReservationSnapshot, SiteSnapshot
from parkgrid.contracts.topics import TOPICS
from parkgrid.runtime import ServiceRuntime

SITES_TOPIC = next(t for t in TOPICS if t.name == "spaces.site")
RESERVATIONS_TOPIC = next(t for t in TOPICS if t.name == "spaces.reservation")
OWN_TOPICS = [t for t in TOPICS if t.name in ("community.registration", "community.event")]


def site_handler(store: CommunityStore) -> Handler:
    async def handle(delivery: Delivery) -> None:
        if isinstance(delivery.event, SiteSnapshot):
            await store.sites.apply(delivery.envelope, delivery.event)

    return handle


def reservation_handler(events: Events) -> Handler:
    async def handle(delivery: Delivery) -> None:
        if isinstance(delivery.event, ReservationSnapshot):
            await events.on_reservation(delivery.envelope, delivery.event)

    return handle


def reaction_handler(registrations: Registrations) -> Handler:
    async def handle(delivery: Delivery) -> None:
        event = delivery.event
        if isinstance(event, RegistrationCancelled):
            await registrations.on_cancelled(event.registration_id)
        elif isinstance(event, CommunityEventCancelled):
            await registrations.cancel_all(event.event_id)

    return handle


def consume(runtime: ServiceRuntime, store: CommunityStore, events: Events, registrations: Registrations) -> None:
    runtime.consume(name="sites", topics=[SITES_TOPIC], handler=site_handler(store), projections=[runtime.db["sites"]])
    runtime.consume(name="venues", topics=[RESERVATIONS_TOPIC], handler=reservation_handler(events))
    runtime.consume(name="reactions", topics=OWN_TOPICS, handler=reaction_handler(registrations))
