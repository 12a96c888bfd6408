"""Kafka consumers of bookings: the three projections, spaces' answers, and the ledger."""

from __future__ import annotations

from bookings.service_layer.handlers import BookingService
from parkgrid.contracts.topics import TOPICS
from parkgrid.runtime import ServiceRuntime
from parkgrid.topics import TopicSpec


def topic(name: str) -> TopicSpec:
    return next(t for t in TOPICS if t.name == name)


PUBLISHED = [topic(n) for n in ("bookings.booking", "bookings.waitlist", "bookings.entitlement", "spaces.commands")]


def consume_projections(runtime: ServiceRuntime, service: BookingService, group_suffix: str = "") -> None:
    """Offerings, members and sites; a seeder passes its own group suffix to read from the start."""
    for name, source, handler in (
        ("offerings", "catalogue.offering", service.on_offering),
        ("members", "community.member", service.on_member),
        ("sites", "spaces.site", service.on_site),
    ):
        group = f"{runtime.settings.service_name}.{name}{group_suffix}" if group_suffix else None
        runtime.consume(name=name, topics=[topic(source)], handler=handler, group=group, projections=[runtime.db[name]])


def consume_saga(runtime: ServiceRuntime, service: BookingService) -> None:
    runtime.consume(name="reservations", topics=[topic("spaces.reservation")], handler=service.on_reservation)


def consume_ledger(runtime: ServiceRuntime, service: BookingService) -> None:
    """The entitlements ledger is derived from booking events (`parkgrid rebuild bookings entitlements`)."""
    runtime.consume(
        name="entitlements",
        topics=[topic("bookings.booking")],
        handler=service.on_booking_event,
        projections=[runtime.db["entitlements"]],
    )
