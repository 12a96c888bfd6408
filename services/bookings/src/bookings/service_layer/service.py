"""`BookingService`: the service layer's parts as one object, for the routes, consumers and tests.

Each responsibility lives in its own module (`commands`, `lifecycle`, `seating`, `saga`,
`ledger`, `sweepers`); `BookingOffice` only builds them over one `Parts` and names their
entry points, so the wiring (bootstrap) and the routes depend on one thing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bookings.adapters.approvals import ApprovalQueue
from bookings.adapters.bookings import Bookings
from bookings.adapters.ledgers import Ledger
from bookings.adapters.limits import SiteLimits
from bookings.adapters.projections import Projections
from bookings.adapters.sessions import Seats
from bookings.adapters.waitlists import WaitingLines
from bookings.domain.booking import Booking
from bookings.service_layer.approvals import Approvals
from bookings.service_layer.changes import Changed
from bookings.service_layer.commands import BookCommand, Booker, Outcome
from bookings.service_layer.ledger import Credits, Entitlements
from bookings.service_layer.lifecycle import Lifecycle
from bookings.service_layer.limits import PlanLimits
from bookings.service_layer.parts import Parts, Timing, UnknownBooking
from bookings.service_layer.saga import Saga
from bookings.service_layer.seating import Seating
from bookings.service_layer.sweepers import Sweepers
from bookings.service_layer.waitlist import Leaving


class BookingOffice:
    """The service layer over its ports: every command and consumer of bookings' write side.

    It takes `Parts` (stores as ports) and the ledger's `Entitlements`, so the fast tests run
    it whole on in-memory stores; `BookingService` is the same over the real adapters.
    """

    def __init__(self, parts: Parts, entitlements: Entitlements) -> None:
        self.parts = parts
        parts.seats.sessions.clock = parts.now  # when seats last changed, on the service's clock
        self.leaving = Leaving(parts)
        self.seating = Seating(parts, self.leaving)
        self.lifecycle = Lifecycle(parts, self.seating)
        self.commands = Booker(parts, self.seating, self.lifecycle)
        self.saga = Saga(parts, self.seating, self.lifecycle)
        self.credits = Credits(entitlements, parts.projections.member, parts.written)
        self.sweepers = Sweepers(parts, self.seating)
        # Entry points, by name.
        self.book = self.commands.book
        self.reschedule = self.commands.reschedule
        self.cancel = self.lifecycle.cancel
        self.check_in = self.lifecycle.check_in
        self.promote = self.seating.promote
        self.sweep = self.sweepers.sweep
        self.reclaim_lost_seats = self.sweepers.reclaim_lost_seats
        self.expire_holds = self.sweepers.expire_holds
        self.leave_waitlist = self.leaving.leave
        self.expire_started_places = self.leaving.expire_started
        self.on_reservation = self.saga.on_reservation
        self.on_booking_event = self.credits.on_booking_event
        self.offering = parts.offering
        self.get = parts.get

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.parts.clock

    @clock.setter
    def clock(self, clock: Callable[[], datetime]) -> None:
        self.parts.clock = clock


class BookingService(BookingOffice):
    """`BookingOffice` over the real stores, which the views and the projections' consumers read too."""

    def __init__(
        self,
        *,
        bookings: Bookings,
        seats: Seats,
        waitlist: WaitingLines,
        projections: Projections,
        ledger: Ledger,
        written: Callable[[], None] = lambda: None,
        changed: Changed = lambda booking_id, written: None,
        timing: Timing | None = None,
        limits: SiteLimits | None = None,
    ) -> None:
        plan_limits = None if limits is None else PlanLimits(limits, ledger.allowances)
        parts = Parts(
            bookings,
            seats,
            waitlist,
            projections,
            ledger,
            written=written,
            changed=changed,
            timing=timing or Timing(),
            limits=plan_limits,
        )
        super().__init__(parts, ledger)
        self.bookings = bookings
        self.seats = seats
        self.waitlist = waitlist
        self.projections = projections
        self.ledger = ledger
        self.limits = plan_limits
        self.site_limits = limits
        self.approvals = Approvals(parts, self.seating, self.lifecycle, ApprovalQueue(bookings.collection))
        self.sweepers.approvals = self.approvals


__all__ = ["BookCommand", "Booking", "BookingOffice", "BookingService", "Outcome", "UnknownBooking"]
