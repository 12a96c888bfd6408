"""The saga with spaces: applying spaces' answers (`spaces.reservation`) to pending bookings.

A booking that needs a space is stored pending with a reservation request in its outbox.
Spaces answers confirmed or refused; the answer that matches the booking's current request
confirms or rejects it. A late or stale confirmation (the booking was cancelled, or asked
again) is released. The answer is one rule applied by the kit's `change`: a booking that
moved meanwhile is read again and decided again; one that keeps moving is left to the
delivery's retry (`TransientError`, never dead-lettered), as before.
"""

from __future__ import annotations

from datetime import datetime

from bookings.adapters.bookings import booking_of, state_of
from bookings.domain import booking as rules
from bookings.domain.booking import Booking
from bookings.service_layer.lifecycle import Lifecycle
from bookings.service_layer.parts import Parts
from bookings.service_layer.publication import publication
from bookings.service_layer.seating import Seating
from parkgrid.aggregates import Decision, change
from parkgrid.consumer import Delivery, TransientError
from parkgrid.contracts.bookings import BookingStatus
from parkgrid.contracts.spaces import Requester, ReservationConfirmed, ReservationRefused, ReservationSnapshot
from parkgrid.domain import DomainEvent
from parkgrid.logging import get_logger
from parkgrid.outbox import VersionConflict
from parkgrid.refusals import Refusal, Refused
from parkgrid.store import Document

log = get_logger(__name__)

LET_GO = (BookingStatus.CANCELLED, BookingStatus.REJECTED)


def answer(booking: Booking, event: ReservationSnapshot, now: datetime) -> tuple[Booking, list[DomainEvent]]:
    """What spaces' answer does to the booking as it stands (nothing, for an answer already applied)."""
    current = booking.reservation_request_id == event.request_id
    if isinstance(event, ReservationConfirmed):
        if booking.status == BookingStatus.PENDING and current:
            return rules.confirm(booking, event.space_id, now)
        if booking.status in LET_GO or not current:
            # A late confirmation: the booking no longer wants this space.
            return booking, [rules.release(booking, event.request_id, f"booking {booking.status.value}")]
    elif isinstance(event, ReservationRefused) and booking.status == BookingStatus.PENDING and current:
        return rules.reject(booking, "no_space", f"{event.reason.value}: {event.detail}")
    return booking, []


class Saga:
    def __init__(self, parts: Parts, seating: Seating, lifecycle: Lifecycle) -> None:
        self.parts = parts
        self.seating = seating
        self.lifecycle = lifecycle

    async def on_reservation(self, delivery: Delivery) -> None:
        event = delivery.event
        if not isinstance(event, ReservationSnapshot) or event.requested_by != Requester.BOOKINGS:
            return
        saved = False

        def rule(doc: Document) -> Decision | None:
            nonlocal saved
            booking, happened = answer(booking_of(doc), event, self.parts.now())
            saved = bool(happened)
            return (state_of(booking), publication(happened)) if happened else None

        try:
            known = self.parts.bookings.recall(event.reference_id)  # as stored by this process, if it was
            doc, version = await change(
                self.parts.bookings.store, event.reference_id, rule, what="booking", known=known
            )
        except VersionConflict:
            raise TransientError(f"booking {event.reference_id} kept changing; handle again") from None
        except Refused as refused:
            if refused.kind != Refusal.NOT_FOUND:
                raise
            log.warning("bookings.reservation_for_unknown_booking", booking=event.reference_id)
            return
        booking = booking_of(doc)
        if saved:
            self.parts.written()
            self.parts.changed(booking.booking_id, (booking, version))
        current = booking.reservation_request_id == event.request_id
        confirmed = isinstance(event, ReservationConfirmed) and booking.status == BookingStatus.CONFIRMED
        if confirmed and current and booking.replaces:
            await self.lifecycle.retire_replaced(booking)  # also after a crash right after confirming
        if booking.status in LET_GO:
            await self.seating.free(booking)  # idempotent: finishes what a crash may have left
