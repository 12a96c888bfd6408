"""Bookings awaiting staff approval as insights reads them (issue 25 part 2), from the contract's
samples: `booking.awaiting_approval` tells the member the request is held until `decide_by`, an
approval is the usual `booking.confirmed`, a decline (`booking.rejected` v3) tells the member the
staff's note and an expiry says nobody approved in time, each in its own mail; the KPIs count an
awaiting booking, then its decision."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from insights.adapters.mail import Templates
from insights.domain.facts import Fact
from insights.domain.kpis import Scope, compute
from insights.domain.notices import NoticeKind, notice_for_event
from parkgrid.contracts.bookings import BookingAwaitingApproval, BookingConfirmed, BookingRejected

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "contracts" / "samples"
AWAITING = "parkgrid.bookings.booking.awaiting_approval"
CONFIRMED = "parkgrid.bookings.booking.confirmed"
REJECTED = "parkgrid.bookings.booking.rejected"
NOTE = "L'expert est absent cette semaine ; le 15 est libre."


def sample(event_type: str, version: int) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLES / f"{event_type}.v{version}.json").read_text("utf-8"))["data"]
    return data


def facts() -> tuple[datetime, list[Fact]]:
    """One booking awaiting, then approved; another awaiting, then declined with a note."""
    waiting = sample(AWAITING, 1)
    at = datetime.fromisoformat(waiting["requested_at"])
    approved = {**waiting, "status": "confirmed", "confirmed_at": (at + timedelta(hours=3)).isoformat()}
    approved.pop("decide_by")
    other = {**waiting, "booking_id": "bk-declined"}
    declined = {**other, "status": "rejected", "reason": "declined", "detail": NOTE, "decline_note": NOTE}
    declined.pop("decide_by")
    # each as the contract publishes it
    BookingAwaitingApproval.model_validate(waiting)
    BookingConfirmed.model_validate(approved)
    assert BookingRejected.model_validate(declined).version == 3
    return at, [
        Fact("e1", AWAITING, waiting["booking_id"], 2, at, waiting),
        Fact("e2", AWAITING, "bk-declined", 2, at, other),
        Fact("e3", CONFIRMED, waiting["booking_id"], 3, at + timedelta(hours=3), approved),
        Fact("e4", REJECTED, "bk-declined", 3, at + timedelta(hours=4), declined),
    ]


def test_the_member_is_told_of_the_request_then_of_the_decline_with_the_staffs_note() -> None:
    at, known = facts()
    waiting, _, _, declined = known
    age = timedelta(days=1)
    awaiting = notice_for_event(waiting.event_id, waiting.type, waiting.data, at, at, age)
    assert awaiting is not None
    assert awaiting.kind == NoticeKind.BOOKING_AWAITING_APPROVAL
    assert awaiting.context["decide_by"] == waiting.data["decide_by"]
    notice = notice_for_event(declined.event_id, declined.type, declined.data, declined.time, declined.time, age)
    assert notice is not None
    assert notice.kind == NoticeKind.BOOKING_DECLINED
    assert notice.context["reason"] == NOTE
    expired = {**declined.data, "reason": "approval_expired", "detail": "nobody decided by then", "decline_note": None}
    lapsed = notice_for_event("e5", REJECTED, expired, declined.time, declined.time, age)
    assert lapsed is not None
    assert lapsed.kind == NoticeKind.BOOKING_APPROVAL_EXPIRED
    templates = Templates()
    subject, body = templates.render(awaiting.kind.value, "fr", "Salma", awaiting.context)
    assert "en attente de validation" in subject
    assert "au plus tard le samedi 05/12/2026 à 10:12" in body, body
    _, told = templates.render(notice.kind.value, "en", "John", notice.context)
    assert f"Their message: {NOTE}" in told


def test_the_kpis_count_an_awaiting_booking_then_its_decision() -> None:
    at, known = facts()
    starts = datetime.fromisoformat(known[0].data["session"]["starts_at"]).astimezone(UTC).date()
    scope = Scope(starts - timedelta(days=1), starts + timedelta(days=1), at + timedelta(hours=1))
    before = compute(known[:2], scope)
    assert (before["bookings"], before["confirmation_rate"]) == (2, None)  # nothing decided yet
    after = compute(known, Scope(scope.first, scope.last, at + timedelta(days=1)))
    assert (after["bookings"], after["confirmation_rate"], after["rejection_rate"]) == (2, 0.5, 0.5)
    assert after["time_to_confirmation"]["median_minutes"] == 180  # the wait for the staff's approval
