"""The saga with spaces: applying spaces' answers (`spaces.reservation`) to pending bookings.

A booking that needs a space is stored pending with a reservation request in its outbox.
Spaces answers confirmed or refused; the answer that matches the booking's current request
confirms or rejects it. A late or stale confirmation (the booking was cancelled, or asked
again) is released. A conflicting write is not retried here: the delivery is, whole
(`TransientError`), so the decision is taken again on what is stored then.
"""

from __future__ import annotations

from collections.abc import Sequence

from bookings.domain import booking as rules
from bookings.domain.booking import Booking
from bookings.service_layer.lifecycle import Lifecycle
from bookings.service_layer.parts import Parts
from bookings.service_layer.seating import Seating
from parkgrid.consumer import Delivery, TransientError
from parkgrid.contracts.bookings import BookingStatus
from parkgrid.contracts.spaces import Requester, ReservationConfirmed, ReservationRefused, ReservationSnapshot
from parkgrid.events import IntegrationEvent
from parkgrid.logging import get_logger
from parkgrid.outbox import VersionConflict

log = get_logger(__name__)

LET_GO = (BookingStatus.CANCELLED, BookingStatus.REJECTED)


class Saga:
    def __init__(self, parts: Parts, seating: Seating, lifecycle: Lifecycle) -> None:
        self.parts = parts
        self.seating = seating
        self.lifecycle = lifecycle

    async def on_reservation(self, delivery: Delivery) -> None:
        event = delivery.event
        if not isinstance(event, ReservationSnapshot) or event.requested_by != Requester.BOOKINGS:
            return
        found = await self.parts.bookings.get(event.reference_id)
        if found is None:
            log.warning("bookings.reservation_for_unknown_booking", booking=event.reference_id)
            return
        booking, version = found
        current = booking.reservation_request_id == event.request_id
        if isinstance(event, ReservationConfirmed):
            if booking.status == BookingStatus.PENDING and current:
                booking, events = rules.confirm(booking, event.space_id, self.parts.now())
                await self._save(booking, version, events)
            elif booking.status in LET_GO or not current:
                # A late confirmation: the booking no longer wants this space.
                release = rules.release_request(booking, event.request_id, f"booking {booking.status.value}")
                await self._save(booking, version, [release])
            if booking.status == BookingStatus.CONFIRMED and current and booking.replaces:
                await self.lifecycle.retire_replaced(booking)  # also after a crash right after confirming
        elif isinstance(event, ReservationRefused) and booking.status == BookingStatus.PENDING and current:
            rejected, events = rules.reject(booking, "no_space", f"{event.reason.value}: {event.detail}")
            await self._save(rejected, version, events)
            booking = rejected
        if booking.status in LET_GO:
            await self.seating.free(booking)  # idempotent: finishes what a crash may have left

    async def _save(self, booking: Booking, version: int, events: Sequence[IntegrationEvent]) -> None:
        try:
            await self.parts.bookings.save(booking, version, events)
        except VersionConflict:
            raise TransientError(f"booking {booking.booking_id} changed meanwhile; handle again") from None
        self.parts.written()
        self.parts.changed(booking.booking_id)
