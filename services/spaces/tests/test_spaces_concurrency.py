"""Acceptance: many requests racing for one room never leave two overlapping reservations.

200 requests for overlapping ranges of one meeting room arrive at once, half through the
API and half as Kafka commands; every one must be answered (confirmed or refused), none
lost, and the confirmed ranges stored must never overlap. Duplicate request ids racing
each other must give one reservation.
"""

from __future__ import annotations

import asyncio
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from spaces_support import SITE, add_site_with_rooms, bearer, publish_commands, reservation_request

from parkgrid.contracts.common import SpaceKind, SpaceRequirement, TimeRange
from parkgrid.contracts.spaces import Requester, ReservationRequested
from parkgrid.settings import KitSettings
from parkgrid.testing.topics import read_topic
from spaces.adapters.day_passes import DayPassStore
from spaces.adapters.stores import SpacesStore, hold_from_stored
from spaces.service_layer.handlers import Reservations

pytest_plugins = ["spaces_fixtures"]

REQUESTS = 200
DAY_OPENS = datetime(2026, 12, 1, 7, 30, tzinfo=UTC)  # 08:30 in Casablanca (+01)


def ranges(count: int, seed: int = 7) -> list[tuple[datetime, datetime]]:
    """Ranges of 30 to 120 minutes starting every quarter of an hour between 08:30 and 16:30 local."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        start = DAY_OPENS + timedelta(minutes=15 * rng.randrange(0, 33))
        out.append((start, start + timedelta(minutes=rng.choice((30, 45, 60, 90, 120)))))
    return out


@pytest.mark.slow
async def test_two_hundred_racing_requests_never_overlap(
    app: FastAPI, client: httpx.AsyncClient, tokens: dict[str, str], settings: KitSettings
) -> None:
    await add_site_with_rooms(
        client, tokens["admin"], [{"space_id": "room-a", "name": "Argane", "capacity": 8, "buffer_minutes": 5}]
    )
    spans = ranges(REQUESTS)
    via_api, via_kafka = spans[::2], spans[1::2]
    desk = bearer(tokens["desk"])

    async def over_http(start: datetime, end: datetime) -> dict[str, Any]:
        body = {
            "site_id": SITE,
            "requirement": {"kind": "meeting_room", "seats": 4},
            "time": {"starts_at": start.isoformat(), "ends_at": end.isoformat()},
        }
        response = await client.post("/v1/reservations", json=body, headers=desk)
        assert response.status_code == 201, response.text
        answer: dict[str, Any] = response.json()
        return answer

    commands = [
        ReservationRequested(
            request_id=f"kafka-{i}",
            requested_by=Requester.BOOKINGS,
            reference_id=f"booking-{i}",
            site_id=SITE,
            requirement=SpaceRequirement(kind=SpaceKind.MEETING_ROOM, seats=4),
            time=TimeRange(starts_at=start, ends_at=end),
        )
        for i, (start, end) in enumerate(via_kafka)
    ]
    started = time.monotonic()
    http_answers, _ = await asyncio.gather(
        asyncio.gather(*(over_http(s, e) for s, e in via_api)),
        publish_commands(settings, commands, SITE),
    )
    http_done = time.monotonic() - started
    assert {a["status"] for a in http_answers} <= {"confirmed", "refused"}

    replies = await read_topic(
        settings,
        "spaces.reservation",
        until=REQUESTS,
        within=200,
        types={"parkgrid.spaces.reservation.confirmed", "parkgrid.spaces.reservation.refused"},
    )
    elapsed = time.monotonic() - started
    answered = {e.data["request_id"]: e.data["status"] for e in replies}
    assert len(replies) == REQUESTS, f"{len(replies)} answers published for {REQUESTS} requests"
    assert {f"kafka-{i}" for i in range(len(commands))} <= set(answered)
    assert {a["request_id"] for a in http_answers} <= set(answered)

    stored = await app.state.components[SpacesStore].reservations.collection.find({}).to_list()
    assert len(stored) == REQUESTS
    confirmed = sorted(
        (d["time"]["starts_at"], d["time"]["ends_at"], d["_id"]) for d in stored if d["status"] == "confirmed"
    )
    overlaps = [
        (a[2], b[2])
        for i, a in enumerate(confirmed)
        for b in confirmed[i + 1 :]
        if b[0] < a[1] + timedelta(minutes=5) and a[0] - timedelta(minutes=5) < b[1]
    ]
    calendar = await app.state.components[SpacesStore].calendars.collection.find_one({"_id": "room-a"})
    print(
        f"\n{REQUESTS} requests in {elapsed:.1f}s (API half {http_done:.1f}s): {len(confirmed)} confirmed, "
        f"{REQUESTS - len(confirmed)} refused, {len(overlaps)} overlapping pairs, "
        f"{len(calendar['holds'])} holds on the calendar"
    )
    assert overlaps == []
    assert len(calendar["holds"]) == len(confirmed)
    assert 1 < len(confirmed) < REQUESTS


async def test_the_same_request_racing_itself_gives_one_reservation(
    app: FastAPI, client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    await add_site_with_rooms(
        client,
        tokens["admin"],
        [{"space_id": f"room-{n}", "name": f"Room {n}", "capacity": 6} for n in range(3)],
    )
    reservations: Reservations = app.state.components[Reservations]
    request = reservation_request(
        "dup-1",
        SpaceKind.MEETING_ROOM,
        TimeRange(starts_at=DAY_OPENS, ends_at=DAY_OPENS + timedelta(hours=1)),
        reference_id="event-1",
    )
    answers = await asyncio.gather(*(reservations.reserve(request) for _ in range(10)))
    assert {a["space_id"] for a in answers} == {answers[0]["space_id"]}
    assert {a["status"] for a in answers} == {"confirmed"}
    calendars = app.state.components[SpacesStore].calendars.collection
    holds = [hold_from_stored(h) async for calendar in calendars.find({}) for h in calendar["holds"]]
    assert [h.reservation_id for h in holds] == ["dup-1"]
    assert await app.state.components[SpacesStore].reservations.collection.count_documents({}) == 1


async def test_fifty_check_ins_to_an_area_of_twenty_give_twenty_passes(
    app: FastAPI, client: httpx.AsyncClient, tokens: dict[str, str], settings: KitSettings
) -> None:
    await add_site_with_rooms(
        client,
        tokens["admin"],
        [{"space_id": "coworking", "name": "Coworking", "kind": "hot_desk_area", "capacity": 20}],
    )
    desk = bearer(tokens["desk"])

    async def check_in(person: str) -> int:
        body = {
            "site_id": SITE,
            "space_id": "coworking",
            "member_id": "org-1",
            "person_id": person,
            "day": "2026-12-01",
        }
        return (await client.post("/v1/day-passes", json=body, headers=desk)).status_code

    statuses = await asyncio.gather(*(check_in(f"person-{n}") for n in range(50)))
    assert sorted(statuses).count(201) == 20
    assert sorted(statuses).count(409) == 30
    issued = [s for s in statuses if s == 201]
    assert len(issued) == 20
    passes = app.state.components[DayPassStore]
    assert await passes.passes.collection.count_documents({}) == 20
    assert await passes.taken("coworking", datetime(2026, 12, 1).date()) == 20
    # A person who has a pass gets it again; a Sunday or an office is refused naming the field.
    member = bearer(tokens["member"])
    first_in = next(f"person-{n}" for n, s in enumerate(statuses) if s == 201)
    body = {"site_id": SITE, "space_id": "coworking", "member_id": "org-1", "person_id": first_in, "day": "2026-12-01"}
    assert (await client.post("/v1/day-passes", json=body, headers=desk)).status_code == 200
    sunday = await client.post("/v1/day-passes", json={**body, "day": "2026-11-29"}, headers=desk)
    assert sunday.json()["errors"][0]["field"] == "day"
    assert (await client.post("/v1/day-passes", json={**body, "member_id": "org-2"}, headers=member)).status_code == 403
    events = await read_topic(settings, "spaces.day_pass", until=20)
    assert sorted(e.data["places_taken"] for e in events) == list(range(1, 21))
