"""Approvals (issue 25 part 2): the pure rules (deadline, approve, decline with a reason, expiry,
withdrawal) and, over the real store, staff and member racing on one waiting booking: exactly one
decision is saved and the others are refused as already decided, while the same race without the
version guard (a test-only subclass) saves several, so the race test can fail.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from bookings_support import offering
from pymongo.asynchronous.database import AsyncDatabase

from bookings.adapters.approvals import ApprovalBook
from bookings.domain import approvals as rules
from bookings.domain.approvals import Approval, ApprovalPolicy, ApprovalStatus, approval_of
from bookings.domain.booking import Actor, InvalidBooking, Unavailable
from bookings.service_layer.approvals import Approvals
from parkgrid.contracts.catalogue import ApprovalRule
from parkgrid.store import Document

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
START = NOW + timedelta(days=5)
DESK = Actor("front_desk", "desk-casablanca")
OTHER_DESK = Actor("front_desk", "desk-casablanca-2")
MEMBER = Actor("member", "person-1")


def waiting(booking_id: str = "bk-clinic-1", starts_at: datetime = START) -> Approval:
    approval = rules.await_approval(
        ApprovalPolicy(required=True, decide_within_hours=48),
        booking_id=booking_id,
        site_id="site-casablanca",
        member_id="mem-1",
        offering_id="off-expert-clinic",
        starts_at=starts_at,
        now=NOW,
    )
    assert approval is not None
    return approval


def test_an_offering_without_approval_needs_none() -> None:
    none = rules.await_approval(
        ApprovalPolicy(), booking_id="b", site_id=None, member_id="m", offering_id="o", starts_at=START, now=NOW
    )
    assert none is None


def test_the_policy_is_the_offerings_published_rule() -> None:
    plain = offering("off-clinic")
    assert rules.policy_of(plain) == ApprovalPolicy()
    clinic = plain.model_copy(
        update={"rules": plain.rules.model_copy(update={"approval": ApprovalRule(decide_within_hours=12)})}
    )
    assert rules.policy_of(clinic) == ApprovalPolicy(required=True, decide_within_hours=12)


def test_the_deadline_is_the_window_or_before_the_session_whichever_comes_first() -> None:
    policy = ApprovalPolicy(required=True, decide_within_hours=48)
    assert rules.deadline_of(policy, NOW, START) == NOW + timedelta(hours=48)
    soon = NOW + timedelta(hours=10)
    assert rules.deadline_of(policy, NOW, soon) == soon - rules.DECIDE_BEFORE_START
    assert rules.deadline_of(policy, NOW, NOW + timedelta(hours=1)) == NOW


def test_staff_approve_or_decline_once_and_a_decision_after_the_deadline_is_refused() -> None:
    approved = rules.approve(waiting(), DESK, NOW)
    assert (approved.status, approved.decided_by) == (ApprovalStatus.APPROVED, DESK)
    with pytest.raises(Unavailable, match="already approved"):
        rules.decline(approved, OTHER_DESK, "full programme", NOW)
    with pytest.raises(InvalidBooking):
        rules.decline(waiting(), DESK, "   ", NOW)
    declined = rules.decline(waiting(), DESK, " the expert is away ", NOW)
    assert (declined.status, declined.reason) == (ApprovalStatus.DECLINED, "the expert is away")
    late = waiting().deadline
    with pytest.raises(Unavailable, match="expired"):
        rules.approve(waiting(), DESK, late)


def test_the_sweeper_expires_only_what_is_still_waiting_at_its_deadline() -> None:
    approval = waiting()
    assert rules.expire(approval, approval.deadline - timedelta(seconds=1)) is None
    expired = rules.expire(approval, approval.deadline)
    assert expired is not None
    assert expired.status == ApprovalStatus.EXPIRED
    assert expired.reason == "approval_expired"
    assert rules.expire(rules.approve(approval, DESK, NOW), approval.deadline) is None


def test_the_stored_document_reads_back_the_same() -> None:
    declined = rules.decline(waiting(), DESK, "no expert that day", NOW)
    assert approval_of(declined.state()) == declined


class UnguardedApprovals(Approvals):
    """Test-only: decides on what it read and writes without the version guard (the bug the
    guard prevents), so the race below shows what it protects."""

    async def _decide(self, booking_id: str, decide: Callable[[Approval], Approval]) -> Approval:
        doc = await self.book.get(booking_id)
        assert doc is not None
        after = decide(approval_of(doc))
        await asyncio.sleep(0.01)  # another decision reads meanwhile
        await self.book.collection.update_one({"_id": booking_id}, {"$set": after.state()})
        return after


async def race(approvals: Approvals, booking_id: str) -> list[Approval]:
    """Three desks approving, two declining and the member withdrawing, all at once."""
    tries = [
        approvals.approve(booking_id, DESK),
        approvals.approve(booking_id, OTHER_DESK),
        approvals.approve(booking_id, DESK),
        approvals.decline(booking_id, DESK, "the expert cancelled"),
        approvals.decline(booking_id, OTHER_DESK, "not this stage"),
        approvals.withdraw(booking_id, MEMBER),
    ]
    outcomes = await asyncio.gather(*tries, return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException) and not isinstance(outcome, Unavailable):
            raise outcome
    return [outcome for outcome in outcomes if isinstance(outcome, Approval)]


@pytest.mark.parametrize("guarded", [True, False], ids=["guarded", "unguarded"])
async def test_racing_decisions_on_one_booking_save_exactly_one(
    database: AsyncDatabase[Document], guarded: bool
) -> None:
    book = ApprovalBook(database["approvals"])
    await book.ensure_indexes()
    kind = Approvals if guarded else UnguardedApprovals
    approvals = kind(book, lambda: NOW)
    won: list[int] = []
    for round_ in range(5):
        booking_id = f"bk-clinic-{round_}"
        await approvals.open(waiting(booking_id))
        saved = await race(approvals, booking_id)
        won.append(len(saved))
        if guarded:
            stored = approval_of(await book.get(booking_id) or {})
            assert len(saved) == 1, saved
            assert stored == saved[0]
    if not guarded:
        assert max(won) > 1, "without the guard several decisions should be saved"


async def test_the_queue_lists_a_sites_waiting_bookings_and_the_sweeper_expires_the_overdue(
    database: AsyncDatabase[Document],
) -> None:
    book = ApprovalBook(database["approvals"])
    await book.ensure_indexes()
    clock = [NOW]
    approvals = Approvals(book, lambda: clock[0])
    soon = await approvals.open(waiting("bk-soon", NOW + timedelta(hours=10)))
    later = await approvals.open(waiting("bk-later"))
    decided = await approvals.open(waiting("bk-decided"))
    await approvals.approve(decided.booking_id, DESK)
    queue = [doc["_id"] for doc in await book.queue("site-casablanca")]
    assert queue == [soon.booking_id, later.booking_id]
    assert await book.queue("site-rabat") == []
    clock[0] = soon.deadline
    expired = await asyncio.gather(approvals.expire_due(), approvals.expire_due())
    assert sum(len(one) for one in expired) == 1  # two sweepers at once expire it once
    assert [doc["_id"] for doc in await book.queue("site-casablanca")] == [later.booking_id]
    with pytest.raises(Unavailable, match="already expired"):
        await approvals.approve(soon.booking_id, DESK)
