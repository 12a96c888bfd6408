"""Kafka consumers: `spaces.commands` (reservation requests and releases from other services)
and the `community.member` projection.

A command's answer goes out through the reservation's outbox (topic `spaces.reservation`), so a
command is answered exactly when its effect is stored; a redelivered command finds the
reservation it created and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from parkgrid.consumer import Delivery, Handler
from parkgrid.contracts.community import MemberSnapshot
from parkgrid.contracts.spaces import ReleaseRequested, ReservationRequested
from parkgrid.known import KnownMembers
from parkgrid.logging import get_logger
from spaces.service_layer.handlers import ReservationRequest, Reservations

log = get_logger(__name__)


def command_handler(reservations: Reservations, notify: Callable[[], None]) -> Handler:
    async def handle(delivery: Delivery) -> None:
        event = delivery.event
        if isinstance(event, ReservationRequested):
            await reservations.reserve(ReservationRequest.of(event))
        elif isinstance(event, ReleaseRequested):
            await reservations.release(event.request_id)
        else:
            log.info("spaces.command_ignored", type=delivery.envelope.type)
            return
        notify()

    return handle


def member_handler(members: KnownMembers) -> Handler:
    """Project `community.member`: every member event carries the member's full state."""

    async def handle(delivery: Delivery) -> None:
        event = delivery.event
        if isinstance(event, MemberSnapshot):
            await members.apply(delivery.envelope, event)
        else:
            log.info("spaces.member_event_ignored", type=delivery.envelope.type)

    return handle
