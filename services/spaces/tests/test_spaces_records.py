"""Spaces' own records are stored in the very shape the contracts' snapshots had (pure).

The service layer builds documents from the domain's types, no longer from the contracts'
snapshot classes; the publication validates the public events from those documents. These
tests pin that a document built either way is the same, field for field.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from spaces_examples import OFFER, RESIDENCY

from parkgrid.contracts.common import Closure, SpaceKind, SpaceRequirement, TimeRange, WeeklyWindow
from parkgrid.contracts.spaces import (
    OfficeOffer,
    OfficeWaitlistEntrySnapshot,
    Requester,
    ReservationSnapshot,
    ReservationStatus,
    ResidencySnapshot,
    SiteSnapshot,
    SpaceFeature,
    SpaceSnapshot,
    SpaceStatus,
    WaitlistStatus,
)
from spaces.domain.model import Reservation
from spaces.domain.sites import Site, Space
from spaces.domain.stays import Residency
from spaces.domain.waitlist import Entry, Offer


def test_a_residency_is_stored_as_its_contract_snapshot_was() -> None:
    residency = Residency(**RESIDENCY)
    snapshot = ResidencySnapshot(**vars(residency))
    assert residency.to_document() == snapshot.model_dump(mode="json")


def test_an_offer_is_stored_as_its_contract_was_and_read_back() -> None:
    offer = Offer(**OFFER)
    assert offer.to_document() == OfficeOffer(**vars(offer)).model_dump(mode="json")
    assert Offer.from_document(offer.to_document()) == offer


def test_an_entry_joining_is_stored_as_its_contract_snapshot_was_with_its_ticket() -> None:
    for joined_at in (datetime(2026, 12, 1, 9, tzinfo=UTC), datetime(2026, 12, 1, 9, 0, 1, 123456, tzinfo=UTC)):
        entry = Entry("owl-1", "site-1", "org-1", 4, joined_at, position=2, ticket=7)
        snapshot = OfficeWaitlistEntrySnapshot(
            entry_id="owl-1",
            site_id="site-1",
            member_id="org-1",
            seats=4,
            joined_at=joined_at,
            position=2,
            status=WaitlistStatus.WAITING,
        )
        assert entry.to_document() == {**snapshot.model_dump(mode="json"), "ticket": 7}


def test_a_reservation_is_stored_as_its_contract_snapshot_was_its_times_as_dates() -> None:
    starts_at, ends_at = datetime(2026, 12, 7, 9, tzinfo=UTC), datetime(2026, 12, 7, 10, tzinfo=UTC)
    requirement = SpaceRequirement(kind=SpaceKind.MEETING_ROOM, seats=4, features=["screen"])
    for status, space_id, space_name in (
        (ReservationStatus.CONFIRMED, "room-1", "Argane"),
        (ReservationStatus.REFUSED, None, None),
    ):
        fields: dict[str, Any] = {
            "reservation_id": "req-1",
            "request_id": "req-1",
            "requested_by": Requester.BOOKINGS,
            "reference_id": "bk-1",
            "site_id": "site-1",
            "requirement": requirement,
            "member_id": "org-1",
            "status": status,
            "space_id": space_id,
            "space_name": space_name,
        }
        reservation = Reservation(**fields, starts_at=starts_at, ends_at=ends_at)
        snapshot = ReservationSnapshot(**fields, time=TimeRange(starts_at=starts_at, ends_at=ends_at))
        stored = {**snapshot.model_dump(mode="json"), "time": {"starts_at": starts_at, "ends_at": ends_at}}
        assert reservation.to_document() == stored


def test_a_site_and_a_space_are_stored_and_answered_as_their_contract_snapshots_were() -> None:
    site = SiteSnapshot(
        site_id="site-1",
        name="Technopark Rabat",
        city="Rabat",
        country="MA",
        time_zone="Africa/Casablanca",
        opening_hours=[WeeklyWindow(weekday=1, opens="08:30", closes="18:30")],
        closures=[Closure(first_day=date(2026, 12, 25), last_day=date(2026, 12, 26), reason="Fêtes")],
    )
    assert Site.from_document(site.model_dump()).to_document() == site.model_dump(mode="json")
    space = SpaceSnapshot(
        space_id="room-1",
        site_id="site-1",
        name="Argane",
        kind=SpaceKind.MEETING_ROOM,
        capacity=8,
        floor="1",
        features=[SpaceFeature.SCREEN, "wifi"],
        buffer_minutes=15,
    )
    assert Space.from_document(space.model_dump()).to_document() == space.model_dump(mode="json")
    retired = Space.from_document(space.model_dump()).revised({"status": SpaceStatus.RETIRED})
    assert retired.to_document() == {**space.model_dump(mode="json"), "status": "retired"}
