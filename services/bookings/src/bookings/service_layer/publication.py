"""The one place bookings turns what happened to a booking into what it publishes.

Facts go to `bookings.booking` as contract events built from the booking's snapshot; the
saga's commands (`ReservationRequested`, `ReleaseRequested`) go to spaces. The domain's
events (`domain.happened`) may change shape; these mappings keep the contracts as they are.
"""

from __future__ import annotations

from bookings.domain.happened import (
    BookingCalledOff,
    BookingOpened,
    BookingSecured,
    BookingTurnedDown,
    MemberArrived,
    SessionAttended,
    SessionMissed,
    SpaceGivenUp,
    SpaceSought,
)
from parkgrid.contracts.bookings import (
    BookingCancelled,
    BookingCheckedIn,
    BookingCompleted,
    BookingConfirmed,
    BookingNoShow,
    BookingRejected,
    BookingRequested,
)
from parkgrid.contracts.common import SpaceRequirement, TimeRange
from parkgrid.contracts.spaces import ReleaseRequested, Requester, ReservationRequested
from parkgrid.domain import Publication
from parkgrid.events import IntegrationEvent

publication = Publication("bookings")

DETAIL_LENGTH = 500
"""The longest reason or detail a contract carries."""


@publication.maps(BookingOpened)
def _requested(event: BookingOpened) -> list[IntegrationEvent]:
    return [BookingRequested(**event.booking.snapshot())]


@publication.maps(SpaceSought)
def _reservation(event: SpaceSought) -> list[IntegrationEvent]:
    booking = event.booking
    assert booking.requirement is not None
    assert booking.site_id is not None
    assert booking.reservation_request_id is not None
    return [
        ReservationRequested(
            request_id=booking.reservation_request_id,
            requested_by=Requester.BOOKINGS,
            reference_id=booking.booking_id,
            site_id=booking.site_id,
            requirement=SpaceRequirement.model_validate(booking.requirement),
            time=TimeRange(starts_at=booking.starts_at, ends_at=booking.ends_at),
            member_id=booking.member_id,
        )
    ]


@publication.maps(BookingSecured)
def _confirmed(event: BookingSecured) -> list[IntegrationEvent]:
    return [BookingConfirmed(**event.booking.snapshot(), confirmed_at=event.booking.confirmed_at)]


@publication.maps(BookingTurnedDown)
def _rejected(event: BookingTurnedDown) -> list[IntegrationEvent]:
    booking = event.booking
    return [BookingRejected(**booking.snapshot(), reason=booking.reason, detail=event.detail[:DETAIL_LENGTH])]


@publication.maps(BookingCalledOff)
def _cancelled(event: BookingCalledOff) -> list[IntegrationEvent]:
    booking = event.booking
    return [
        BookingCancelled(
            **booking.snapshot(),
            cancelled_by=event.by.as_dict(),
            late=booking.late,
            previous_status=event.previous_status,
        )
    ]


@publication.maps(SpaceGivenUp)
def _release(event: SpaceGivenUp) -> list[IntegrationEvent]:
    booking = event.booking
    assert booking.site_id is not None
    return [
        ReleaseRequested(
            request_id=event.request_id,
            requested_by=Requester.BOOKINGS,
            reference_id=booking.booking_id,
            site_id=booking.site_id,
            reason=event.reason[:DETAIL_LENGTH],
        )
    ]


@publication.maps(MemberArrived)
def _checked_in(event: MemberArrived) -> list[IntegrationEvent]:
    booking = event.booking
    return [
        BookingCheckedIn(**booking.snapshot(), checked_in_at=booking.checked_in_at, checked_in_by=event.by.as_dict())
    ]


@publication.maps(SessionAttended)
def _completed(event: SessionAttended) -> list[IntegrationEvent]:
    return [BookingCompleted(**event.booking.snapshot())]


@publication.maps(SessionMissed)
def _no_show(event: SessionMissed) -> list[IntegrationEvent]:
    return [BookingNoShow(**event.booking.snapshot())]


__all__ = ["publication"]
