"""Slots of an offering that needs a room show only sessions at which a matching room of its site
is free, as spaces' events said (spaces.space, spaces.reservation, spaces.residency through Kafka
into bookings' projections, then the slots over HTTP): another's reservation removes its session,
the room's buffer removes the adjacent ones, a retired room its sessions, a residency its days;
a room that lacks a feature never counts. The saga stays the guard; this is the offer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from bookings_support import SITE, envelope, in_days, local, offered, offering, project, publish, site, until_offered
from fastapi import FastAPI

from bookings.adapters.rooms import Rooms
from bookings.bootstrap import BookingsSettings
from bookings.domain.rooms import Held, Room, is_free
from bookings.service_layer.service import BookingService
from parkgrid.buffers import Buffers
from parkgrid.contracts.common import SpaceRequirement
from parkgrid.contracts.spaces import (
    ReservationConfirmed,
    ReservationReleased,
    ResidencyStarted,
    SpaceAdded,
    SpaceRetired,
    SpaceUpdated,
)
from parkgrid.contracts.topics import topic
from parkgrid.testing.plugin import CreateTopics

pytest_plugins = ["bookings_fixtures"]

NONE = Buffers()
ROOM_NEEDED = {"kind": "meeting_room", "seats": 4, "features": ["screen"]}
MORNING = [{"weekday": d, "opens": "09:00", "closes": "12:00"} for d in range(1, 8)]


@pytest.fixture
async def settings(settings: BookingsSettings, create_topics: CreateTopics) -> BookingsSettings:
    await create_topics([topic(n) for n in ("spaces.space", "spaces.residency")])
    return settings


def room(space_id: str, kind: str = "meeting_room", **changes: Any) -> dict[str, Any]:
    return {
        "space_id": space_id,
        "site_id": SITE,
        "name": f"Salle {space_id}",
        "kind": kind,
        "capacity": 8,
        "features": ["screen", "whiteboard"],
        "buffer_minutes": 0,
        "status": "active",
    } | changes


def reservation(reservation_id: str, space_id: str, starts_at: datetime, ends_at: datetime) -> dict[str, Any]:
    return {
        "reservation_id": reservation_id,
        "request_id": f"req-{reservation_id}",
        "requested_by": "staff",
        "reference_id": f"ref-{reservation_id}",
        "site_id": SITE,
        "requirement": {"kind": "meeting_room", "seats": 2},
        "time": {"starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat()},
        "member_id": "member-someone-else",
        "status": "confirmed",
        "space_id": space_id,
        "space_name": f"Salle {space_id}",
    }


async def test_what_holds_a_matching_room_is_not_offered(
    client: httpx.AsyncClient,
    app: FastAPI,
    service: BookingService,
    tokens: dict[str, str],
    settings: BookingsSettings,
) -> None:
    await project(service, site(), offering(availability=MORNING, space_requirement=ROOM_NEEDED, seats_per_session=3))
    day, member = in_days(3).date(), tokens["member"]
    # No room known at the site: nothing can be confirmed, so nothing is offered.
    assert await offered(client, member, "off-test-mentoring", day) == []

    # A room without a screen never counts; one with a screen offers every session.
    await publish(
        settings,
        [
            (
                "spaces.space",
                envelope(SpaceAdded.model_validate(room("room-plain", features=["whiteboard"])), "room-plain"),
            ),
            ("spaces.space", envelope(SpaceAdded.model_validate(room("room-a")), "room-a")),
        ],
    )
    await until_offered(client, member, "off-test-mentoring", day, ["09:00", "10:00", "11:00"])

    # Someone else reserves room-a 10:00-11:00: that session goes, the adjacent ones stay (no buffer).
    ten = reservation("res-1", "room-a", local(day, 10), local(day, 11))
    ten_event = ReservationConfirmed.model_validate(ten)
    await publish(settings, [("spaces.reservation", envelope(ten_event, "res-1"))])
    await until_offered(client, member, "off-test-mentoring", day, ["09:00", "11:00"])

    # A buffer of 15 minutes before and after: 09:00-10:00 and 11:00-12:00 now touch the hold.
    buffered = SpaceUpdated.model_validate(room("room-a", buffer_minutes=15))
    await publish(settings, [("spaces.space", envelope(buffered, "room-a", 2))])
    await until_offered(client, member, "off-test-mentoring", day, [])

    # A second matching room brings every session back; retiring it takes them away again.
    await publish(settings, [("spaces.space", envelope(SpaceAdded.model_validate(room("room-b")), "room-b"))])
    await until_offered(client, member, "off-test-mentoring", day, ["09:00", "10:00", "11:00"])
    retired = SpaceRetired.model_validate(room("room-b", status="retired"))
    await publish(settings, [("spaces.space", envelope(retired, "room-b", 2))])
    await until_offered(client, member, "off-test-mentoring", day, [])

    # The reservation released: room-a is free again at every session.
    released = ReservationReleased.model_validate(
        reservation("res-1", "room-a", local(day, 10), local(day, 11))
        | {"status": "released", "released_at": datetime.now(UTC).isoformat()}
    )
    await publish(settings, [("spaces.reservation", envelope(released, "res-1", 2))])
    await until_offered(client, member, "off-test-mentoring", day, ["09:00", "10:00", "11:00"])
    # A late duplicate of the confirmation changes nothing (the projection's version guard).
    rooms: Rooms = app.state.components[Rooms]
    assert not await rooms.holds.on_reservation(envelope(ten_event, "res-1"), ten_event)
    assert await offered(client, member, "off-test-mentoring", day) == ["09:00", "10:00", "11:00"]


async def test_a_residency_holds_its_office_for_whole_days(
    client: httpx.AsyncClient, service: BookingService, tokens: dict[str, str], settings: BookingsSettings
) -> None:
    office_day = {"kind": "private_office", "seats": 2, "features": []}
    await project(service, site(), offering("off-office-day", availability=MORNING, space_requirement=office_day))
    first, member = in_days(3).date(), tokens["member"]
    office = room("office-1", kind="private_office", features=[])
    await publish(settings, [("spaces.space", envelope(SpaceAdded.model_validate(office), "office-1"))])
    await until_offered(client, member, "off-office-day", first, ["09:00", "10:00", "11:00"])

    residency = ResidencyStarted.model_validate(
        {
            "residency_id": "res-acme",
            "member_id": "member-acme",
            "site_id": SITE,
            "space_id": "office-1",
            "space_kind": "private_office",
            "seats": 8,
            "starts_on": first.isoformat(),
            "ends_on": first.isoformat(),
            "status": "active",
            "allocated_by": {"role": "admin", "subject": "admin-1"},
        }
    )
    await publish(settings, [("spaces.residency", envelope(residency, "res-acme"))])
    await until_offered(client, member, "off-office-day", first, [])
    # The day after the residency's last day is free again.
    assert await offered(client, member, "off-office-day", first + timedelta(days=1)) == ["09:00", "10:00", "11:00"]


# --- the rule itself, pure (spaces' `Space.meets` and `Calendar.is_free`) ----------------


def test_a_room_meets_a_requirement_and_its_buffer_widens_the_session() -> None:
    needed = SpaceRequirement.model_validate(ROOM_NEEDED)
    base = Room("r", SITE, "meeting_room", 8, frozenset({"screen"}), NONE, "active")
    assert base.meets(needed)
    assert not Room("r", SITE, "meeting_room", 3, frozenset({"screen"}), NONE, "active").meets(needed)
    assert not Room("r", SITE, "meeting_room", 8, frozenset(), NONE, "active").meets(needed)
    assert not Room("r", SITE, "private_office", 8, frozenset({"screen"}), NONE, "active").meets(needed)
    assert not Room("r", SITE, "meeting_room", 8, frozenset({"screen"}), NONE, "retired").meets(needed)
    day = in_days(3).date()
    held = [Held("r", local(day, 10), local(day, 11))]
    assert not is_free(base, held, local(day, 10, 30), local(day, 11, 30))
    assert is_free(base, held, local(day, 11), local(day, 12))  # touching is not overlapping
    buffered = Room("r", SITE, "meeting_room", 8, frozenset({"screen"}), Buffers(1, 1), "active")
    assert not is_free(buffered, held, local(day, 11), local(day, 12))
    assert is_free(base, [Held("other", local(day, 10), local(day, 11))], local(day, 10), local(day, 11))
