"""A room booking awaiting approval, end to end over the real broker and stores with the real spaces
in-process: the booking of a room offering that requires approval is answered `awaiting_approval`
once spaces confirmed its room (the saga), and the room stays the booking's while staff decide (a
walk-in's reservation of that hour is refused); the site's desk declines it with a note, and the
room's release goes to spaces with the rejection, so the walk-in then gets the room."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

from bookings_support import (
    MEETING_ROOM,
    SITE,
    bearer,
    book_room,
    eventually,
    http_client,
    in_days,
    member,
    offering,
    open_site,
    project,
    staff_reservation,
)
from bookings_support import running as started

from bookings.bootstrap import BookingsSettings, build_app
from bookings.domain.slots import session_key
from bookings.service_layer.service import BookingService
from parkgrid.auth import Role, issue_token
from parkgrid.contracts.catalogue import ApprovalRule
from parkgrid.contracts.topics import TOPICS
from parkgrid.settings import KitSettings
from parkgrid.testing.plugin import CreateTopics
from spaces.bootstrap import build_app as build_spaces
from spaces.service_layer.handlers import Reservations

pytest_plugins = ["bookings_fixtures"]


async def test_a_room_awaiting_approval_stays_held_until_declined_then_goes_to_a_walk_in(
    settings: BookingsSettings, spaces_settings: KitSettings, create_topics: CreateTopics
) -> None:
    await create_topics([t for t in TOPICS if t.name.startswith("spaces.")])
    async with started(build_app(settings)) as app, started(build_spaces(spaces_settings)) as spaces:
        service: BookingService = app.state.components[BookingService]
        await open_site(spaces, rooms=1)
        hall = offering("off-room", space_requirement=MEETING_ROOM)
        rules = hall.rules.model_copy(update={"approval": ApprovalRule(decide_within_hours=48)})
        await project(service, hall.model_copy(update={"rules": rules}), member())
        me = bearer(issue_token(settings, role=Role.MEMBER, member_id=member().member_id, person_id="person-acme-1"))
        desk = bearer(issue_token(settings, role=Role.FRONT_DESK, subject="desk-1", sites=[SITE]))
        start = in_days(4, 11)
        async with http_client(app) as client:
            booking: dict[str, Any] = await book_room(client, me, "off-room", start)
            assert (booking["status"], booking["space_id"]) == ("awaiting_approval", "room-0"), booking
            reservations: Reservations = spaces.state.components[Reservations]
            hour = (start.astimezone(UTC), start.astimezone(UTC) + timedelta(hours=1))
            early = await reservations.reserve(staff_reservation("walk-in-early", *hour))
            assert early["status"] == "refused", early  # the room is the awaiting booking's

            note = "La salle est réservée au jury ce jour-là."
            declined = await client.post(
                f"/v1/approvals/{booking['booking_id']}/decline", json={"note": note}, headers=desk
            )
            assert declined.status_code == 200, declined.text
            assert (declined.json()["status"], declined.json()["decline_note"]) == ("rejected", note)
            seats = await service.seats.sessions.get(session_key("off-room", start))
            assert seats is not None
            assert seats["taken"] == 0

            async def room_given_back() -> bool:
                found = await reservations.get(booking["reservation_request_id"])
                return found is not None and found["status"] == "released"

            await eventually(room_given_back, within=30)
            walked_in = await reservations.reserve(staff_reservation("walk-in", *hour))
            assert (walked_in["status"], walked_in["space_id"]) == ("confirmed", "room-0"), walked_in
