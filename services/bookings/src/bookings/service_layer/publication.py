"""The one place bookings turns what happened to a booking or to credits into what it publishes.

Facts go to `bookings.booking` as contract events built from the booking's snapshot, and to
`bookings.entitlement` from the ledger's entitlement; the saga's commands
(`ReservationRequested`, `ReleaseRequested`) go to spaces. The domain's events
(`domain.happened`) may change shape; these mappings keep the contracts as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bookings.domain import happened
from bookings.domain.booking import Booking
from bookings.domain.entitlements import Entitlement
from parkgrid.contracts.bookings import (
    BookingAwaitingApproval,
    BookingCancelled,
    BookingCheckedIn,
    BookingCompleted,
    BookingConfirmed,
    BookingNoShow,
    BookingRejected,
    BookingRequested,
    EntitlementConsumed,
    EntitlementGranted,
    EntitlementRestored,
    WaitlistJoined,
    WaitlistLeft,
    WaitlistPromoted,
)
from parkgrid.contracts.common import SpaceRequirement, TimeRange
from parkgrid.contracts.spaces import ReleaseRequested, Requester, ReservationRequested
from parkgrid.domain import Publication
from parkgrid.events import IntegrationEvent

publication = Publication("bookings")

DETAIL_LENGTH = 500
"""The longest reason or detail a contract carries."""


def _addressed(booking: Booking, request_id: str) -> dict[str, Any]:
    """What every command of bookings to spaces says: which request, whose, for which booking, where."""
    assert booking.site_id is not None
    return {
        "request_id": request_id,
        "requested_by": Requester.BOOKINGS,
        "reference_id": booking.booking_id,
        "site_id": booking.site_id,
    }


@publication.maps(happened.BookingOpened)
def _requested(event: happened.BookingOpened) -> list[IntegrationEvent]:
    return [BookingRequested(**event.booking.snapshot())]


@publication.maps(happened.SpaceSought)
def _reservation(event: happened.SpaceSought) -> list[IntegrationEvent]:
    booking = event.booking
    assert booking.requirement is not None
    assert booking.reservation_request_id is not None
    return [
        ReservationRequested(
            **_addressed(booking, booking.reservation_request_id),
            requirement=SpaceRequirement.model_validate(booking.requirement),
            time=TimeRange(starts_at=booking.starts_at, ends_at=booking.ends_at),
            member_id=booking.member_id,
        )
    ]


@publication.maps(happened.BookingSecured)
def _confirmed(event: happened.BookingSecured) -> list[IntegrationEvent]:
    return [BookingConfirmed(**event.booking.snapshot(), confirmed_at=event.booking.confirmed_at)]


@publication.maps(happened.BookingTurnedDown)
def _rejected(event: happened.BookingTurnedDown) -> list[IntegrationEvent]:
    booking = event.booking
    return [
        BookingRejected(
            **booking.snapshot(),
            reason=booking.reason,
            detail=event.detail[:DETAIL_LENGTH],
            decline_note=booking.decline_note,
        )
    ]


@publication.maps(happened.ApprovalAwaited)
def _awaiting_approval(event: happened.ApprovalAwaited) -> list[IntegrationEvent]:
    return [BookingAwaitingApproval(**event.booking.snapshot(), decide_by=event.booking.decide_by)]


@publication.maps(happened.BookingCalledOff)
def _cancelled(event: happened.BookingCalledOff) -> list[IntegrationEvent]:
    booking = event.booking
    return [
        BookingCancelled(
            **booking.snapshot(),
            cancelled_by=event.by.as_dict(),
            late=booking.late,
            previous_status=event.previous_status,
        )
    ]


@publication.maps(happened.SpaceGivenUp)
def _release(event: happened.SpaceGivenUp) -> list[IntegrationEvent]:
    return [ReleaseRequested(**_addressed(event.booking, event.request_id), reason=event.reason[:DETAIL_LENGTH])]


@publication.maps(happened.MemberArrived)
def _checked_in(event: happened.MemberArrived) -> list[IntegrationEvent]:
    booking = event.booking
    return [
        BookingCheckedIn(**booking.snapshot(), checked_in_at=booking.checked_in_at, checked_in_by=event.by.as_dict())
    ]


@publication.maps(happened.SessionAttended)
def _completed(event: happened.SessionAttended) -> list[IntegrationEvent]:
    return [BookingCompleted(**event.booking.snapshot())]


@publication.maps(happened.SessionMissed)
def _no_show(event: happened.SessionMissed) -> list[IntegrationEvent]:
    return [BookingNoShow(**event.booking.snapshot(), released_at=event.booking.released_at)]


def _in_line(place: Mapping[str, Any]) -> dict[str, Any]:
    """A waitlist place as its events state it: the stored place, its session as a time range."""
    return {**place, "session": {"starts_at": place["starts_at"], "ends_at": place["ends_at"]}}


@publication.maps(happened.PlaceTaken)
def _joined(event: happened.PlaceTaken) -> list[IntegrationEvent]:
    return [WaitlistJoined.model_validate(_in_line(event.place))]


@publication.maps(happened.PlacePromoted)
def _promoted(event: happened.PlacePromoted) -> list[IntegrationEvent]:
    return [WaitlistPromoted.model_validate({**_in_line(event.place), "booking_id": event.booking_id})]


@publication.maps(happened.PlaceLeft)
def _left(event: happened.PlaceLeft) -> list[IntegrationEvent]:
    return [WaitlistLeft.model_validate({**_in_line(event.place), "reason": event.reason})]


def _ledger(entitlement: Entitlement) -> dict[str, Any]:
    """An entitlement as every event of `bookings.entitlement` states it."""
    return {
        "entitlement_id": entitlement.entitlement_id,
        "member_id": entitlement.member_id,
        "category": entitlement.category,
        "period_start": entitlement.period_start,
        "period_end": entitlement.period_end,
        "allowance": entitlement.allowance,
        "used": entitlement.used,
        "remaining": entitlement.remaining,
    }


@publication.maps(happened.CreditsGranted)
def _granted(event: happened.CreditsGranted) -> list[IntegrationEvent]:
    return [EntitlementGranted(**_ledger(event.entitlement), reason=event.reason)]


@publication.maps(happened.CreditsUsed)
def _consumed(event: happened.CreditsUsed) -> list[IntegrationEvent]:
    return [EntitlementConsumed(**_ledger(event.entitlement), booking_id=event.booking_id, amount=event.amount)]


@publication.maps(happened.CreditsGivenBack)
def _restored(event: happened.CreditsGivenBack) -> list[IntegrationEvent]:
    return [EntitlementRestored(**_ledger(event.entitlement), booking_id=event.booking_id, amount=event.amount)]


__all__ = ["publication"]
