"""Bookings' publication: every domain event is published, as exactly the public events it always was.

The expected events are written out field by field, as the domain built them before it
recorded domain events, so a mapping that drifts from the contract fails here (no I/O).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bookings_support import SITE, a_booking

import bookings.domain.happened
from bookings.adapters.ledgers import entry_snapshot
from bookings.domain import booking as rules
from bookings.domain import entitlements as credits
from bookings.domain import waitlist as places
from bookings.domain.booking import Actor
from bookings.domain.entitlements import Entitlement
from bookings.service_layer.publication import publication
from bookings.service_layer.saga import answer
from parkgrid.contracts import bookings as contract
from parkgrid.contracts.bookings import BookingStatus
from parkgrid.contracts.common import SpaceRequirement, TimeRange
from parkgrid.contracts.spaces import (
    ReleaseRequested,
    Requester,
    ReservationConfirmed,
    ReservationRequested,
    ReservationStatus,
)
from parkgrid.events import IntegrationEvent

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
MEMBER = Actor("member", "p-1")
DESK = Actor("front_desk", "desk-1")
ROOM = {"kind": "meeting_room", "seats": 2, "features": []}
RELEASED = ReleaseRequested(
    request_id="b-1.r1", requested_by=Requester.BOOKINGS, reference_id="b-1", site_id=SITE, reason="booking cancelled"
)


def dumped(events: list[IntegrationEvent]) -> list[tuple[str, dict[str, object]]]:
    return [(e.event_type, e.model_dump(mode="json")) for e in events]


def test_every_domain_event_of_bookings_is_published() -> None:
    assert publication.unmapped(bookings.domain.happened) == []


def test_a_booking_needing_a_room_is_requested_with_its_reservation_request() -> None:
    pending, happened = rules.open_booking(a_booking(NOW + timedelta(days=3), NOW, requirement=ROOM), NOW)
    assert dumped(publication(happened)) == dumped(
        [
            contract.BookingRequested(**pending.snapshot()),
            ReservationRequested(
                request_id="b-1.r1",
                requested_by=Requester.BOOKINGS,
                reference_id="b-1",
                site_id=SITE,
                requirement=SpaceRequirement.model_validate(ROOM),
                time=TimeRange(starts_at=pending.starts_at, ends_at=pending.ends_at),
                member_id="m-1",
            ),
        ]
    )
    rejected, refused = rules.reject(pending, "no_space", "x" * 600)
    assert dumped(publication(refused)) == dumped(
        [contract.BookingRejected(**rejected.snapshot(), reason="no_space", detail="x" * 500)]
    )


def test_confirming_cancelling_and_releasing_publish_what_they_always_did() -> None:
    pending, _ = rules.open_booking(a_booking(NOW + timedelta(hours=3), NOW, requirement=ROOM), NOW)
    confirmed, secured = rules.confirm(pending, "room-1", NOW)
    assert dumped(publication(secured)) == dumped([contract.BookingConfirmed(**confirmed.snapshot(), confirmed_at=NOW)])
    cancelled, called_off = rules.cancel(confirmed, MEMBER, NOW, 24 * 60)
    assert dumped(publication(called_off)) == dumped(
        [
            contract.BookingCancelled(
                **cancelled.snapshot(),
                cancelled_by=MEMBER.as_dict(),
                late=True,
                previous_status=BookingStatus.CONFIRMED,
            ),
            RELEASED,
        ]
    )


def test_a_late_confirmation_of_a_cancelled_booking_is_released() -> None:
    pending, _ = rules.open_booking(a_booking(NOW + timedelta(days=3), NOW, requirement=ROOM), NOW)
    cancelled, _ = rules.cancel(pending, MEMBER, NOW, 60)
    late = ReservationConfirmed(
        reservation_id="res-1",
        request_id="b-1.r1",
        requested_by=Requester.BOOKINGS,
        reference_id="b-1",
        site_id=SITE,
        space_id="room-1",
        requirement=SpaceRequirement.model_validate(ROOM),
        time=TimeRange(starts_at=pending.starts_at, ends_at=pending.ends_at),
        member_id="m-1",
        status=ReservationStatus.CONFIRMED,
    )
    unchanged, happened = answer(cancelled, late, NOW)
    assert unchanged == cancelled
    assert dumped(publication(happened)) == dumped([RELEASED])


def test_checking_in_and_settling_publish_what_they_always_did() -> None:
    confirmed, _ = rules.open_booking(a_booking(NOW + timedelta(hours=1), NOW), NOW)
    checked, arrived = rules.check_in(confirmed, DESK, NOW)
    assert dumped(publication(arrived)) == dumped(
        [contract.BookingCheckedIn(**checked.snapshot(), checked_in_at=NOW, checked_in_by=DESK.as_dict())]
    )
    done, attended = rules.settle(checked, NOW + timedelta(hours=2))
    assert dumped(publication(attended)) == dumped([contract.BookingCompleted(**done.snapshot())])
    missed, no_show = rules.settle(confirmed, NOW + timedelta(hours=3))
    assert dumped(publication(no_show)) == dumped([contract.BookingNoShow(**missed.snapshot())])


def test_the_ledger_publishes_what_it_always_did() -> None:
    granted = credits.grant("m-1", "incubation", "mentoring", NOW.date())
    assert granted is not None
    consumed = credits.consume(granted, "b-1", 2)
    assert consumed is not None
    used, using = consumed
    restored = credits.restore(used, "b-1")
    assert restored is not None
    back, giving_back = restored

    def fields(entitlement: Entitlement) -> dict[str, object]:
        return {
            "entitlement_id": "ent-m-1-mentoring-2026-10-01",
            "member_id": "m-1",
            "category": "mentoring",
            "period_start": date(2026, 10, 1),
            "period_end": date(2026, 12, 31),
            "allowance": 6,
            "used": entitlement.used,
            "remaining": entitlement.remaining,
        }

    assert dumped(publication([credits.opened(granted, "incubation"), *using, *giving_back])) == dumped(
        [
            contract.EntitlementGranted(**fields(granted), reason="incubation allowance for mentoring"),
            contract.EntitlementConsumed(**fields(used), booking_id="b-1", amount=2),
            contract.EntitlementRestored(**fields(back), booking_id="b-1", amount=2),
        ]
    )
    assert (used.used, back.used) == (2, 0)


def a_place(n: int, **changes: object) -> dict[str, object]:
    """Member `m-{n}`'s place in the line of a session in three days, as `seating` writes it."""
    return {
        "entry_id": f"wl-b-{n}",
        "booking_id": f"b-{n}",
        "offering_id": "o-1",
        "session_key": "o-1|x",
        "starts_at": NOW + timedelta(days=3),
        "ends_at": NOW + timedelta(days=3, hours=1),
        "member_id": f"m-{n}",
        "person_id": f"p-{n}",
        "party_size": 1,
        "position": 1,
        "joined_at": NOW,
        "booked_by": MEMBER.as_dict(),
        **changes,
    }


def test_a_promoted_waitlist_place_publishes_what_it_always_did() -> None:
    place = {"_id": "wl-b-2", "version": 1, **a_place(2), "status": "waiting"}
    changes, happened = places.promote(place, NOW)
    assert changes == {"status": "promoted", "promoted_at": NOW}
    assert dumped(publication(happened)) == dumped(
        [contract.WaitlistPromoted(**entry_snapshot({**place, "status": "promoted"}), booking_id="b-2")]
    )


def test_a_place_taken_in_line_publishes_what_it_always_did() -> None:
    place = a_place(3, party_size=2, position=4)
    state, happened = places.join(place)
    assert state == {**place, "status": "waiting"}
    assert dumped(publication(happened)) == dumped([contract.WaitlistJoined(**entry_snapshot(state))])
