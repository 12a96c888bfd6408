"""Deciding approvals: staff approve or decline a booking awaiting approval, the sweeper expires
those nobody decided in time.

Each decision is the domain's pure rule (`domain.approvals`) applied by the kit's `change` to the
booking's current document inside its one version-guarded write: of staff approving, staff
declining, the sweep expiring and the member cancelling one booking at once, exactly one is
saved, and the others are decided again on what is there now and refused naming it (409).
What follows a saved decision is what follows any confirmation or rejection: a rejected
booking's seats, place and allowances go back (`Seating.free`, idempotent, then the waitlist is
promoted) and its room's release goes to spaces with the rejection, in the same write.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bookings.adapters.approvals import ApprovalQueue
from bookings.adapters.bookings import booking_of, state_of
from bookings.domain import approvals as rules
from bookings.domain.booking import Booking
from bookings.service_layer.lifecycle import Lifecycle
from bookings.service_layer.parts import Parts
from bookings.service_layer.publication import publication
from bookings.service_layer.seating import Seating
from parkgrid.aggregates import Decision, change
from parkgrid.contracts.bookings import BookingStatus
from parkgrid.domain import DomainEvent
from parkgrid.logging import get_logger
from parkgrid.outbox import VersionConflict
from parkgrid.store import Document

log = get_logger(__name__)

Decide = Callable[[Booking, datetime], tuple[Booking, list[DomainEvent]]]


class Approvals:
    def __init__(self, parts: Parts, seating: Seating, lifecycle: Lifecycle, queue: ApprovalQueue) -> None:
        self.parts = parts
        self.seating = seating
        self.lifecycle = lifecycle
        self.queue = queue

    async def approve(self, booking_id: str) -> tuple[Booking, int]:
        """Confirmed (`booking.confirmed`, as any confirmation); a reschedule's old booking is let go."""
        approved, version, _ = await self._decide(booking_id, rules.approve)
        if approved.replaces:
            await self.lifecycle.retire_replaced(approved)
        return approved, version

    async def decline(self, booking_id: str, note: str) -> tuple[Booking, int]:
        """Rejected (`declined`, with the staff's note); what it held goes back."""
        declined, version, _ = await self._decide(booking_id, lambda b, now: rules.decline(b, note, now))
        await self.seating.free(declined)
        return declined, version

    async def expire_due(self, now: datetime) -> int:
        """The sweeper's pass: every booking still awaiting at its deadline is rejected
        (`approval_expired`) once, however many sweeps run; what it held goes back."""
        expired = 0
        for booking_id in await self.queue.due(now):
            try:
                booking, _, changed = await self._decide(booking_id, lambda b, _: rules.expire(b, now))
            except VersionConflict:
                continue  # kept moving: the next sweep decides it
            if changed:
                expired += 1
                log.info("bookings.approval_expired", booking=booking_id)
            if booking.status == BookingStatus.REJECTED:
                await self.seating.free(booking)  # idempotent: also finishes what a crash left
        return expired

    async def _decide(self, booking_id: str, decide: Decide) -> tuple[Booking, int, bool]:
        """The booking after the rule, decided on its current document under the version guard,
        its version, and whether this call saved it."""
        saved = False

        def rule(doc: Document) -> Decision | None:
            nonlocal saved
            booking, happened = decide(booking_of(doc), self.parts.now())
            saved = bool(happened)
            return (state_of(booking), publication(happened)) if happened else None

        doc, version = await change(self.parts.bookings.store, booking_id, rule, what="booking")
        decided = booking_of(doc)
        if saved:
            self.parts.written()
            self.parts.changed(booking_id, (decided, version))
        return decided, version, saved
