"""A booking after it is made: cancelled (its seats freed for the waitlist) and checked in.

Each command is load → decide (a pure rule of `domain.booking`) → save under the version
guard, retried by the kit's `change` when the booking moved meanwhile; a refusal of the
rule (`Unavailable`) is never retried.
"""

from __future__ import annotations

from bookings.adapters.bookings import booking_of, state_of
from bookings.domain import booking as rules
from bookings.domain.booking import Actor, Booking, Unavailable
from bookings.service_layer.parts import SYSTEM, Parts, UnknownBooking
from bookings.service_layer.publication import publication
from bookings.service_layer.seating import Seating
from parkgrid.aggregates import Decision, Rule, change
from parkgrid.logging import get_logger
from parkgrid.store import Document

log = get_logger(__name__)

DEFAULT_CANCELLATION_WINDOW = 24 * 60  # minutes, when the offering is no longer known


class Lifecycle:
    def __init__(self, parts: Parts, seating: Seating) -> None:
        self.parts = parts
        self.seating = seating

    async def cancel(self, booking_id: str, actor: Actor, *, staff_override: bool = False) -> tuple[Booking, int]:
        booking, _ = await self.parts.get(booking_id)
        offering = await self.parts.projections.offerings.get(booking.offering_id)
        window = offering.rules.cancellation_window_minutes if offering else DEFAULT_CANCELLATION_WINDOW

        def rule(doc: Document) -> Decision:
            now = self.parts.now()
            cancelled, happened = rules.cancel(booking_of(doc), actor, now, window, staff_override=staff_override)
            return state_of(cancelled), publication(happened)

        cancelled, version = await self._change(booking_id, rule)
        self.parts.written()
        await self.seating.free(cancelled)
        return cancelled, version

    async def check_in(self, booking_id: str, actor: Actor) -> tuple[Booking, int]:
        """Check in inside the window; a second check-in is refused naming the first (409): the
        version guard lets exactly one of two concurrent scans save, the other is decided again."""

        def rule(doc: Document) -> Decision:
            checked, happened = rules.check_in(
                booking_of(doc), actor, self.parts.now(), self.parts.timing.check_in_opens
            )
            return state_of(checked), publication(happened)

        checked, version = await self._change(booking_id, rule)
        self.parts.written()
        return checked, version

    async def retire_replaced(self, new: Booking) -> None:
        """The new session is secured: release the old one (a move, never a late cancellation)."""
        assert new.replaces is not None
        try:
            await self.cancel(new.replaces, SYSTEM, staff_override=True)
        except (UnknownBooking, Unavailable) as exc:
            log.info("bookings.replaced_not_cancelled", booking=new.replaces, reason=str(exc))

    async def _change(self, booking_id: str, rule: Rule) -> tuple[Booking, int]:
        doc, version = await change(self.parts.bookings.store, booking_id, rule, what="booking")
        return booking_of(doc), version
