"""A room booking released as a no-show, end to end over the real broker and stores: the real spaces
service in-process (its own database, the same Kafka) publishes a site that releases no-shows after
15 minutes (set by its PATCH rule, `Inventory.update_site`); bookings learns it from `spaces.site`.
A member's room booking is confirmed on the site's only room; nobody checks in; 16 minutes after the
start bookings' sweep releases it: a no-show with `released_at`, its seat back in the session, its
`BookingNoShow` published (valid against its JSON Schema), spaces' reservation released through
the release request, so a walk-in reservation of the room for the rest of the hour, refused
before, is confirmed. The member's check-in then is a 409 saying when it was released."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
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
    now,
    offering,
    open_site,
    project,
    staff_reservation,
)
from bookings_support import running as started
from jsonschema import Draft202012Validator

from bookings.bootstrap import BookingsSettings, build_app
from bookings.domain.slots import session_key
from bookings.service_layer.service import BookingService
from parkgrid.auth import Role, issue_token
from parkgrid.contracts.topics import TOPICS
from parkgrid.settings import KitSettings
from parkgrid.testing.plugin import CreateTopics
from parkgrid.testing.topics import read_topic
from spaces.bootstrap import build_app as build_spaces
from spaces.service_layer.handlers import Inventory, Reservations

pytest_plugins = ["bookings_fixtures"]

NO_SHOW = "parkgrid.bookings.booking.no_show"
SCHEMA = Path(__file__).parents[3] / "shared/contracts/schemas/parkgrid.bookings.booking.no_show/v1.json"


async def test_a_room_booking_not_checked_in_is_released_and_its_room_freed_for_walk_ins(
    settings: BookingsSettings, spaces_settings: KitSettings, create_topics: CreateTopics
) -> None:
    await create_topics([t for t in TOPICS if t.name.startswith("spaces.")])
    async with started(build_app(settings)) as app, started(build_spaces(spaces_settings)) as spaces:
        service: BookingService = app.state.components[BookingService]
        await open_site(spaces, rooms=1)
        inventory: Inventory = spaces.state.components[Inventory]
        current = await inventory.store.sites.get(SITE)
        assert current is not None
        await inventory.update_site(SITE, current["version"], {"no_show_release_minutes": 15})
        await project(service, offering("off-room", space_requirement=MEETING_ROOM), member())

        async def learnt() -> bool:
            return await service.projections.sites.releasing_no_shows() == {SITE: 15}

        await eventually(learnt, within=30)
        me = bearer(issue_token(settings, role=Role.MEMBER, member_id=member().member_id, person_id="person-acme-1"))
        start = in_days(3, 11)
        async with http_client(app) as client:
            booking: dict[str, Any] = await book_room(client, me, "off-room", start)
            assert (booking["status"], booking["space_id"]) == ("confirmed", "room-0"), booking
            request_id = booking["reservation_request_id"]
            utc_start = start.astimezone(UTC)
            reservations: Reservations = spaces.state.components[Reservations]
            rest_of_hour = (utc_start + timedelta(minutes=20), utc_start + timedelta(hours=1))
            taken = await reservations.reserve(staff_reservation("walk-in-early", *rest_of_hour))
            assert taken["status"] == "refused", taken  # the room is the booking's

            try:
                service.clock = lambda: utc_start + timedelta(minutes=14)
                assert await service.sweep() == 0  # not yet 15 minutes
                released_at = utc_start + timedelta(minutes=16)
                service.clock = lambda: released_at
                assert await service.sweep() == 1
                assert await service.sweep() == 0  # once
                after = (await client.get(f"/v1/bookings/{booking['booking_id']}", headers=me)).json()
                assert after["status"] == "no_show"
                assert datetime.fromisoformat(after["released_at"]) == released_at
                seats = await service.seats.sessions.get(session_key("off-room", start))
                assert seats is not None
                assert seats["taken"] == 0
                late = await client.post(f"/v1/bookings/{booking['booking_id']}/check-in", headers=me)
                assert late.status_code == 409
                assert late.json()["detail"].startswith("released as a no-show at 11:16")
            finally:
                service.clock = now

            async def room_given_back() -> bool:
                found = await reservations.get(request_id)
                return found is not None and found["status"] == "released"

            await eventually(room_given_back, within=30)
            walked_in = await reservations.reserve(staff_reservation("walk-in", *rest_of_hour))
            assert (walked_in["status"], walked_in["space_id"]) == ("confirmed", "room-0"), walked_in

    published = await read_topic(settings, "bookings.booking", until=1, types={NO_SHOW})
    [no_show] = published
    assert no_show.subject == booking["booking_id"]
    assert no_show.data["released_at"] is not None
    validator = Draft202012Validator(json.loads(SCHEMA.read_text()))
    assert not list(validator.iter_errors(json.loads(json.dumps(no_show.data, default=str))))
