"""Approvals (issue 25 part 2): the pure rules (deadline, awaiting instead of confirmed, approve,
decline with a note, expiry, withdrawal) and, over the real store, staff, the member and the sweep
racing on one awaiting booking: exactly one outcome is saved and the others are refused as already
decided, while the same race without the version guard (a test-only subclass) saves several, so
the race test can fail.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from bookings_support import SITE, a_booking, bearer, book_each, in_days, member, now, offering, project, site

from bookings.adapters.bookings import booking_of, state_of
from bookings.domain import approvals as rules
from bookings.domain import booking as lifecycle
from bookings.domain.approvals import AlreadyDecided, ApprovalPolicy, NotAwaitingApproval, Outcome
from bookings.domain.booking import Actor, Booking, InvalidBooking, Unavailable
from bookings.domain.slots import bookable_window, session_key
from bookings.service_layer.approvals import Approvals, Decide
from bookings.service_layer.service import BookingService
from parkgrid.contracts.bookings import BookingStatus
from parkgrid.contracts.catalogue import ApprovalRule, OfferingPublished

pytest_plugins = ["bookings_fixtures"]

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
START = NOW + timedelta(days=5)
MEMBER = Actor("member", "p-1")


def clinic(hours: int = 24) -> OfferingPublished:
    """The test offering, its bookings approved by staff within `hours`."""
    plain = offering("off-test-mentoring")
    approval = ApprovalRule(decide_within_hours=hours)
    return plain.model_copy(update={"rules": plain.rules.model_copy(update={"approval": approval})})


def awaiting(starts_at: datetime = START, room: bool = False) -> Booking:
    """A booking of an approval offering whose seat (and room, with `room`) is now held."""
    pending = a_booking(
        starts_at,
        NOW,
        decide_by=rules.deadline_of(ApprovalPolicy(True, 24), NOW, starts_at),
        reservation_request_id="b-1.r1" if room else None,
    )
    held, happened = lifecycle.confirm(pending, "room-1" if room else None, NOW)
    assert [type(e).__name__ for e in happened] == ["ApprovalAwaited"]
    return held


def test_the_policy_is_the_offerings_published_rule() -> None:
    plain = offering("off-clinic")
    assert rules.policy_of(plain) == ApprovalPolicy()
    assert rules.decide_by_of(plain, NOW, START) is None
    assert rules.policy_of(clinic(hours=12)) == ApprovalPolicy(required=True, decide_within_hours=12)
    assert rules.decide_by_of(clinic(hours=12), NOW, START) == NOW + timedelta(hours=12)


def test_the_deadline_is_the_window_or_before_the_session_whichever_comes_first() -> None:
    policy = ApprovalPolicy(required=True, decide_within_hours=48)
    assert rules.deadline_of(policy, NOW, START) == NOW + timedelta(hours=48)
    tomorrow = NOW + timedelta(hours=20)
    assert rules.deadline_of(policy, NOW, tomorrow) == tomorrow - lifecycle.DECIDE_BEFORE_START
    assert rules.deadline_of(policy, NOW, NOW + timedelta(hours=1)) == NOW  # too late to wait: expires at once


def test_a_session_too_soon_to_decide_is_neither_offered_nor_booked_by_anyone() -> None:
    """A booking that waits for staff needs the time to decide: within `DECIDE_BEFORE_START` plus
    `LEAST_TIME_TO_DECIDE` of the session it could only expire on arrival, so the slots leave the
    session out and the rule refuses it, a walk-in included (the desk waives the offering's notice,
    not the decision). An offering without approval keeps its own notice."""
    least = lifecycle.DECIDE_BEFORE_START + lifecycle.LEAST_TIME_TO_DECIDE
    too_soon, in_time = NOW + least - timedelta(minutes=1), NOW + least
    for walk_in in (False, True):
        with pytest.raises(InvalidBooking) as refused:
            lifecycle.check_rules(clinic(), too_soon, 1, NOW, walk_in=walk_in)
        assert refused.value.field == "starts_at"
        assert f"{int(least.total_seconds()) // 60} minutes" in str(refused.value)
        lifecycle.check_rules(clinic(), in_time, 1, NOW, walk_in=walk_in)
        assert lifecycle.notice_of(clinic(), walk_in=walk_in) == least
        earliest, _ = bookable_window(clinic(), NOW, walk_in=walk_in)
        assert earliest == in_time
    assert lifecycle.notice_of(offering("off-test-mentoring"), walk_in=True) == timedelta(0)
    lifecycle.check_rules(offering("off-test-mentoring"), NOW + timedelta(minutes=5), 1, NOW, walk_in=True)
    assert rules.deadline_of(rules.policy_of(clinic()), NOW, in_time) == NOW + lifecycle.LEAST_TIME_TO_DECIDE


def test_a_held_booking_awaits_approval_instead_of_being_confirmed_and_holds_its_seat() -> None:
    plain, _ = lifecycle.open_booking(a_booking(START, NOW), NOW)
    assert plain.status == BookingStatus.CONFIRMED
    held = awaiting()
    assert held.status == BookingStatus.AWAITING_APPROVAL
    assert (held.holds_seat, held.awaited_at, held.confirmed_at) == (True, NOW, None)
    assert held.decide_by == NOW + timedelta(hours=24)
    assert rules.outcome_of(held) is None


def test_staff_approve_or_decline_once_and_a_decision_after_the_deadline_is_refused() -> None:
    later = NOW + timedelta(hours=1)
    approved, happened = rules.approve(awaiting(), later)
    assert (approved.status, approved.confirmed_at, rules.outcome_of(approved)) == (
        BookingStatus.CONFIRMED,
        later,
        Outcome.APPROVED,
    )
    assert [type(e).__name__ for e in happened] == ["BookingSecured"]  # published as any confirmation
    with pytest.raises(AlreadyDecided, match="already approved") as twice:
        rules.decline(approved, "no", later)
    assert twice.value.extra == {"outcome": "approved"}
    declined, happened = rules.decline(awaiting(room=True), "  the expert is away that week ", later)
    assert (declined.status, declined.reason, declined.decline_note) == (
        BookingStatus.REJECTED,
        "declined",
        "the expert is away that week",
    )
    assert [type(e).__name__ for e in happened] == ["BookingTurnedDown", "SpaceGivenUp"]  # its room goes back
    with pytest.raises(AlreadyDecided, match="already declined"):
        rules.approve(declined, later)
    with pytest.raises(InvalidBooking, match="say why"):
        rules.decline(awaiting(), "   ", later)
    with pytest.raises(InvalidBooking, match="at most 500"):
        rules.decline(awaiting(), "x" * 501, later)
    with pytest.raises(AlreadyDecided, match="already expired"):
        rules.approve(awaiting(), NOW + timedelta(hours=24))
    with pytest.raises(NotAwaitingApproval):
        rules.approve(a_booking(START, NOW, status=BookingStatus.CONFIRMED), later)


def test_the_sweep_expires_only_what_still_awaits_at_its_deadline_and_a_withdrawal_is_never_late() -> None:
    held = awaiting()
    assert rules.expire(held, NOW + timedelta(hours=23)) == (held, [])
    expired, _ = rules.expire(held, NOW + timedelta(hours=24))
    assert (expired.status, expired.reason, rules.outcome_of(expired)) == (
        BookingStatus.REJECTED,
        "approval_expired",
        Outcome.EXPIRED,
    )
    assert rules.expire(expired, NOW + timedelta(hours=25)) == (expired, [])
    withdrawn, _ = lifecycle.cancel(held, MEMBER, START - timedelta(hours=1), 24 * 60)
    assert (withdrawn.status, withdrawn.late, rules.outcome_of(withdrawn)) == (
        BookingStatus.CANCELLED,
        False,
        Outcome.WITHDRAWN,
    )
    assert rules.expire(withdrawn, NOW + timedelta(hours=24)) == (withdrawn, [])


def test_the_stored_booking_reads_back_the_same() -> None:
    declined, _ = rules.decline(awaiting(), "not this stage", NOW)
    assert booking_of(state_of(declined)) == declined


# --- racing over the real store -----------------------------------------------------


class UnguardedApprovals(Approvals):
    """Test-only: decides on what it read and writes without the version guard (the bug the guard
    prevents), so the race below shows what it protects."""

    async def _decide(self, booking_id: str, decide: Decide) -> tuple[Booking, int, bool]:
        booking, version = await self.parts.get(booking_id)
        after, happened = decide(booking, self.parts.now())
        await asyncio.sleep(0.01)  # another decision reads meanwhile
        if happened:
            await self.parts.bookings.collection.update_one(  # type: ignore[attr-defined]
                {"_id": booking_id}, {"$set": state_of(after)}
            )
        return after, version + 1, bool(happened)


async def race(service: BookingService, approvals: Approvals, booking_id: str, deadline: datetime) -> int:
    """Two desks approving, two declining, the member withdrawing and a sweep whose clock is at the
    deadline, all at once: how many of them decided the approval (the member's cancellation counts
    when it withdrew the booking awaiting, not when it cancelled it once approved, which is allowed)."""
    tries = [
        approvals.approve(booking_id),
        approvals.approve(booking_id),
        approvals.decline(booking_id, "the expert cancelled"),
        approvals.decline(booking_id, "not this stage"),
    ]
    *decisions, withdrawal, swept = await asyncio.gather(
        *tries, service.cancel(booking_id, MEMBER), approvals.expire_due(deadline), return_exceptions=True
    )
    for outcome in (*decisions, withdrawal, swept):
        if isinstance(outcome, BaseException) and not isinstance(outcome, Unavailable):
            raise outcome
    withdrew = isinstance(withdrawal, tuple) and rules.outcome_of(withdrawal[0]) == Outcome.WITHDRAWN
    return sum(isinstance(o, tuple) for o in decisions) + withdrew + (swept if isinstance(swept, int) else 0)


@pytest.mark.parametrize("guarded", [True, False], ids=["guarded", "unguarded"])
async def test_racing_decisions_on_one_booking_save_exactly_one(
    client: httpx.AsyncClient, service: BookingService, tokens: dict[str, str], guarded: bool
) -> None:
    await project(service, site(), clinic(), member())
    approvals = (Approvals if guarded else UnguardedApprovals)(
        service.parts, service.seating, service.lifecycle, service.approvals.queue
    )
    won: list[int] = []
    for day in range(2, 7):
        starts_at = in_days(day)
        (booking_id,) = await book_each(client, bearer(tokens["member"]), starts_at, member().member_id)
        booking, _ = await service.get(booking_id)
        assert booking.status == BookingStatus.AWAITING_APPROVAL
        assert booking.decide_by is not None
        saved = await race(service, approvals, booking_id, booking.decide_by)
        won.append(saved)
        if guarded:
            after, _ = await service.get(booking_id)
            assert saved == 1, (saved, after)
            assert rules.outcome_of(after) is not None
            held = await service.seats.sessions.get(session_key(booking.offering_id, booking.starts_at))
            assert int(held["taken"] if held else 0) == (1 if after.holds_seat else 0), after
    if not guarded:
        assert max(won) > 1, "without the guard several decisions should be saved"


async def test_the_queue_lists_a_sites_awaiting_bookings_and_two_sweeps_expire_the_overdue_once(
    client: httpx.AsyncClient, service: BookingService, tokens: dict[str, str]
) -> None:
    await project(service, site(), clinic(), member())
    me = bearer(tokens["member"])
    soon, later, decided = [(await book_each(client, me, in_days(d), member().member_id))[0] for d in (1, 3, 4)]
    await service.approvals.approve(decided)
    queue, cursor = await service.approvals.queue.waiting(SITE, 1)
    assert [b.booking_id for b in queue] == [soon]
    assert cursor is not None
    rest, last = await service.approvals.queue.waiting(SITE, 5, cursor)
    assert [b.booking_id for b in rest] == [later]
    assert last is None
    assert (await service.approvals.queue.waiting("site-rabat", 5))[0] == []
    due, _ = await service.get(soon)
    assert due.decide_by is not None
    assert due.decide_by > now()
    expired = await asyncio.gather(*(service.approvals.expire_due(due.decide_by) for _ in range(2)))
    assert sum(expired) == 1  # two sweepers at once expire it once
    gone, _ = await service.get(soon)
    assert (gone.status, gone.reason) == (BookingStatus.REJECTED, "approval_expired")
    held = await service.seats.sessions.get(session_key(gone.offering_id, gone.starts_at))
    assert held is not None
    assert int(held["taken"]) == 0  # its seat went back
    assert [b.booking_id for b in (await service.approvals.queue.waiting(SITE, 5))[0]] == [later]
