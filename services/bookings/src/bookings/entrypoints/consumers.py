"""Kafka consumers of bookings, as `Subscription`s: the three projections, spaces' answers, the ledger."""

from __future__ import annotations

from bookings.service_layer.service import BookingService
from parkgrid.contracts.topics import topic, topics
from parkgrid.runtime import Subscription
from parkgrid.settings import KitSettings
from parkgrid.store import Database

PUBLISHED = topics("bookings.booking", "bookings.waitlist", "bookings.entitlement", "spaces.commands")


def projections(
    settings: KitSettings, db: Database, service: BookingService, group_suffix: str = ""
) -> list[Subscription]:
    """Offerings, members and sites; a seeder passes its own group suffix to read from the start."""
    return [
        Subscription(
            name=name,
            topics=[topic(source)],
            handler=handler,
            projections=[db[name]],
            group=f"{settings.service_name}.{name}{group_suffix}" if group_suffix else None,
        )
        for name, source, handler in (
            ("offerings", "catalogue.offering", service.on_offering),
            ("members", "community.member", service.on_member),
            ("sites", "spaces.site", service.on_site),
        )
    ]


def subscriptions(settings: KitSettings, db: Database, service: BookingService) -> list[Subscription]:
    """Every consumer of the service: the projections, the saga, and the entitlements ledger
    (derived from booking events, hence rebuildable: `parkgrid rebuild bookings entitlements`)."""
    return [
        *projections(settings, db, service),
        Subscription(name="reservations", topics=[topic("spaces.reservation")], handler=service.on_reservation),
        Subscription(
            name="entitlements",
            topics=[topic("bookings.booking")],
            handler=service.on_booking_event,
            projections=[db["entitlements"]],
        ),
    ]


__all__ = ["PUBLISHED", "projections", "subscriptions", "topic"]
