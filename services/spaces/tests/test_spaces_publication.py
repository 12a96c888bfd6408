"""Spaces' publication: every domain event is mapped, and each maps to the public event spaces
has always published (same type, same payload), built from the document the domain saves."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import spaces_examples as examples

from parkgrid.contracts.common import SpaceKind, SpaceRequirement, TimeRange
from parkgrid.contracts.spaces import (
    DayPassIssued,
    OfficeOffer,
    OfficeWaitlistDeclined,
    OfficeWaitlistEntrySnapshot,
    OfficeWaitlistLeft,
    OfficeWaitlistOfferLapsed,
    RefusalReason,
    Requester,
    ReservationRefused,
    ReservationReleased,
    ReservationSnapshot,
    ReservationStatus,
    ResidencyEnded,
    ResidencyExtended,
    ResidencyMoved,
    ResidencySnapshot,
    ResidencyStarted,
    ResidencyStatus,
    SpaceRetired,
    SpaceSnapshot,
    SpaceStatus,
    SpaceUpdated,
    WaitlistStatus,
)
from spaces.domain import happened, visits
from spaces.domain.model import Refusal, day_pass_granted, reservation_given_back, reservation_turned_down
from spaces.domain.sites import Space, space_revised
from spaces.domain.stays import (
    ResidencyRefused,
    residency_begun,
    residency_closed,
    residency_prolonged,
    residency_relocated,
)
from spaces.domain.waitlist import WaitlistRefused, offer_lapsed, office_offered, stepped_out
from spaces.service_layer.publication import publication, published

RESIDENCY = ResidencySnapshot(**examples.RESIDENCY)


# A member's place on the office waitlist (waiting), and the office it may be offered.
ENTRY = OfficeWaitlistEntrySnapshot(
    entry_id="owl-1",
    site_id="site-a",
    member_id="org-1",
    seats=4,
    joined_at=datetime(2026, 12, 1, 9, tzinfo=UTC),
    position=1,
    status=WaitlistStatus.WAITING,
)
OFFER = OfficeOffer(**examples.OFFER)


def stored(document: dict[str, object]) -> dict[str, object]:
    """As the store gives an aggregate back: with its id and version beside the state."""
    return {**document, "_id": "any", "version": 3, "outbox_pending": False}


def test_every_domain_event_is_published() -> None:
    assert publication.unmapped(happened, visits) == []


def test_a_residency_starts_extends_moves_and_ends_as_it_always_was_published() -> None:
    begun, events = residency_begun(RESIDENCY.model_dump(mode="json"))
    assert begun["sites"] == ["site-a"]
    assert len(begun["stays"]) == 1
    assert publication(events) == [ResidencyStarted(**RESIDENCY.model_dump())]

    changes, events = residency_prolonged(stored(begun), date(2028, 3, 31))
    extended = RESIDENCY.model_copy(update={"ends_on": date(2028, 3, 31)})
    assert publication(events) == [ResidencyExtended(**extended.model_dump(), previous_ends_on=date(2027, 12, 31))]

    elsewhere = Space("office-9", "site-b", "Office 9", SpaceKind.PRIVATE_OFFICE, 6)
    moved, events = residency_relocated(stored({**begun, **changes}), elsewhere, date(2027, 6, 1))
    assert moved["moves"] == 1
    assert moved["sites"] == ["site-a", "site-b"]
    there = extended.model_copy(update={"site_id": "site-b", "space_id": "office-9", "seats": 6})
    assert publication(events) == [
        ResidencyMoved(
            **there.model_dump(), previous_space_id="office-1", previous_site_id="site-a", moved_on=date(2027, 6, 1)
        )
    ]

    decided = residency_closed(stored({**begun, **changes, **moved}), date(2027, 9, 30), "moved abroad")
    assert decided is not None
    ended = there.model_copy(update={"ends_on": date(2027, 9, 30), "status": ResidencyStatus.ENDED})
    assert publication(decided[1]) == [ResidencyEnded(**ended.model_dump(), ended_early=True, reason="moved abroad")]
    assert residency_closed({**begun, **decided[0]}, date(2027, 9, 30), None) is None


def test_an_ended_residency_is_neither_extended_nor_moved() -> None:
    ended = {**RESIDENCY.model_dump(mode="json"), "status": "ended"}
    with pytest.raises(ResidencyRefused) as refused:
        residency_prolonged(ended, date(2028, 1, 31))
    assert refused.value.field == "ends_on"
    with pytest.raises(ResidencyRefused) as refused:
        residency_relocated(
            ended, Space("office-2", "site-a", "Office 2", SpaceKind.PRIVATE_OFFICE, 4), date(2027, 2, 1)
        )
    assert refused.value.kind == "conflict"


def test_a_reservation_refused_then_one_released_are_the_same_public_events() -> None:
    snapshot = ReservationSnapshot(
        reservation_id="req-1",
        request_id="req-1",
        requested_by=Requester.BOOKINGS,
        reference_id="bk-1",
        site_id="site-a",
        requirement=SpaceRequirement(kind=SpaceKind.MEETING_ROOM, seats=4),
        time=TimeRange(starts_at=datetime(2027, 1, 4, 9, tzinfo=UTC), ends_at=datetime(2027, 1, 4, 10, tzinfo=UTC)),
        status=ReservationStatus.REFUSED,
    )
    state = snapshot.model_dump(mode="json")
    long_detail = "no room " * 100
    refused, events = reservation_turned_down(state, Refusal(RefusalReason.NO_SPACE_FREE, long_detail))
    assert refused["reason"] == "no_space_free"
    assert len(refused["detail"]) == 500
    assert publication(events) == [
        ReservationRefused(**snapshot.model_dump(), reason=RefusalReason.NO_SPACE_FREE, detail=long_detail[:500])
    ]
    at = datetime(2027, 1, 3, tzinfo=UTC)
    assert reservation_given_back(refused, at) is None

    confirmed = {**state, "status": "confirmed", "space_id": "room-1", "space_name": "Room 1"}
    decision = published(reservation_given_back(stored(confirmed), at))
    assert decision is not None
    assert decision[0] == {"status": "released"}
    released = ReservationSnapshot.model_validate({**confirmed, "status": ReservationStatus.RELEASED})
    assert decision[1] == [ReservationReleased(**released.model_dump(), released_at=at)]


def test_a_space_retired_is_published_as_retired_and_retiring_it_again_changes_nothing() -> None:
    room = SpaceSnapshot(space_id="room-1", site_id="site-a", name="Room 1", kind=SpaceKind.MEETING_ROOM, capacity=6)
    retired = room.model_copy(update={"status": SpaceStatus.RETIRED})
    current, after = room.model_dump(mode="json"), retired.model_dump(mode="json")
    decided = space_revised(current, after, asked=False)
    assert decided is not None
    assert publication(decided[1]) == [SpaceRetired(**retired.model_dump())]
    assert space_revised(after, after, asked=False) is None
    again = space_revised(current, current, asked=True)
    assert again is not None
    assert publication(again[1]) == [SpaceUpdated(**room.model_dump())]


def test_a_day_pass_is_stored_as_it_is_published() -> None:
    issued = DayPassIssued(
        day_pass_id="hot-1:2027-01-04:p-1",
        site_id="site-a",
        space_id="hot-1",
        member_id="org-1",
        person_id="p-1",
        day=date(2027, 1, 4),
        places_taken=3,
        capacity=20,
    )
    state, events = day_pass_granted(issued.model_dump(mode="json"))
    assert state == issued.model_dump(mode="json")
    assert publication(events) == [issued]


def test_an_entry_offered_then_declined_or_left_carries_its_reason() -> None:
    waiting = stored({**ENTRY.model_dump(mode="json"), "ticket": 7})
    offered_at = datetime(2026, 12, 2, 9, tzinfo=UTC)
    changes, _ = office_offered(waiting, OFFER.model_dump(mode="json"), 1, offered_at)
    offered = {**waiting, **changes}
    with pytest.raises(WaitlistRefused):
        stepped_out(waiting, WaitlistStatus.DECLINED, None)
    out = ENTRY.model_copy(update={"offer": OFFER, "position": None})
    for status, public in (
        (WaitlistStatus.DECLINED, OfficeWaitlistDeclined),
        (WaitlistStatus.LEFT, OfficeWaitlistLeft),
    ):
        state, events = stepped_out(offered, status, "too far")
        assert state == {"status": status.value, "position": None}
        expected = out.model_copy(update={"status": status})
        assert publication(events) == [public(**expected.model_dump(), reason="too far")]


def test_an_offer_unanswered_in_time_lapses_once() -> None:
    entry = ENTRY.model_copy(update={"status": WaitlistStatus.OFFERED, "offer": OFFER})
    offered_at = datetime(2026, 12, 2, 9)  # as the store gives it back: naive UTC
    offered = stored({**entry.model_dump(mode="json"), "ticket": 7, "offered_at": offered_at})
    lapsed_at = datetime(2026, 12, 5, 10, tzinfo=UTC)
    assert offer_lapsed(offered, lapsed_at, offered_before=datetime(2026, 12, 2, 8, tzinfo=UTC)) is None  # not due
    lapsed = offer_lapsed(offered, lapsed_at, offered_before=datetime(2026, 12, 2, 10, tzinfo=UTC))
    assert lapsed is not None
    state, events = lapsed
    assert state == {"status": "declined", "position": None, "lapsed_at": lapsed_at}
    expected = entry.model_copy(update={"status": WaitlistStatus.DECLINED, "position": None})
    assert publication(events) == [OfficeWaitlistOfferLapsed(**expected.model_dump(), lapsed_at=lapsed_at)]
    assert offer_lapsed({**offered, **state}, lapsed_at, offered_before=lapsed_at) is None  # once
