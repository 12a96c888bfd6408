"""Approvals (issue 25 part 2): a booking of an offering that requires staff confirmation waits
for a decision of its site's staff, holding its seat, until a deadline.

    waiting ──(staff approve)──> approved
       ├──(staff decline, with a reason)──> declined
       ├──(nobody decided before the deadline)──> expired
       └──(the member cancelled first)──> withdrawn

One approval per booking, kept beside it (adapters.approvals). Every rule here is pure: it takes
the approval as it stands and returns the new one, or refuses (`Unavailable`, 409) naming the
decision already taken, so two staff (or staff and the sweeper, or staff and the member) racing
on one booking end with exactly one outcome once the rule is applied inside the store's
version-guarded write (`parkgrid.aggregates.change`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from bookings.domain.booking import Actor, InvalidBooking, Unavailable
from parkgrid.contracts.catalogue import OfferingSnapshot

DECIDE_BEFORE_START = timedelta(hours=2)
"""A decision is due at the latest this long before the session, so a member declined (or
expired) still has time to book something else and the desk to prepare the room."""
REASON_MAX = 500


class ApprovalStatus(StrEnum):
    WAITING = "waiting"
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


@dataclass(frozen=True)
class Approval:
    booking_id: str
    site_id: str | None
    member_id: str
    offering_id: str
    starts_at: datetime
    requested_at: datetime
    deadline: datetime
    status: ApprovalStatus = ApprovalStatus.WAITING
    decided_by: Actor | None = None
    decided_at: datetime | None = None
    reason: str | None = None

    def state(self) -> dict[str, Any]:
        """The document the store keeps (its `_id` is the booking's)."""
        doc = asdict(self)
        doc["status"] = self.status.value
        doc["decided_by"] = self.decided_by.as_dict() if self.decided_by else None
        return doc


def approval_of(doc: dict[str, Any]) -> Approval:
    decided_by = doc.get("decided_by")
    return Approval(
        booking_id=doc["booking_id"],
        site_id=doc.get("site_id"),
        member_id=doc["member_id"],
        offering_id=doc["offering_id"],
        starts_at=doc["starts_at"],
        requested_at=doc["requested_at"],
        deadline=doc["deadline"],
        status=ApprovalStatus(doc["status"]),
        decided_by=Actor(**decided_by) if decided_by else None,
        decided_at=doc.get("decided_at"),
        reason=doc.get("reason"),
    )


def deadline_of(policy: ApprovalPolicy, requested_at: datetime, starts_at: datetime) -> datetime:
    """The earlier of the offering's window after the request and `DECIDE_BEFORE_START` before the
    session; never before the request itself (a late booking is decided at once or expires)."""
    due = min(requested_at + timedelta(hours=policy.decide_within_hours), starts_at - DECIDE_BEFORE_START)
    return max(due, requested_at)


def await_approval(
    policy: ApprovalPolicy,
    *,
    booking_id: str,
    site_id: str | None,
    member_id: str,
    offering_id: str,
    starts_at: datetime,
    now: datetime,
) -> Approval | None:
    """The approval a new booking waits on, or None when its offering needs none."""
    if not policy.required:
        return None
    return Approval(
        booking_id=booking_id,
        site_id=site_id,
        member_id=member_id,
        offering_id=offering_id,
        starts_at=starts_at,
        requested_at=now,
        deadline=deadline_of(policy, now, starts_at),
    )


def _still_waiting(approval: Approval, now: datetime) -> None:
    if approval.status != ApprovalStatus.WAITING:
        raise Unavailable(f"booking {approval.booking_id} was already {approval.status.value}")
    if now >= approval.deadline:
        raise Unavailable(f"the decision was due by {approval.deadline.isoformat()}; the hold has expired")


def approve(approval: Approval, actor: Actor, now: datetime) -> Approval:
    """Staff confirm the booking: it becomes confirmed (the caller's next step), with who decided."""
    _still_waiting(approval, now)
    return replace(approval, status=ApprovalStatus.APPROVED, decided_by=actor, decided_at=now)


def decline(approval: Approval, actor: Actor, reason: str, now: datetime) -> Approval:
    """Staff refuse the booking with a reason the member reads; its seat is then released."""
    text = reason.strip()
    if not text:
        raise InvalidBooking("say why the booking is declined", field="reason")
    if len(text) > REASON_MAX:
        raise InvalidBooking(f"a reason has at most {REASON_MAX} characters", field="reason")
    _still_waiting(approval, now)
    return replace(approval, status=ApprovalStatus.DECLINED, decided_by=actor, decided_at=now, reason=text)


def expire(approval: Approval, now: datetime) -> Approval | None:
    """The sweeper's rule: still waiting at the deadline → expired; None otherwise (nothing to do)."""
    if approval.status != ApprovalStatus.WAITING or now < approval.deadline:
        return None
    return replace(approval, status=ApprovalStatus.EXPIRED, decided_at=now, reason="approval_expired")


def withdraw(approval: Approval, actor: Actor, now: datetime) -> Approval:
    """The member cancels while waiting: no decision is needed any more."""
    if approval.status != ApprovalStatus.WAITING:
        raise Unavailable(f"booking {approval.booking_id} was already {approval.status.value}")
    return replace(approval, status=ApprovalStatus.WITHDRAWN, decided_by=actor, decided_at=now)
