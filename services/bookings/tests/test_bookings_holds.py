"""Holds expire, over the real store: a pending booking nobody decided within the hold is rejected
(`hold_expired`) once, however many sweeps race, and spaces' late answer cannot undo it (it is
released); a confirmation saved first wins instead. The outbox relay is off, so each booking's
outbox is exactly what it said."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

import httpx
import pytest
from bookings_support import MEMBER, bearer, envelope, in_days, member, offering, project, site

from bookings.bootstrap import BookingsSettings
from bookings.domain.booking import Booking
from bookings.domain.slots import session_key
from bookings.service_layer.service import BookingService
from parkgrid.consumer import Delivery
from parkgrid.contracts.bookings import BookingStatus
from parkgrid.contracts.spaces import ReservationConfirmed

pytest_plugins = ["bookings_fixtures"]

ROOM = {"kind": "meeting_room", "seats": 2, "features": []}
ROOM_OFFERING = "off-test-room"


@pytest.fixture
def settings(settings: BookingsSettings) -> BookingsSettings:
    return settings.model_copy(update={"relay": "off", "hold_minutes": 15.0})


async def pending(client: httpx.AsyncClient, token: str, who: str, starts_at: datetime) -> str:
    made = await client.post(
        "/v1/bookings",
        json={"offering_id": ROOM_OFFERING, "member_id": who, "starts_at": starts_at.isoformat()},
        headers=bearer(token),
    )
    assert made.status_code == 202, made.text
    return str(made.json()["id"])


async def said(service: BookingService, booking_id: str) -> list[str]:
    """What the booking's outbox says, in order: (topic's last part) event kind."""
    return [e["envelope"]["type"].rsplit(".", 1)[-1] for e in await service.bookings.mongo.outbox(booking_id)]


def confirmation(booking: Booking) -> Delivery:
    assert booking.site_id is not None
    assert booking.reservation_request_id is not None
    event = ReservationConfirmed.model_validate(
        {
            "reservation_id": f"res-{booking.booking_id}",
            "request_id": booking.reservation_request_id,
            "requested_by": "bookings",
            "reference_id": booking.booking_id,
            "site_id": booking.site_id,
            "requirement": ROOM,
            "time": {"starts_at": booking.starts_at, "ends_at": booking.ends_at},
            "status": "confirmed",
            "space_id": "space-room-1",
        }
    )
    return Delivery(envelope(event, booking.booking_id, source="spaces"), event, "spaces.reservation", 0, 0)


async def taken(service: BookingService, booking: Booking) -> int:
    seats = await service.seats.sessions.get(session_key(booking.offering_id, booking.starts_at))
    return 0 if seats is None else int(seats["taken"])


def at(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


async def test_an_undecided_hold_is_rejected_once_by_racing_sweeps_and_a_late_confirmation_is_released(
    client: httpx.AsyncClient, service: BookingService, tokens: dict[str, str]
) -> None:
    await project(service, site(), offering(ROOM_OFFERING, space_requirement=ROOM), member(MEMBER))
    booking_id = await pending(client, tokens["member"], MEMBER, in_days(2, 10))
    booking, _ = await service.get(booking_id)
    service.clock = at(booking.requested_at + timedelta(minutes=14))
    assert await service.expire_holds(service.clock()) == 0  # still within the hold
    service.clock = at(booking.requested_at + timedelta(minutes=15, seconds=1))

    expired = await asyncio.gather(*(service.expire_holds(service.clock()) for _ in range(8)))

    assert sum(expired) == 1
    rejected, _ = await service.get(booking_id)
    assert (rejected.status, rejected.reason) == (BookingStatus.REJECTED, "hold_expired")
    assert await said(service, booking_id) == ["requested", "requested", "rejected", "release_requested"]
    assert await taken(service, booking) == 0
    # Spaces' confirmation arrives after all: the booking stays rejected and the room is released.
    await service.on_reservation(confirmation(booking))
    assert (await service.get(booking_id))[0].status == BookingStatus.REJECTED
    assert (await said(service, booking_id))[-1] == "release_requested"
    # The member's place was given back too: the same session can be booked again.
    assert await pending(client, tokens["member"], MEMBER, booking.starts_at)


async def test_a_confirmation_and_expiring_sweeps_racing_end_with_one_outcome(
    client: httpx.AsyncClient, service: BookingService, tokens: dict[str, str]
) -> None:
    await project(service, site(), offering(ROOM_OFFERING, space_requirement=ROOM), member(MEMBER))
    ids = [await pending(client, tokens["member"], MEMBER, in_days(2, hour)) for hour in range(9, 15)]
    bookings = [(await service.get(i))[0] for i in ids]
    service.clock = at(max(b.requested_at for b in bookings) + timedelta(minutes=16))

    await asyncio.gather(
        *(service.on_reservation(confirmation(b)) for b in bookings),
        *(service.expire_holds(service.clock()) for _ in range(4)),
    )

    outcomes = []
    for booking in bookings:
        final, _ = await service.get(booking.booking_id)
        kinds = await said(service, booking.booking_id)
        if final.status == BookingStatus.CONFIRMED:
            assert kinds == ["requested", "requested", "confirmed"]
            assert await taken(service, booking) == 1
        else:
            assert (final.status, final.reason) == (BookingStatus.REJECTED, "hold_expired")
            assert kinds[:3] == ["requested", "requested", "rejected"]
            assert kinds.count("rejected") == 1
            assert "confirmed" not in kinds
            assert set(kinds[3:]) == {"release_requested"}
            assert await taken(service, booking) == 0
        outcomes.append(final.status)
    assert len(outcomes) == 6
