"""Allowances created after bookings were made: the first reservation of a period counts what the
member's earlier bookings of that offering (the per-member limit) or category (credits) hold,
on the in-memory stores (`make test-unit`); `test_bookings_allowances_contract` holds the real
store to the same rule."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from bookings_fakes import InMemoryOffice, KnownFacts
from bookings_support import SITE, local, offering

from bookings.domain.booking import Actor, MemberFacts, Unavailable
from bookings.service_layer.commands import BookCommand
from bookings.service_layer.seating import pending_booking
from parkgrid.contracts.bookings import BookingStatus

NOW = datetime(2026, 11, 10, 8, 0, tzinfo=UTC)
DAY = NOW.date() + timedelta(days=3)
LIMITED = "off-limited"
MEMBER = MemberFacts("m-1", "Startup 1", "startup", "incubation", True, SITE, ("p-1",))
RULES = {
    "min_notice_minutes": 60,
    "max_advance_days": 120,
    "cancellation_window_minutes": 60,
    "per_member_limit": {"count": 4, "period": "month"},
}


def command(n: int, hour: int) -> BookCommand:
    return BookCommand(
        booking_id=f"b-{n}",
        offering_id=LIMITED,
        member_id="m-1",
        person_id=None,
        starts_at=local(DAY, hour),
        party_size=1,
        join_waitlist=False,
        actor=Actor("member", "p-1"),
    )


async def test_the_first_reservation_of_a_period_counts_the_bookings_made_before_allowances() -> None:
    limited = offering(LIMITED, credits=1, rules=RULES)
    desk = InMemoryOffice(KnownFacts([limited], [MEMBER], {SITE: "Africa/Casablanca"}), NOW)
    # Made before allowances existed: two confirmed, one rejected (holds nothing), none in `allowances`.
    for n, hour, status in (
        (0, 9, BookingStatus.CONFIRMED),
        (1, 10, BookingStatus.CONFIRMED),
        (2, 11, BookingStatus.REJECTED),
    ):
        made = pending_booking(
            limited, "Africa/Casablanca", NOW, booking_id=f"old-{n}", starts_at=local(DAY, hour).astimezone(UTC),
            ends_at=local(DAY, hour + 1).astimezone(UTC), member_id="m-1", person_id="p-1", party_size=1,
            booked_by=Actor("member", "p-1"),
        )  # fmt: skip
        await desk.bookings.add(replace(made, status=status), [])
    assert (await desk.book(command(1, 12))).booking is not None
    assert (await desk.book(command(2, 13))).booking is not None
    with pytest.raises(Unavailable, match="at most 4 booking"):
        await desk.book(command(3, 14))
    held = {d["kind"]: d for d in desk.ledger.allowances.allowances.values()}
    assert held["limit"]["held"] == {"old-0": 1, "old-1": 1, "b-1": 1, "b-2": 1}
    assert (held["credits"]["used"], sorted(held["credits"]["held"])) == (4, ["b-1", "b-2", "old-0", "old-1"])
