"""Kafka consumers of the community service, declared as `Subscription`s (bootstrap runs them).

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
from parkgrid.contracts.spaces import Requester, ReservationRefused, ReservationSnapshot, SiteSnapshot
from parkgrid.contracts.topics import topic, topics
from parkgrid.runtime import Subscription

SITES_TOPIC = topic("spaces.site")


def site_handler(store: CommunityStore) -> Handler:
    async def handle(delivery: Delivery) -> None:
        if isinstance(delivery.event, SiteSnapshot):
            await store.sites.apply(delivery.envelope, delivery.event)

    return handle


def reservation_handler(store: CommunityStore, events: Events) -> Handler:
    """Keep spaces' answer in the outcomes projection, then move the saga on."""

    async def handle(delivery: Delivery) -> None:
        reservation = delivery.event
        if isinstance(reservation, ReservationSnapshot) and reservation.requested_by == Requester.COMMUNITY:
            detail = reservation.detail if isinstance(reservation, ReservationRefused) else None
            await store.venue_reservations.apply(delivery.envelope, reservation, detail)
            await events.on_reservation(reservation)

    return handle


def reaction_handler(registrations: Registrations) -> Handler:
    async def handle(delivery: Delivery) -> None:
        event = delivery.event
        if isinstance(event, RegistrationCancelled):
            await registrations.on_cancelled(event.registration_id)
        elif isinstance(event, CommunityEventCancelled):
            await registrations.cancel_all(event.event_id)

    return handle


def subscriptions(store: CommunityStore, events: Events, registrations: Registrations) -> list[Subscription]:
    return [
        Subscription("sites", [SITES_TOPIC], site_handler(store), projections=[store.sites.projection.collection]),
        Subscription("venues", topics("spaces.reservation"), reservation_handler(store, events)),
        Subscription("reactions", topics("community.registration", "community.event"), reaction_handler(registrations)),
    ]
