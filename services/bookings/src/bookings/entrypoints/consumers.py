"""Kafka consumers of bookings, as `Subscription`s: the projections, spaces' answers, the ledger."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from bookings.adapters.feeds import FeedFacts
from bookings.adapters.rooms import Rooms
from bookings.service_layer.service import BookingService
from parkgrid.consumer import Delivery, Handler
from parkgrid.contracts.catalogue import OfferingSnapshot
from parkgrid.contracts.community import CommunityEventSnapshot, MemberSnapshot, RegistrationSnapshot
from parkgrid.contracts.spaces import ReservationSnapshot, ResidencySnapshot, SiteSnapshot, SpaceSnapshot
from parkgrid.contracts.topics import topic, topics
from parkgrid.envelope import Envelope
from parkgrid.runtime import Subscription
from parkgrid.settings import KitSettings
from parkgrid.store import Database

PUBLISHED = topics(
    "bookings.booking",
    "bookings.waitlist",
    "bookings.series",
    "bookings.entitlement",
    "bookings.limits",
    "bookings.export",
    "spaces.commands",
)


Snapshot = TypeVar("Snapshot")


def applying(kind: type[Snapshot], apply: Callable[[Envelope, Snapshot], Awaitable[object]]) -> Handler:
    """The handler of a projection: it applies each `kind` of snapshot its topic carries, and
    passes over the topic's other messages (the commands and answers on it, an unknown type)."""

    async def handle(delivery: Delivery) -> None:
        if isinstance(delivery.event, kind):
            await apply(delivery.envelope, delivery.event)

    return handle


def projections(
    settings: KitSettings, db: Database, service: BookingService, group_suffix: str = ""
) -> list[Subscription]:
    """Offerings, members and sites; a seeder passes its own group suffix to read from the start."""
    known = service.projections
    return [
        Subscription(
            name=name,
            topics=[topic(source)],
            handler=handler,
            projections=[db[name]],
            group=f"{settings.service_name}.{name}{group_suffix}" if group_suffix else None,
        )
        for name, source, handler in (
            ("offerings", "catalogue.offering", applying(OfferingSnapshot, known.offerings.apply)),
            ("members", "community.member", applying(MemberSnapshot, known.members.apply)),
            ("sites", "spaces.site", applying(SiteSnapshot, known.sites.apply)),
        )
    ]


def facts(db: Database) -> list[Subscription]:
    """What slots and the calendar feed read of spaces and community, each rebuildable
    (`parkgrid rebuild bookings spaces`, `space_reservations`, `residencies`, `community_events`,
    `registrations`): the rooms and what holds them, the events and registrations."""
    rooms, community = Rooms(db), FeedFacts(db)
    on_space = applying(SpaceSnapshot, rooms.spaces.apply)
    on_reservation = applying(ReservationSnapshot, rooms.holds.on_reservation)
    on_residency = applying(ResidencySnapshot, rooms.holds.on_residency)
    on_event = applying(CommunityEventSnapshot, community.events.apply)
    on_registration = applying(RegistrationSnapshot, community.registrations.apply)
    table: tuple[tuple[str, str, Handler, tuple[str, ...]], ...] = (
        ("spaces", "spaces.space", on_space, ("spaces",)),
        ("space_reservations", "spaces.reservation", on_reservation, ("space_reservations",)),
        ("residencies", "spaces.residency", on_residency, ("residencies", "residency_stays")),
        ("community_events", "community.event", on_event, ("community_events",)),
        ("registrations", "community.registration", on_registration, ("registrations",)),
    )
    return [
        Subscription(
            name=name,
            topics=[topic(source)],
            handler=handler,
            projections=[db[c] for c in collections],
            after_drop=(rooms.ensure_indexes if source.startswith("spaces.") else community.ensure_indexes),
        )
        for name, source, handler, collections in table
    ]


def subscriptions(settings: KitSettings, db: Database, service: BookingService) -> list[Subscription]:
    """Every consumer of the service: the projections, the saga, and the entitlements ledger
    (derived from booking events, hence rebuildable: `parkgrid rebuild bookings entitlements`)."""
    return [
        *projections(settings, db, service),
        *facts(db),
        Subscription(name="reservations", topics=[topic("spaces.reservation")], handler=service.on_reservation),
        Subscription(
            name="entitlements",
            topics=[topic("bookings.booking")],
            handler=service.on_booking_event,
            projections=[db["entitlements"]],
        ),
    ]


__all__ = ["PUBLISHED", "applying", "facts", "projections", "subscriptions", "topic"]
