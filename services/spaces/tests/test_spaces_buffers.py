"""Rooms' preparation and cleaning time (buffers) in spaces: which applies (the space's own before
and after, else its old `buffer_minutes`, else its site's default by kind), set by admins (a site's
defaults through its PATCH with If-Match, a space's own sides), published, shown in the day's
occupancy, and kept by the reservation guard, also when two requests race for ranges that
conflict only through the buffers."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI
from spaces_support import SITE, add_site_with_rooms, bearer, fields_of, reservation_request, site_body

from parkgrid.buffers import Buffers
from parkgrid.contracts.common import SpaceKind, TimeRange, WeeklyWindow
from parkgrid.contracts.spaces import SiteSnapshot, SpaceSnapshot
from parkgrid.settings import KitSettings
from parkgrid.testing.topics import read_topic
from spaces.adapters.stores import SpacesStore
from spaces.domain.model import Calendar, Hold
from spaces.domain.sites import Site, Space
from spaces.seed import seed_into
from spaces.service_layer.handlers import Inventory, Reservations

pytest_plugins = ["spaces_fixtures"]

CASABLANCA = ZoneInfo("Africa/Casablanca")
DAY = date(2026, 12, 2)  # a Wednesday; the tests' clock stands on 2026-12-01
OWN_SIDES = {"buffer_before_minutes": 5, "buffer_after_minutes": 0}
MEETING_DEFAULT = {"meeting_room": {"before_minutes": 10, "after_minutes": 30}}


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CASABLANCA)


def a_site(buffers: dict[str, Any] | None = None) -> Site:
    return Site(
        SITE,
        "Technopark Test",
        "Casablanca",
        "MA",
        "Africa/Casablanca",
        [WeeklyWindow(weekday=d, opens="08:30", closes="18:30") for d in range(1, 6)],
        buffers=buffers or {},
    )


def a_room(kind: SpaceKind = SpaceKind.MEETING_ROOM, **sides: Any) -> Space:
    return Space("room-a", SITE, "Argane", kind, 8, **sides)


# --- the rule on spaces' own model, pure ---------------------------------------------------


def test_a_room_takes_its_kinds_default_unless_it_sets_its_own() -> None:
    site = a_site(MEETING_DEFAULT)
    assert a_room().buffers_at(site) == Buffers(before=10, after=30)
    assert a_room(buffer_before_minutes=0, buffer_after_minutes=45).buffers_at(site) == Buffers(0, 45)
    assert a_room(buffer_minutes=15).buffers_at(site) == Buffers(15, 15), "the old setting beats the kind's"
    assert a_room(kind=SpaceKind.EVENT_HALL).buffers_at(site) == Buffers(0, 0)
    assert a_room().buffers_at(a_site()) == Buffers(0, 0)


def test_a_site_and_a_space_keep_their_buffers_in_the_published_shape() -> None:
    site = Site.from_document({**a_site(MEETING_DEFAULT).to_document()})
    assert site.buffers == MEETING_DEFAULT
    published = SiteSnapshot.model_validate(site.to_document())
    assert published.buffers[SpaceKind.MEETING_ROOM].after_minutes == 30
    assert Site.from_document(published.model_dump(mode="json")).buffers == MEETING_DEFAULT
    room = a_room(buffer_before_minutes=5, buffer_after_minutes=20)
    snapshot = SpaceSnapshot.model_validate(room.to_document())
    assert (snapshot.buffer_before_minutes, snapshot.buffer_after_minutes) == (5, 20)
    # A site or space stored before buffers existed reads as no setting.
    old = {k: v for k, v in room.to_document().items() if not k.startswith("buffer_")}
    assert Space.from_document(old).buffers_at(a_site()) == Buffers(0, 0)
    old_site = {k: v for k, v in a_site().to_document().items() if k != "buffers"}
    assert Site.from_document(old_site).buffers == {}


def test_the_calendar_admits_a_room_with_its_buffers_and_a_shared_area_without() -> None:
    calendar = Calendar("room-a", 3, [Hold("a", local(DAY, 10), local(DAY, 11))])
    room, buffers = a_room(), Buffers(before=10, after=30)
    assert not calendar.admits(room, buffers, local(DAY, 11, 15), local(DAY, 12), 2), "in the cleaning"
    assert calendar.admits(room, buffers, local(DAY, 11, 30), local(DAY, 12), 2)
    assert not calendar.admits(room, buffers, local(DAY, 9), local(DAY, 9, 45), 2), "its cleaning into the next"
    assert calendar.admits(room, Buffers(), local(DAY, 11), local(DAY, 12), 2)
    area = Space("area", SITE, "Open space", SpaceKind.HOT_DESK_AREA, 20)
    shared = Calendar("area", 1, [Hold("a", local(DAY, 10), local(DAY, 11), places=1)])
    assert shared.admits(area, buffers, local(DAY, 11), local(DAY, 12), 2), "places, not buffers"


def test_the_pruned_past_is_kept_clear_by_the_wider_side() -> None:
    cut = datetime(2026, 11, 20, tzinfo=UTC)
    pruned = Calendar("room-a", 5, [], closed_before=cut)
    assert not pruned.is_free(cut + timedelta(minutes=20), cut + timedelta(hours=1), Buffers(before=0, after=30))
    assert pruned.is_free(cut + timedelta(minutes=30), cut + timedelta(hours=1), Buffers(before=0, after=30))


# --- admins set them; the events and the day's occupancy carry them --------------------------


async def test_admins_set_a_sites_defaults_and_a_rooms_own_sides(
    client: httpx.AsyncClient, tokens: dict[str, str], settings: KitSettings
) -> None:
    admin = bearer(tokens["admin"])
    await add_site_with_rooms(
        client,
        tokens["admin"],
        [
            {"space_id": "room-a", "name": "Argane", "capacity": 8},
            {
                "space_id": "room-b",
                "name": "Toubkal",
                "capacity": 8,
                "buffer_before_minutes": 5,
                "buffer_after_minutes": 0,
            },
        ],
    )
    etag = (await client.get(f"/v1/sites/{SITE}", headers=admin)).headers["ETag"]
    change = {"buffers": MEETING_DEFAULT}
    assert (await client.patch(f"/v1/sites/{SITE}", json=change, headers=admin)).status_code == 428
    patched = await client.patch(f"/v1/sites/{SITE}", json=change, headers={**admin, "If-Match": etag})
    assert patched.status_code == 200, patched.text
    assert patched.json()["buffers"] == MEETING_DEFAULT
    stale = await client.patch(f"/v1/sites/{SITE}", json={"buffers": {}}, headers={**admin, "If-Match": etag})
    assert stale.status_code == 412
    fresh = {**admin, "If-Match": patched.headers["ETag"]}
    assert fields_of(
        await client.patch(
            f"/v1/sites/{SITE}", json={"buffers": {"meeting_room": {"after_minutes": 241}}}, headers=fresh
        )
    ) == ["buffers.meeting_room.after_minutes"]
    assert (
        await client.patch(f"/v1/sites/{SITE}", json={"buffers": {"sauna": {"after_minutes": 5}}}, headers=fresh)
    ).status_code == 422
    assert (
        await client.patch(f"/v1/sites/{SITE}", json={"buffers": {"meeting_room": {"during": 5}}}, headers=fresh)
    ).status_code == 422
    assert fields_of(
        await client.post(
            f"/v1/sites/{SITE}/spaces",
            json={"name": "X", "kind": "meeting_room", "capacity": 2, "buffer_before_minutes": -1},
            headers=admin,
        )
    ) == ["buffer_before_minutes"]

    day = await client.get(f"/v1/sites/{SITE}/occupancy", params={"date": DAY.isoformat()}, headers=admin)
    assert day.status_code == 200, day.text
    shown = {s["space_id"]: (s["buffer_before_minutes"], s["buffer_after_minutes"]) for s in day.json()["spaces"]}
    assert shown == {"room-a": (10, 30), "room-b": (5, 0)}

    # Its own side set back to null: room-b falls back to the kind's default on that side.
    room_b = await client.get("/v1/spaces/room-b", headers=admin)
    reverted = await client.patch(
        "/v1/spaces/room-b", json={"buffer_after_minutes": None}, headers={**admin, "If-Match": room_b.headers["ETag"]}
    )
    assert reverted.status_code == 200, reverted.text
    assert (reverted.json()["buffer_before_minutes"], reverted.json()["buffer_after_minutes"]) == (5, None)

    sites = await read_topic(settings, "spaces.site", until=2, types={"parkgrid.spaces.site.updated"})
    assert sites[-1].data["buffers"] == MEETING_DEFAULT
    spaces = await read_topic(settings, "spaces.space", until=3)
    room_b_now = max((e for e in spaces if e.subject == "room-b"), key=lambda e: e.sequence)
    assert (room_b_now.data["buffer_before_minutes"], room_b_now.data["buffer_after_minutes"]) == (5, None)


# --- the guard keeps them ----------------------------------------------------------------


async def with_default_buffers(client: httpx.AsyncClient, admin: str) -> None:
    await add_site_with_rooms(
        client, admin, [{"space_id": "room-a", "name": "Argane", "capacity": 8}], buffers=MEETING_DEFAULT
    )


def request_for(request_id: str, starts_at: datetime, ends_at: datetime) -> Any:
    return reservation_request(request_id, SpaceKind.MEETING_ROOM, TimeRange(starts_at=starts_at, ends_at=ends_at))


async def test_a_reservation_in_the_cleaning_is_refused_one_just_after_is_confirmed(
    app: FastAPI, client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    await with_default_buffers(client, tokens["admin"])
    reservations: Reservations = app.state.components[Reservations]
    first = await reservations.reserve(request_for("r-10", local(DAY, 10), local(DAY, 11)))
    assert first["status"] == "confirmed"
    inside = await reservations.reserve(request_for("r-1115", local(DAY, 11, 15), local(DAY, 12)))
    assert (inside["status"], inside["reason"]) == ("refused", "no_space_free")
    before = await reservations.reserve(request_for("r-0905", local(DAY, 9, 5), local(DAY, 9, 45)))
    assert before["status"] == "refused", "its cleaning would run into 10:00"
    outside = await reservations.reserve(request_for("r-1130", local(DAY, 11, 30), local(DAY, 12)))
    assert outside["status"] == "confirmed"


PAIRS = 12


def weekdays(first: date, count: int) -> list[date]:
    days: list[date] = []
    day = first
    while len(days) < count:
        if day.isoweekday() <= 5:
            days.append(day)
        day += timedelta(days=1)
    return days


async def test_two_requests_racing_for_ranges_that_meet_only_through_the_buffers_end_with_one_refused(
    app: FastAPI, client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    """10:00-11:00 and 11:15-12:00 do not overlap; with 30 minutes of cleaning they conflict. Both of
    each pair asked at once on one room: the calendar's version-guarded write decides, buffers
    included, so one is confirmed and the other refused (a guard without buffers confirms both)."""
    await with_default_buffers(client, tokens["admin"])
    reservations: Reservations = app.state.components[Reservations]
    days = weekdays(DAY, PAIRS)
    asked = []
    for n, day in enumerate(days):
        asked.append(request_for(f"early-{n}", local(day, 10), local(day, 11)))
        asked.append(request_for(f"late-{n}", local(day, 11, 15), local(day, 12)))
    answers = await asyncio.gather(*(reservations.reserve(r) for r in asked))
    by_day = [answers[2 * n : 2 * n + 2] for n in range(PAIRS)]
    outcomes = [sorted(a["status"] for a in pair) for pair in by_day]
    assert outcomes == [["confirmed", "refused"]] * PAIRS
    assert {a["reason"] for a in answers if a["status"] == "refused"} == {"no_space_free"}
    calendar = await app.state.components[SpacesStore].calendars.collection.find_one({"_id": "room-a"})
    assert len(calendar["holds"]) == PAIRS


async def test_a_site_registered_with_defaults_publishes_them(
    client: httpx.AsyncClient, tokens: dict[str, str], settings: KitSettings
) -> None:
    made = await client.post("/v1/sites", json=site_body(buffers=MEETING_DEFAULT), headers=bearer(tokens["admin"]))
    assert made.status_code == 201, made.text
    registered = await read_topic(settings, "spaces.site", until=1)
    assert registered[0].data["buffers"] == MEETING_DEFAULT


async def test_the_demo_gives_rooms_their_own_buffers_and_one_site_a_default_by_kind(app: FastAPI) -> None:
    """Casablanca's meeting rooms take its default (10 before, 20 after), every Salle Argane and
    Auditorium set their own; a site or room seeded before buffers is brought to them by the next seed."""
    store: SpacesStore = app.state.components[SpacesStore]
    inventory = Inventory(store)
    await seed_into(inventory)

    async def effective(space_id: str) -> Buffers:
        space = await store.space(space_id)
        assert space is not None
        site = await store.site(space[0].site_id)
        assert site is not None
        return space[0].buffers_at(site[0])

    assert await effective("casablanca-meeting-room-1") == Buffers(10, 20)
    assert await effective("casablanca-meeting-room-2") == Buffers(5, 20)
    assert await effective("rabat-meeting-room-1") == Buffers(15, 15)
    assert await effective("rabat-event-hall-11") == Buffers(30, 60)

    await store.sites.collection.update_one({"_id": "site-casablanca"}, {"$unset": {"buffers": ""}})
    await store.spaces.collection.update_one({"_id": "casablanca-meeting-room-1"}, {"$set": {"buffer_minutes": 15}})
    assert await effective("casablanca-meeting-room-1") == Buffers(15, 15)
    before = {d["_id"]: d["version"] for d in await store.spaces.collection.find({}, {"version": 1}).to_list()}
    assert await seed_into(inventory) == (0, 0)
    assert await effective("casablanca-meeting-room-1") == Buffers(10, 20)
    after = {d["_id"]: d["version"] for d in await store.spaces.collection.find({}, {"version": 1}).to_list()}
    assert {k for k in after if after[k] != before[k]} == {"casablanca-meeting-room-1"}
