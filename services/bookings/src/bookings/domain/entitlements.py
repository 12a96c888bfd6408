"""Programme-aware credits: what a member at a given stage may use per period and category.

A confirmed booking of an offering that costs credits consumes them from the allowance of
the period its session falls in; a timely cancellation gives them back; a late cancellation
or a no-show does not. The ledger is derived from booking events only, so it can be
dropped and rebuilt from the topic. Each change returns the ledger after it and the domain
events (`domain.happened`) that say what happened.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date

from bookings.domain.booking import Booking, local_day, period_of
from bookings.domain.happened import CreditsGivenBack, CreditsGranted, CreditsUsed
from parkgrid.contracts.bookings import BookingStatus
from parkgrid.contracts.catalogue import OfferingSnapshot, Period
from parkgrid.domain import DomainEvent

# stage -> category -> (credits, period)
ALLOWANCES: dict[str, dict[str, tuple[int, Period]]] = {
    "pre_incubation": {"mentoring": (4, Period.QUARTER), "innovation": (4, Period.QUARTER)},
    "incubation": {
        "mentoring": (6, Period.QUARTER),
        "innovation": (4, Period.QUARTER),
        "market_access": (4, Period.QUARTER),
        "meeting_room": (10, Period.MONTH),
    },
    "acceleration": {
        "mentoring": (4, Period.QUARTER),
        "market_access": (6, Period.QUARTER),
        "meeting_room": (20, Period.MONTH),
    },
    "resident": {"meeting_room": (20, Period.MONTH)},
}


def allowance_for(stage: str, category: str) -> tuple[int, Period] | None:
    return ALLOWANCES.get(stage, {}).get(category)


def entitlement_id(member_id: str, category: str, period_start: date) -> str:
    return f"ent-{member_id}-{category}-{period_start.isoformat()}"


@dataclass(frozen=True)
class Entitlement:
    """One member's allowance of one category over one period, and the bookings it served."""

    entitlement_id: str
    member_id: str
    category: str
    period_start: date
    period_end: date
    allowance: int
    consumed: tuple[tuple[str, int], ...] = ()
    restored: tuple[str, ...] = ()

    @property
    def used(self) -> int:
        return sum(amount for booking, amount in self.consumed if booking not in self.restored)

    @property
    def remaining(self) -> int:
        """Never clamped: an overdraft shows (the reservation guard leaves none to show)."""
        return self.allowance - self.used

    def consumed_by(self, booking_id: str) -> int:
        return next((amount for booking, amount in self.consumed if booking == booking_id), 0)


def grant(member_id: str, stage: str, category: str, day: date) -> Entitlement | None:
    """The allowance of the period containing `day`, or None when the stage has none for the category."""
    found = allowance_for(stage, category)
    if found is None:
        return None
    amount, period = found
    first, last = period_of(period, day)
    return Entitlement(entitlement_id(member_id, category, first), member_id, category, first, last, amount)


def opened(entitlement: Entitlement, stage: str) -> CreditsGranted:
    """The fact of a newly granted allowance, recorded with its first use."""
    return CreditsGranted(entitlement, f"{stage} allowance for {entitlement.category}")


def consume(entitlement: Entitlement, booking_id: str, amount: int) -> tuple[Entitlement, list[DomainEvent]] | None:
    """The ledger after a booking used `amount`; None if it already did (a redelivered event)."""
    if entitlement.consumed_by(booking_id):
        return None
    after = replace(entitlement, consumed=(*entitlement.consumed, (booking_id, amount)))
    return after, [CreditsUsed(after, booking_id, amount)]


def restore(entitlement: Entitlement, booking_id: str) -> tuple[Entitlement, list[DomainEvent]] | None:
    """The ledger after a timely cancellation gave back what the booking used; None if nothing to do."""
    amount = entitlement.consumed_by(booking_id)
    if not amount or booking_id in entitlement.restored:
        return None
    after = replace(entitlement, restored=(*entitlement.restored, booking_id))
    return after, [CreditsGivenBack(after, booking_id, amount)]


# --- what a booking reserves when it is requested ---------------------------------------

LIMIT = "limit"
CREDITS = "credits"
PLAN = "plan"  # a site's per-period limit per plan (`domain.limits`)


@dataclass(frozen=True)
class Allowance:
    """A counter one booking reserves `amount` of, up to `limit`: the member's bookings of an
    offering per period (`limit`), or its credits of a category per period (`credits`).

    Reserved by one conditional write naming the booking (`adapters.sessions.MemberAllowances`),
    so concurrent requests never pass `limit` and a retry never counts twice."""

    allowance_id: str
    member_id: str
    kind: str
    limit: int
    amount: int
    counts: Counted | None = None


@dataclass(frozen=True)
class Counted:
    """What an allowance counts: bookings of one offering (`limit`) or one category (`credits`)
    whose session's local day is in `first`..`last` (inclusive)."""

    first: date
    last: date
    offering_id: str | None = None
    category: str | None = None


def already_held(allowance: Allowance, bookings: Iterable[Booking]) -> dict[str, int]:
    """What the member's bookings made before the allowance existed hold of it (booking id -> amount):
    those of its offering or category in its period that still hold its kind (not rejected, not
    cancelled; a late cancellation keeps its credits), `amount` each for the limit, their credits
    for credits. The allowance starts from these when it is first created."""
    counted = allowance.counts
    if counted is None:
        return {}
    held: dict[str, int] = {}
    for booking in bookings:
        day = local_day(booking.starts_at, booking.time_zone)
        if booking.member_id != allowance.member_id or not counted.first <= day <= counted.last:
            continue
        if counted.offering_id is not None and booking.offering_id != counted.offering_id:
            continue
        if counted.category is not None and booking.category != counted.category:
            continue
        if allowance.kind in given_back(booking.status, booking.late):
            continue
        amount = allowance.amount if allowance.kind == LIMIT else booking.credits
        if amount > 0:
            held[booking.booking_id] = amount
    return held


def allowances_for(offering: OfferingSnapshot, member_id: str, stage: str, day: date) -> list[Allowance]:
    """What a booking of `offering` on the local `day` reserves: its place in the per-member limit, its credits."""
    found: list[Allowance] = []
    limit = offering.rules.per_member_limit
    if limit is not None:
        first, last = period_of(limit.period, day)
        allowance_id = f"lim-{member_id}-{offering.offering_id}-{limit.period.value}-{first.isoformat()}"
        counts = Counted(first, last, offering_id=offering.offering_id)
        found.append(Allowance(allowance_id, member_id, LIMIT, limit.count, 1, counts))
    cost = offering.credits or 0
    granted = grant(member_id, stage, offering.category.value, day)
    if cost and granted is not None:
        counts = Counted(granted.period_start, granted.period_end, category=granted.category)
        found.append(Allowance(f"cr-{granted.entitlement_id}", member_id, CREDITS, granted.allowance, cost, counts))
    return found


def given_back(status: BookingStatus, late: bool | None) -> tuple[str, ...]:
    """What a booking in `status` no longer holds: a rejected or timely cancelled one returns its
    credits and its place in the limits (the offering's and the plan's); a late cancellation keeps
    the credits (the offering's policy) but counts no more towards the limits; any other status
    (a no-show too) keeps them all."""
    if status == BookingStatus.REJECTED or (status == BookingStatus.CANCELLED and not late):
        return (LIMIT, PLAN, CREDITS)
    if status == BookingStatus.CANCELLED:
        return (LIMIT, PLAN)
    return ()
