"""Approvals (issue 25 part 2): a booking of an offering that requires staff confirmation (an
expert clinic, a hall) holds its seat, and its room, as `awaiting_approval` until its site's
staff decide, at the latest by its `decide_by`.

    pending ──(seat and room held)──> awaiting_approval ──(staff approve)──> confirmed
                                          ├──(staff decline, with a note)──> rejected (declined)
                                          ├──(nobody decided by decide_by)──> rejected (approval_expired)
                                          └──(the member cancels first)──> cancelled (withdrawn)

The approval is the booking itself, not a second document: every decision is one of these pure
rules applied to the booking as it stands inside its one version-guarded write (the kit's
`change`), so staff approving, staff declining, the sweeper expiring and the member cancelling
one booking at once end with exactly one outcome, the others refused naming it (409).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from bookings.domain.booking import (
    DECIDE_BEFORE_START,
    Booking,
    BookingRefused,
    InvalidBooking,
    Unavailable,
    release,
)
from bookings.domain.happened import BookingSecured, BookingTurnedDown
from parkgrid.contracts.bookings import BookingStatus
from parkgrid.contracts.catalogue import OfferingSnapshot
from parkgrid.domain import DomainEvent
from parkgrid.refusals import Refusal

NOTE_MAX = 500
DECLINED = "declined"
APPROVAL_EXPIRED = "approval_expired"


class Outcome(StrEnum):
    """How a booking that awaited approval left the queue."""

    APPROVED = "approved"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class ApprovalPolicy:
    """An offering's setting: whether its bookings wait for staff, and how long staff have."""

    required: bool = False
    decide_within_hours: int = 48


def policy_of(offering: OfferingSnapshot) -> ApprovalPolicy:
    """The offering's setting as the catalogue published it (`rules.approval`; absent: none)."""
    rule = offering.rules.approval
    if rule is None:
        return ApprovalPolicy()
    return ApprovalPolicy(required=rule.required, decide_within_hours=rule.decide_within_hours)


def deadline_of(policy: ApprovalPolicy, requested_at: datetime, starts_at: datetime) -> datetime:
    """The earlier of the offering's window after the request and `DECIDE_BEFORE_START` before the
    session; never before the request itself (a late booking is decided at once or expires)."""
    due = min(requested_at + timedelta(hours=policy.decide_within_hours), starts_at - DECIDE_BEFORE_START)
    return max(due, requested_at)


def decide_by_of(offering: OfferingSnapshot, requested_at: datetime, starts_at: datetime) -> datetime | None:
    """The deadline a new booking of `offering` carries, or None when its offering needs no approval."""
    policy = policy_of(offering)
    if not policy.required:
        return None
    due = deadline_of(policy, requested_at, starts_at)
    return due.replace(microsecond=due.microsecond // 1000 * 1000)  # as the store keeps it (ms)


class NotAwaitingApproval(BookingRefused):
    """The booking never waited for staff (its offering needs no approval, or its room was never
    held): there is no approval by that id (404)."""

    refusal = Refusal.NOT_FOUND


class AlreadyDecided(Unavailable):
    """The booking left the queue already (409); `outcome` says how."""

    def __init__(self, booking_id: str, outcome: Outcome) -> None:
        super().__init__(f"booking {booking_id} was already {outcome.value}")
        self.outcome = outcome
        self.extra["outcome"] = outcome.value


def outcome_of(booking: Booking) -> Outcome | None:
    """How the booking left the approval queue; None while it waits (or if it never did)."""
    if booking.awaited_at is None or booking.status == BookingStatus.AWAITING_APPROVAL:
        return None
    if booking.decided_at is None:
        return Outcome.WITHDRAWN  # cancelled while waiting: the only way out without a decision
    if booking.reason == DECLINED:
        return Outcome.DECLINED
    if booking.reason == APPROVAL_EXPIRED:
        return Outcome.EXPIRED
    return Outcome.APPROVED


def _waiting(booking: Booking, now: datetime) -> datetime:
    """The booking's deadline if staff may still decide it; refuses otherwise."""
    outcome = outcome_of(booking)
    if outcome is not None:
        raise AlreadyDecided(booking.booking_id, outcome)
    if booking.status != BookingStatus.AWAITING_APPROVAL or booking.decide_by is None:
        raise NotAwaitingApproval(f"booking {booking.booking_id} is {booking.status.value}, not awaiting approval")
    if now >= booking.decide_by:
        # Past its deadline, the sweeper's to expire: staff can no longer decide it.
        raise AlreadyDecided(booking.booking_id, Outcome.EXPIRED)
    return booking.decide_by


def approve(booking: Booking, now: datetime) -> tuple[Booking, list[DomainEvent]]:
    """Staff confirm the booking: confirmed, published as any confirmation (`booking.confirmed`)."""
    _waiting(booking, now)
    confirmed = replace(booking, status=BookingStatus.CONFIRMED, confirmed_at=now, decided_at=now)
    return confirmed, [BookingSecured(confirmed)]


def decline(booking: Booking, note: str, now: datetime) -> tuple[Booking, list[DomainEvent]]:
    """Staff refuse the booking with a note the member reads; its seat, room and allowances go back
    as for any rejection."""
    text = note.strip()
    if not text:
        raise InvalidBooking("say why the booking is declined", field="note")
    if len(text) > NOTE_MAX:
        raise InvalidBooking(f"a note has at most {NOTE_MAX} characters", field="note")
    _waiting(booking, now)
    return _turned_down(booking, DECLINED, text, now, note=text)


def expire(booking: Booking, now: datetime) -> tuple[Booking, list[DomainEvent]]:
    """The sweeper's rule: still awaiting at its deadline → rejected (`approval_expired`); nothing
    otherwise (decided, withdrawn, or not yet due)."""
    due = booking.decide_by
    if booking.status != BookingStatus.AWAITING_APPROVAL or due is None or now < due:
        return booking, []
    return _turned_down(booking, APPROVAL_EXPIRED, f"nobody decided by {due.isoformat()}", now)


def _turned_down(
    booking: Booking, reason: str, detail: str, now: datetime, note: str | None = None
) -> tuple[Booking, list[DomainEvent]]:
    rejected = replace(
        booking,
        status=BookingStatus.REJECTED,
        reason=reason,
        rejection_detail=detail,
        decline_note=note,
        decided_at=now,
    )
    happened: list[DomainEvent] = [BookingTurnedDown(rejected, detail)]
    if booking.reservation_request_id is not None:
        happened.append(release(booking, booking.reservation_request_id, f"booking {reason}"))
    return rejected, happened
