"""What is offered is what can be confirmed, rooms' preparation and cleaning time included: the real
spaces service in-process (its own database, the same broker) publishes a site whose meeting rooms
keep 10 minutes before and 30 after each reservation (its default by kind) and a room that sets none;
bookings learns both from `spaces.site` and `spaces.space` and offers no session in a reservation's
cleaning, and spaces refuses a booking there, while a session just after the cleaning is offered
and confirmed. A room's own sides, published later, reach bookings too. Events from before
buffers existed still project (as no setting)."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from bookings_support import (
    MEETING_ROOM,
    MEMBER,
    SITE,
    bearer,
    envelope,
    in_days,
    local,
    member,
    offered,
    offering,
    open_site,
    project,
    staff_reservation,
    until_offered,
)
from bookings_support import running as started
from fastapi import FastAPI

from bookings.adapters.rooms import Rooms
from bookings.bootstrap import BookingsSettings, build_app
from bookings.service_layer.service import BookingService
from parkgrid.auth import Role, issue_token
from parkgrid.buffers import Buffers
from parkgrid.contracts.common import SpaceRequirement
from parkgrid.contracts.spaces import SiteRegistered, SpaceAdded
from parkgrid.contracts.topics import TOPICS
from parkgrid.settings import KitSettings
from parkgrid.testing.http import app_client
from parkgrid.testing.plugin import CreateTopics
from spaces.bootstrap import build_app as build_spaces
from spaces.service_layer.handlers import Inventory, ReservationRequest, Reservations

pytest_plugins = ["bookings_fixtures"]

ROOM = MEETING_ROOM
EVERY_DAY = range(1, 8)
AT_ELEVEN = [{"weekday": d, "opens": "11:00", "closes": "12:00"} for d in EVERY_DAY]
AT_HALF_PAST = [{"weekday": d, "opens": "11:30", "closes": "12:30"} for d in EVERY_DAY]
MEETING_DEFAULT = {"meeting_room": {"before_minutes": 10, "after_minutes": 30}}


def at_hour(request_id: str, day: date, hour: int) -> ReservationRequest:
    """A desk's reservation of a meeting room for the hour from `hour` on `day`."""
    return staff_reservation(request_id, local(day, hour), local(day, hour + 1))


async def booked(client: httpx.AsyncClient, admin: dict[str, str], offering_id: str, starts: Any) -> dict[str, Any]:
    """The booking of one place at `starts`, waited for until spaces answered its room."""
    body = {"offering_id": offering_id, "member_id": MEMBER, "starts_at": starts.isoformat()}
    made = await client.post("/v1/bookings", json=body, headers={**admin, "Prefer": "wait=25"})
    assert made.status_code == 201, made.text
    answer: dict[str, Any] = made.json()
    return answer


async def test_no_session_is_offered_in_a_reservations_cleaning_and_spaces_refuses_one_there(
    settings: BookingsSettings, spaces_settings: KitSettings, create_topics: CreateTopics
) -> None:
    await create_topics([t for t in TOPICS if t.name.startswith("spaces.")])
    async with started(build_app(settings)) as app, started(build_spaces(spaces_settings)) as spaces:
        service: BookingService = app.state.components[BookingService]
        await open_site(spaces, rooms=1, buffers=MEETING_DEFAULT)
        await project(
            service,
            offering("off-eleven", availability=AT_ELEVEN, space_requirement=ROOM),
            offering("off-half-past", availability=AT_HALF_PAST, space_requirement=ROOM),
            member(MEMBER),
        )
        admin = bearer(issue_token(settings, role=Role.ADMIN, subject="admin-1"))
        member_token = issue_token(settings, role=Role.MEMBER, member_id=MEMBER, person_id="person-acme-1")
        day, other_day = in_days(3).date(), in_days(4).date()
        async with app_client(app, "bookings") as client:
            # The room known to bookings (from spaces' events): both sessions offered.
            await until_offered(client, member_token, "off-eleven", day, ["11:00"])
            await until_offered(client, member_token, "off-half-past", day, ["11:30"])

            # Staff reserve the room 10:00-11:00 in spaces: 11:00 is in its 30 minutes of cleaning.
            reservations: Reservations = spaces.state.components[Reservations]
            ten = await reservations.reserve(at_hour("staff-10", day, 10))
            assert ten["status"] == "confirmed"
            await until_offered(client, member_token, "off-eleven", day, [])
            assert await offered(client, member_token, "off-half-past", day) == ["11:30"]

            # Booked anyway (an API client does not have to look at the slots): spaces refuses the room.
            inside = await booked(client, admin, "off-eleven", local(day, 11))
            assert inside["status"] == "rejected", inside
            refused = await reservations.get(inside["reservation_request_id"])
            assert refused is not None
            assert (refused["status"], refused["reason"]) == ("refused", "no_space_free")
            # Just after the cleaning: offered, and confirmed on that room.
            outside = await booked(client, admin, "off-half-past", local(day, 11, 30))
            assert (outside["status"], outside["space_id"]) == ("confirmed", "room-0"), outside

            # The room's own sides win over its kind's: none here, so 11:00 is offered again (another day).
            await reservations.reserve(at_hour("staff-10-next", other_day, 10))
            await until_offered(client, member_token, "off-eleven", other_day, [])
            inventory: Inventory = spaces.state.components[Inventory]
            current = await inventory.store.spaces.get("room-0")
            assert current is not None
            await inventory.update_space(
                "room-0", current["version"], {"buffer_before_minutes": 0, "buffer_after_minutes": 0}
            )
            await until_offered(client, member_token, "off-eleven", other_day, ["11:00"])
            again = await booked(client, admin, "off-eleven", local(other_day, 11))
            assert again["status"] == "confirmed", again


async def test_sites_and_spaces_published_before_buffers_still_project(app: FastAPI, service: BookingService) -> None:
    """An old `spaces.site` and `spaces.space` payload (no `buffers`, no sides): read as no setting
    but the old both-sides `buffer_minutes`; a site projected before buffers existed reads as none."""
    old_site = SiteRegistered.model_validate(
        {
            "site_id": SITE,
            "name": "Technopark Test",
            "city": "Casablanca",
            "country": "MA",
            "time_zone": "Africa/Casablanca",
            "opening_hours": [{"weekday": 1, "opens": "08:00", "closes": "20:00"}],
        }
    )
    await service.projections.sites.apply(envelope(old_site, SITE), old_site)
    old_room = SpaceAdded.model_validate(
        {
            "space_id": "room-old",
            "site_id": SITE,
            "name": "Salle ancienne",
            "kind": "meeting_room",
            "capacity": 6,
            "features": [],
            "buffer_minutes": 15,
            "status": "active",
        }
    )
    rooms: Rooms = app.state.components[Rooms]
    assert await rooms.spaces.apply(envelope(old_room, "room-old"), old_room)
    site_doc = await service.projections.sites.get(SITE)
    assert site_doc is not None
    assert site_doc["buffers"] == {}
    need = SpaceRequirement.model_validate(ROOM)
    [room] = await rooms.spaces.meeting(SITE, need, site_doc.get("buffers"))
    assert room.buffers == Buffers(15, 15)
    # A document projected by an older bookings (no `buffers` key at all) reads the same.
    await service.projections.sites.projection.collection.update_one({"_id": SITE}, {"$unset": {"buffers": ""}})
    older = await service.projections.sites.get(SITE)
    assert older is not None
    [room] = await rooms.spaces.meeting(SITE, need, older.get("buffers"))
    assert room.buffers == Buffers(15, 15)
