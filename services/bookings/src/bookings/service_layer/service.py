"""`BookingService`: the service layer's parts as one object, for the routes, consumers and tests.

Each responsibility lives in its own module (`commands`, `lifecycle`, `seating`, `saga`,
`ledger`, `sweepers`); this only builds them over one `Parts` and names their entry points,
so the wiring (bootstrap) and the routes depend on one thing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bookings.adapters.bookings import Bookings
from bookings.adapters.ledgers import Ledger, Waitlist
from bookings.adapters.projections import Projections
from bookings.adapters.sessions import Seats
from bookings.domain.booking import Booking
from bookings.service_layer.commands import BookCommand, Booker, Outcome
from bookings.service_layer.ledger import Credits
from bookings.service_layer.lifecycle import Lifecycle
from bookings.service_layer.parts import Parts, UnknownBooking
from bookings.service_layer.saga import Saga
from bookings.service_layer.seating import Seating
from bookings.service_layer.sweepers import Sweepers
from parkgrid.consumer import Delivery
from parkgrid.contracts.catalogue import OfferingSnapshot
from parkgrid.contracts.community import MemberSnapshot
from parkgrid.contracts.spaces import SiteSnapshot


class BookingService:
    def __init__(
        self,
        *,
        bookings: Bookings,
        seats: Seats,
        waitlist: Waitlist,
        projections: Projections,
        ledger: Ledger,
        written: Callable[[], None] = lambda: None,
        changed: Callable[[str], None] = lambda booking_id: None,
    ) -> None:
        self.parts = Parts(bookings, seats, waitlist, projections, ledger, written=written, changed=changed)
        self.seating = Seating(self.parts)
        self.lifecycle = Lifecycle(self.parts, self.seating)
        self.commands = Booker(self.parts, self.seating, self.lifecycle)
        self.saga = Saga(self.parts, self.seating, self.lifecycle)
        self.credits = Credits(ledger, projections.member, written)
        self.sweepers = Sweepers(self.parts, self.seating)
        # Entry points, by name.
        self.book = self.commands.book
        self.reschedule = self.commands.reschedule
        self.cancel = self.lifecycle.cancel
        self.check_in = self.lifecycle.check_in
        self.promote = self.seating.promote
        self.sweep = self.sweepers.sweep
        self.reclaim_lost_seats = self.sweepers.reclaim_lost_seats
        self.on_reservation = self.saga.on_reservation
        self.on_booking_event = self.credits.on_booking_event
        self.offering = self.parts.offering
        self.get = self.parts.get

    # The stores, as the read side and the tests see them.

    @property
    def bookings(self) -> Bookings:
        return self.parts.bookings

    @property
    def seats(self) -> Seats:
        return self.parts.seats

    @property
    def waitlist(self) -> Waitlist:
        return self.parts.waitlist

    @property
    def projections(self) -> Projections:
        return self.parts.projections

    @property
    def ledger(self) -> Ledger:
        return self.parts.ledger

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.parts.clock

    @clock.setter
    def clock(self, clock: Callable[[], datetime]) -> None:
        self.parts.clock = clock

    # --- what bookings learns of the other contexts --------------------------------------

    async def on_offering(self, delivery: Delivery) -> None:
        if isinstance(delivery.event, OfferingSnapshot):
            await self.projections.offerings.apply(delivery.envelope, delivery.event)

    async def on_member(self, delivery: Delivery) -> None:
        if isinstance(delivery.event, MemberSnapshot):
            await self.projections.members.apply(delivery.envelope, delivery.event)

    async def on_site(self, delivery: Delivery) -> None:
        if isinstance(delivery.event, SiteSnapshot):
            await self.projections.sites.apply(delivery.envelope, delivery.event)


__all__ = ["BookCommand", "Booking", "BookingService", "Outcome", "UnknownBooking"]
