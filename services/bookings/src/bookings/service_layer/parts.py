"""What every part of bookings' service layer stands on: the stores, the clock and two signals.

The service layer is split by responsibility (commands, lifecycle, seating, saga, ledger,
sweepers); each part takes this one object rather than six arguments, so a test can swap
the clock for all of them at once (`BookingService.clock`). The stores are ports
(`ports`, `adapters.guards`): the real adapters in `BookingService`, in-memory ones in the
fast tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bookings.adapters.guards import SeatGuards
from bookings.domain.booking import Actor, Booking, InvalidBooking
from bookings.service_layer.changes import Changed
from bookings.service_layer.ports import BookingRecords, CreditsHeld, Known, WaitingLines
from parkgrid.clock import utc_now
from parkgrid.contracts.catalogue import OfferingSnapshot
from parkgrid.refusals import Refusal, Refused

if TYPE_CHECKING:
    from bookings.service_layer.limits import PlanLimits

SYSTEM = Actor("system", "bookings")


@dataclass(frozen=True)
class Timing:
    """How long things wait, from the settings: a pending booking's hold, check-in's opening."""

    hold: timedelta = timedelta(minutes=15)
    check_in_opens: timedelta = timedelta(minutes=60)


class UnknownBooking(Refused):
    """No booking by that id (404)."""

    def __init__(self, booking_id: str) -> None:
        super().__init__(Refusal.NOT_FOUND, f"there is no booking {booking_id}")
        self.booking_id = booking_id


@dataclass
class Parts:
    bookings: BookingRecords
    seats: SeatGuards
    waitlist: WaitingLines
    projections: Known
    ledger: CreditsHeld
    clock: Callable[[], datetime] = utc_now
    written: Callable[[], None] = field(default=lambda: None)  # wakes the outbox relay
    changed: Changed = field(default=lambda booking_id, written: None)  # wakes `Prefer: wait` requests
    timing: Timing = field(default_factory=Timing)
    limits: PlanLimits | None = None  # the sites' per-period limits per plan; none: no such limits

    def now(self) -> datetime:
        return self.clock()

    async def offering(self, offering_id: str) -> tuple[OfferingSnapshot, str]:
        """The offering as projected and the time zone its sessions live in (its site's)."""
        offering = await self.projections.offerings.get(offering_id)
        if offering is None:
            raise InvalidBooking(f"there is no offering {offering_id}", field="offering_id")
        zone = await self.projections.sites.time_zone(offering.site_id) or offering.time_zone
        return offering, zone

    async def get(self, booking_id: str) -> tuple[Booking, int]:
        found = await self.bookings.get(booking_id)
        if found is None:
            raise UnknownBooking(booking_id)
        return found
