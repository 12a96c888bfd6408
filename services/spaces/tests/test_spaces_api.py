"""The HTTP API of spaces against the real store and broker: inventory, reservations,
bad input, roles, local times around Ramadan, occupancy and the published events."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from spaces_support import SITE, add_site_with_rooms, bearer, fields_of, publish_commands, site_body

from parkgrid.contracts.common import SpaceKind, SpaceRequirement, TimeRange
from parkgrid.contracts.spaces import ReleaseRequested, Requester, ReservationRequested
from parkgrid.settings import KitSettings
from parkgrid.testing.topics import read_topic
from spaces.adapters.stores import SpacesStore
from spaces.seed import SITES, seed

pytest_plugins = ["spaces_fixtures"]

ROOMS = [
    {"space_id": "room-small", "name": "Atlas", "capacity": 4, "features": ["screen"], "buffer_minutes": 10},
    {"space_id": "room-big", "name": "Toubkal", "capacity": 12, "features": ["screen", "video_conferencing"]},
]


def reservation(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "site_id": SITE,
        "requirement": {"kind": "meeting_room", "seats": 3},
        "time": {"starts_at": "2026-12-01T10:00:00+01:00", "ends_at": "2026-12-01T11:00:00+01:00"},
    }
    body.update(overrides)
    return body


async def test_inventory_lifecycle_and_events(
    client: httpx.AsyncClient, tokens: dict[str, str], settings: KitSettings
) -> None:
    admin = bearer(tokens["admin"])
    await add_site_with_rooms(client, tokens["admin"], ROOMS)
    got = await client.get(f"/v1/sites/{SITE}", headers=admin)
    assert got.status_code == 200
    assert got.json()["time_zone"] == "Africa/Casablanca"
    etag = got.headers["ETag"]

    assert (await client.patch(f"/v1/sites/{SITE}", json={"name": "Casa"}, headers=admin)).status_code == 428
    patched = await client.patch(f"/v1/sites/{SITE}", json={"name": "Casa"}, headers={**admin, "If-Match": etag})
    assert patched.status_code == 200, patched.text
    assert patched.json()["name"] == "Casa"
    stale = await client.patch(f"/v1/sites/{SITE}", json={"name": "Old"}, headers={**admin, "If-Match": etag})
    assert stale.status_code == 412
    assert (await client.post("/v1/sites", json=site_body(), headers=admin)).status_code == 409

    search = await client.get(
        f"/v1/sites/{SITE}/spaces", params={"kind": "meeting_room", "feature": "video_conferencing"}, headers=admin
    )
    assert [s["space_id"] for s in search.json()["items"]] == ["room-big"]
    search = await client.get(f"/v1/sites/{SITE}/spaces", params={"min_capacity": 5}, headers=admin)
    assert [s["space_id"] for s in search.json()["items"]] == ["room-big"]
    search = await client.get(f"/v1/sites/{SITE}/spaces", params={"kind": "private_office"}, headers=admin)
    assert search.json()["items"] == []

    space = await client.get("/v1/spaces/room-small", headers=admin)
    updated = await client.patch(
        "/v1/spaces/room-small", json={"capacity": 5}, headers={**admin, "If-Match": space.headers["ETag"]}
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["capacity"] == 5
    retired = await client.post("/v1/spaces/room-small/retire", headers=admin)
    assert retired.json()["status"] == "retired"
    # A retired room is never chosen: the bigger one is.
    answer = await client.post("/v1/reservations", json=reservation(), headers=bearer(tokens["desk"]))
    assert answer.json()["space_id"] == "room-big"

    sites = await read_topic(settings, "spaces.site", until=2)
    assert [e.type for e in sites] == ["parkgrid.spaces.site.registered", "parkgrid.spaces.site.updated"]
    assert sites[1].data["name"] == "Casa"
    spaces = await read_topic(settings, "spaces.space", until=4)
    assert sorted(e.type.rsplit(".", 1)[1] for e in spaces) == ["added", "added", "retired", "updated"]


async def test_roles(client: httpx.AsyncClient, tokens: dict[str, str]) -> None:
    await add_site_with_rooms(client, tokens["admin"], ROOMS)
    member, desk = bearer(tokens["member"]), bearer(tokens["desk"])
    for token in (member, desk):
        assert (await client.post("/v1/sites", json=site_body("site-y"), headers=token)).status_code == 403
        assert (
            await client.post(f"/v1/sites/{SITE}/spaces", json={**ROOMS[0], "kind": "meeting_room"}, headers=token)
        ).status_code == 403
        assert (await client.post("/v1/spaces/room-small/retire", headers=token)).status_code == 403
        assert (
            await client.patch(f"/v1/sites/{SITE}", json={"name": "x"}, headers={**token, "If-Match": '"1"'})
        ).status_code == 403
    for path in ("/v1/sites", f"/v1/sites/{SITE}/spaces", f"/v1/sites/{SITE}/occupancy?date=2026-12-01"):
        assert (await client.get(path, headers=member)).status_code == 403
    assert (await client.post("/v1/reservations", json=reservation(), headers=member)).status_code == 403
    other = await client.post("/v1/reservations", json=reservation(), headers=bearer(tokens["other_desk"]))
    assert other.status_code == 403
    assert (await client.get("/v1/sites")).status_code == 401


async def test_bad_input_names_the_field(client: httpx.AsyncClient, tokens: dict[str, str]) -> None:
    await add_site_with_rooms(client, tokens["admin"], ROOMS)
    desk, admin = bearer(tokens["desk"]), bearer(tokens["admin"])
    cases: list[tuple[dict[str, Any], str]] = [
        (reservation(site_id="site-nowhere"), "site_id"),
        (
            reservation(time={"starts_at": "2026-12-01T11:00:00+01:00", "ends_at": "2026-12-01T10:00:00+01:00"}),
            "time",
        ),
        (reservation(requirement={"kind": "meeting_room", "seats": 0}), "requirement.seats"),
        (reservation(requirement={"kind": "meeting_room", "seats": -2}), "requirement.seats"),
        (
            reservation(time={"starts_at": "2026-12-01T10:00:00+01:00", "ends_at": "2031-12-01T10:00:00+01:00"}),
            "time",
        ),
        (
            reservation(time={"starts_at": "2026-12-01T10:00:00", "ends_at": "2026-12-01T11:00:00+01:00"}),
            "time.starts_at",
        ),
        ({**reservation(), "colour": "blue"}, "colour"),
        (reservation(requirement={"kind": "spaceship", "seats": 2}), "requirement.kind"),
    ]
    for body, field in cases:
        response = await client.post("/v1/reservations", json=body, headers=desk)
        assert field in fields_of(response), (body, response.text)
    assert "time_zone" in fields_of(
        await client.post("/v1/sites", json=site_body("site-z", zone="Mars/Olympus"), headers=admin)
    )
    assert "opening_hours.0.extra" in fields_of(
        await client.post(
            "/v1/sites",
            json=site_body("site-z", opening_hours=[{"weekday": 1, "opens": "08:00", "closes": "12:00", "extra": 1}]),
            headers=admin,
        )
    )
    assert "capacity" in fields_of(
        await client.post(
            f"/v1/sites/{SITE}/spaces", json={"name": "r", "kind": "meeting_room", "capacity": 0}, headers=admin
        )
    )
    outside = await client.post(
        f"/v1/sites/{SITE}/spaces",
        json={"name": "r", "kind": "meeting_room", "capacity": 4, "features": ["screen", "video"]},
        headers=admin,
    )
    assert "features.1" in fields_of(outside)
    assert "'video'" in outside.text  # the problem names the feature outside the vocabulary
    patch = await client.patch("/v1/spaces/room-small", json={"features": ["holodeck"]}, headers=admin)
    assert "features.0" in fields_of(patch)
    unknown_space = await client.post("/v1/spaces/no-such-space/retire", headers=admin)
    assert unknown_space.status_code == 404


async def test_reservation_local_times_around_ramadan_and_occupancy(
    client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    await add_site_with_rooms(client, tokens["admin"], ROOMS)
    await add_site_with_rooms(
        client,
        tokens["admin"],
        [{"space_id": "salle-1", "name": "Salle", "capacity": 6}],
        "site-paris",
        zone="Europe/Paris",
    )
    desk = bearer(tokens["desk"])
    # The Friday before the change (+01) and the Monday after it (+00), both 09:00Z.
    before = await client.post(
        "/v1/reservations",
        json=reservation(time={"starts_at": "2026-02-13T09:00:00Z", "ends_at": "2026-02-13T10:30:00Z"}),
        headers=desk,
    )
    during = await client.post(
        "/v1/reservations",
        json=reservation(time={"starts_at": "2026-02-16T09:00:00Z", "ends_at": "2026-02-16T10:30:00Z"}),
        headers=desk,
    )
    early = await client.post(
        "/v1/reservations",
        json=reservation(time={"starts_at": "2026-02-16T08:00:00Z", "ends_at": "2026-02-16T08:45:00Z"}),
        headers=desk,
    )
    assert before.json()["status"] == "confirmed", before.text
    assert before.json()["local_time"]["starts_at"] == "2026-02-13T10:00:00+01:00"
    assert during.json()["status"] == "confirmed", during.text
    assert during.json()["local_time"]["starts_at"] == "2026-02-16T09:00:00+00:00"
    assert early.json()["status"] == "refused"
    assert early.json()["reason"] == "outside_opening_hours"

    occupancy = await client.get(f"/v1/sites/{SITE}/occupancy", params={"date": "2026-02-16"}, headers=desk)
    rooms = {s["space_id"]: s for s in occupancy.json()["spaces"]}
    assert rooms["room-small"]["state"] == "reserved"
    assert rooms["room-small"]["reservations"][0]["starts_at"] == "2026-02-16T09:00:00+00:00"
    assert rooms["room-big"]["state"] == "free"

    paris = await client.post(
        "/v1/reservations",
        json=reservation(
            site_id="site-paris", time={"starts_at": "2026-12-01T07:30:00Z", "ends_at": "2026-12-01T08:30:00Z"}
        ),
        headers=desk,
    )
    assert paris.json()["status"] == "confirmed", paris.text
    assert paris.json()["local_time"]["starts_at"] == "2026-12-01T08:30:00+01:00"
    occupancy = await client.get("/v1/sites/site-paris/occupancy", params={"date": "2026-12-01"}, headers=desk)
    assert occupancy.json()["spaces"][0]["reservations"][0]["ends_at"] == "2026-12-01T09:30:00+01:00"


async def test_buffers_release_and_idempotency_key(client: httpx.AsyncClient, tokens: dict[str, str]) -> None:
    await add_site_with_rooms(client, tokens["admin"], ROOMS)
    desk = bearer(tokens["desk"])
    first = await client.post("/v1/reservations", json=reservation(), headers={**desk, "Idempotency-Key": "k-1"})
    again = await client.post("/v1/reservations", json=reservation(), headers={**desk, "Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert first.json()["space_id"] == "room-small"
    # Within room-small's 10-minute buffer: the next best fit is the big room.
    close = reservation(time={"starts_at": "2026-12-01T11:05:00+01:00", "ends_at": "2026-12-01T12:00:00+01:00"})
    assert (await client.post("/v1/reservations", json=close, headers=desk)).json()["space_id"] == "room-big"
    later = reservation(time={"starts_at": "2026-12-01T11:10:00+01:00", "ends_at": "2026-12-01T12:00:00+01:00"})
    assert (await client.post("/v1/reservations", json=later, headers=desk)).json()["space_id"] == "room-small"
    too_big = reservation(requirement={"kind": "meeting_room", "seats": 20})
    refused = (await client.post("/v1/reservations", json=too_big, headers=desk)).json()
    assert (refused["status"], refused["reason"]) == ("refused", "no_space_fits")

    rid = first.json()["reservation_id"]
    released = await client.post(f"/v1/reservations/{rid}/release", headers=desk)
    assert released.json()["status"] == "released"
    assert (await client.post(f"/v1/reservations/{rid}/release", headers=desk)).json()["status"] == "released"
    assert (await client.get(f"/v1/reservations/{rid}", headers=desk)).json()["status"] == "released"
    assert (await client.get("/v1/reservations/nope", headers=desk)).status_code == 404
    # Its range is free again.
    retry = await client.post("/v1/reservations", json=reservation(), headers=desk)
    assert retry.json()["space_id"] == "room-small"


async def test_kafka_commands_duplicates_and_releases(
    client: httpx.AsyncClient, tokens: dict[str, str], settings: KitSettings
) -> None:
    await add_site_with_rooms(client, tokens["admin"], ROOMS)

    def requested(request_id: str, start: str) -> ReservationRequested:
        return ReservationRequested(
            request_id=request_id,
            requested_by=Requester.BOOKINGS,
            reference_id=f"booking-{request_id}",
            site_id=SITE,
            requirement=SpaceRequirement(kind=SpaceKind.MEETING_ROOM, seats=2, features=["screen"]),
            time=TimeRange.model_validate({"starts_at": start, "ends_at": start.replace("T10", "T11")}),
        )

    def release(request_id: str) -> ReleaseRequested:
        return ReleaseRequested(
            request_id=request_id, requested_by=Requester.BOOKINGS, reference_id="b", site_id=SITE, reason="cancelled"
        )

    commands = [
        requested("req-1", "2026-12-01T10:00:00+01:00"),
        requested("req-1", "2026-12-01T10:00:00+01:00"),  # delivered twice
        requested("req-2", "2026-12-01T10:00:00+01:00"),
        requested("req-sunday", "2026-11-29T10:00:00+01:00"),
        release("req-unknown"),
        release("req-2"),
        release("req-2"),
    ]
    await publish_commands(settings, commands, SITE)
    answers = await read_topic(settings, "spaces.reservation", until=4)
    by_request: dict[str, list[str]] = {}
    for envelope in answers:
        by_request.setdefault(envelope.data["request_id"], []).append(envelope.type.rsplit(".", 1)[1])
    assert by_request == {
        "req-1": ["confirmed"],
        "req-2": ["confirmed", "released"],
        "req-sunday": ["refused"],
    }
    desk = bearer(tokens["desk"])
    first = (await client.get("/v1/reservations/req-1", headers=desk)).json()
    assert first["space_id"] == "room-small"
    assert (await client.get("/v1/reservations/req-2", headers=desk)).json()["space_id"] == "room-big"
    assert (await client.get("/v1/reservations/req-unknown", headers=desk)).status_code == 404


async def test_seed_is_idempotent_and_published(
    app: Any, settings: KitSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`parkgrid seed` runs `spaces.seed:seed`; the running service's relay publishes what it wrote."""
    monkeypatch.setenv("MONGODB_URI", settings.mongodb_uri)
    monkeypatch.setenv("PARKGRID_DATABASE", settings.database)
    summary = await seed()
    assert summary.startswith(f"{len(SITES)} sites and ")
    store = app.state.components[SpacesStore]
    # A room seeded before the one vocabulary is brought to it by the next seed.
    await store.spaces.collection.update_one({"_id": "rabat-meeting-room-2"}, {"$set": {"features": ["video"]}})
    assert (await seed()).startswith("0 sites and 0 spaces")
    reseeded = await store.space("rabat-meeting-room-2")
    assert reseeded is not None
    assert set(reseeded[0].features) == {"screen", "whiteboard", "wifi", "video_conferencing"}
    for site_id, _, _, size in SITES:
        kinds = {s.kind for s, _ in await store.spaces_of(site_id)}
        assert {"meeting_room", "private_office", "hot_desk_area", "dedicated_desk"} <= kinds
        assert ("event_hall" in kinds) is (size == "large")
    sites = await read_topic(settings, "spaces.site", until=len(SITES))
    assert sorted(e.subject for e in sites) == sorted(s[0] for s in SITES)
    assert {e.data["time_zone"] for e in sites} == {"Africa/Casablanca"}
