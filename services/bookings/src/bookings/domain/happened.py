"""What happens to a booking and to a member's credits, in bookings' own words.

The domain events of `domain.booking` and `domain.entitlements`. Each carries the aggregate
as it stands after the fact, plus what else the fact needs (who did it, the state it left,
a reason). None is published as is: `service_layer.publication` turns them into the public
events of `bookings.booking` and `bookings.entitlement`, and the saga's commands to spaces.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from parkgrid.contracts.bookings import BookingStatus
from parkgrid.domain import DomainEvent

if TYPE_CHECKING:
    from bookings.domain.booking import Actor, Booking
    from bookings.domain.entitlements import Entitlement


@dataclass(frozen=True)
class BookingOpened(DomainEvent):
    """The seats are held and the booking waits for its space (pending)."""

    booking: Booking


@dataclass(frozen=True)
class SpaceSought(DomainEvent):
    """The booking asked spaces for a room, under its current request id."""

    booking: Booking


@dataclass(frozen=True)
class BookingSecured(DomainEvent):
    """The member has the seat, and the space if one was needed (confirmed)."""

    booking: Booking


@dataclass(frozen=True)
class ApprovalAwaited(DomainEvent):
    """The seat (and space) is held; the offering requires its site's staff to decide by `booking.decide_by`."""

    booking: Booking


@dataclass(frozen=True)
class BookingTurnedDown(DomainEvent):
    """Spaces found no room: the booking holds nothing any more (rejected)."""

    booking: Booking
    detail: str


@dataclass(frozen=True)
class BookingCalledOff(DomainEvent):
    """The booking was cancelled by `by`, from `previous_status`; `booking.late` says if inside the window."""

    booking: Booking
    by: Actor
    previous_status: BookingStatus


@dataclass(frozen=True)
class SpaceGivenUp(DomainEvent):
    """The booking no longer wants the space of request `request_id` (cancelled, or a late answer)."""

    booking: Booking
    request_id: str
    reason: str


@dataclass(frozen=True)
class MemberArrived(DomainEvent):
    """The member was checked in by `by`."""

    booking: Booking
    by: Actor


@dataclass(frozen=True)
class SessionAttended(DomainEvent):
    """The session ended with the member checked in (completed)."""

    booking: Booking


@dataclass(frozen=True)
class SessionMissed(DomainEvent):
    """The member never came: not checked in by the end plus the grace period, or released earlier
    by its site's rule (`booking.released_at`) (no-show)."""

    booking: Booking


@dataclass(frozen=True)
class PlaceTaken(DomainEvent):
    """A member took a place in the line of a full session (`position`: 1 = next)."""

    place: Mapping[str, Any]


@dataclass(frozen=True)
class PlacePromoted(DomainEvent):
    """A waitlist place got the seat it waited for; `booking_id` is the booking it becomes."""

    place: Mapping[str, Any]
    booking_id: str


@dataclass(frozen=True)
class PlaceLeft(DomainEvent):
    """A waitlist place ended without a seat (`reason`: left, session_started, no_longer_eligible)."""

    place: Mapping[str, Any]
    reason: str


@dataclass(frozen=True)
class CreditsGranted(DomainEvent):
    """A member's allowance of a category for a period opened (with its first use)."""

    entitlement: Entitlement
    reason: str


@dataclass(frozen=True)
class CreditsUsed(DomainEvent):
    """A confirmed booking used `amount` credits of the allowance."""

    entitlement: Entitlement
    booking_id: str
    amount: int


@dataclass(frozen=True)
class CreditsGivenBack(DomainEvent):
    """A timely cancellation gave back the `amount` its booking used."""

    entitlement: Entitlement
    booking_id: str
    amount: int
