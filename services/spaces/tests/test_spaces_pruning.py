"""Pruning past holds from the space calendars (the store has no TTL): the holds that ended
long ago go, the reservations stay, nothing can be reserved in the pruned past any more, and
the service prunes by itself while it runs."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from spaces_support import SITE, add_site_with_rooms, bearer, reservation_request

from parkgrid.contracts.common import SpaceKind, TimeRange
from parkgrid.contracts.spaces import Requester
from parkgrid.settings import KitSettings
from spaces.adapters.stores import SpacesStore
from spaces.bootstrap import build_app
from spaces.domain.sites import Site, Space
from spaces.service_layer.handlers import Inventory, Reservations
from spaces.service_layer.pruning import HoldPruner

pytest_plugins = ["spaces_fixtures"]

CASABLANCA = ZoneInfo("Africa/Casablanca")


def midweek(offset_days: int) -> date:
    """A Tuesday, Wednesday or Thursday about `offset_days` from today (the site is open then)."""
    day = datetime.now(CASABLANCA).date() + timedelta(days=offset_days)
    step = timedelta(days=1 if offset_days >= 0 else -1)
    while day.isoweekday() not in (2, 3, 4):
        day += step
    return day


def hour_range(day: date, hour: int) -> dict[str, str]:
    start = datetime(day.year, day.month, day.day, hour, tzinfo=CASABLANCA)
    return {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=1)).isoformat()}


def reservation(day: date, hour: int) -> dict[str, Any]:
    return {"site_id": SITE, "requirement": {"kind": "meeting_room", "seats": 2}, "time": hour_range(day, hour)}


async def test_past_holds_are_pruned_and_the_past_stays_closed(
    app: FastAPI, client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    await add_site_with_rooms(client, tokens["admin"], [{"space_id": "room-1", "name": "Atlas", "capacity": 8}])
    desk = bearer(tokens["desk"])
    past, future = midweek(-20), midweek(10)
    ids = []
    for day, hour in ((past, 10), (past, 14), (future, 10)):
        answer = await client.post("/v1/reservations", json=reservation(day, hour), headers=desk)
        assert answer.json()["status"] == "confirmed", answer.text
        ids.append(answer.json()["reservation_id"])
    calendars = app.state.components[SpacesStore].calendars.collection
    assert len((await calendars.find_one({"_id": "room-1"}))["holds"]) == 3

    assert await app.state.components[HoldPruner].prune_once() == 2  # kept: 7 days
    calendar = await app.state.components[SpacesStore].calendars.get("room-1", SITE)
    assert [h.reservation_id for h in calendar.holds] == [ids[2]]
    assert calendar.closed_before is not None
    assert await app.state.components[HoldPruner].prune_once() == 0

    # The reservations themselves are history, not gone; releasing one still works.
    assert (await client.get(f"/v1/reservations/{ids[0]}", headers=desk)).json()["status"] == "confirmed"
    released = await client.post(f"/v1/reservations/{ids[1]}/release", headers=desk)
    assert released.json()["status"] == "released"
    # Where the pruned holds were, nothing can be reserved (a pruned hold could overlap it)...
    again = (await client.post("/v1/reservations", json=reservation(past, 10), headers=desk)).json()
    assert (again["status"], again["reason"]) == ("refused", "invalid_request")
    # ...and the future is guarded as before.
    taken = (await client.post("/v1/reservations", json=reservation(future, 10), headers=desk)).json()
    assert (taken["status"], taken["reason"]) == ("refused", "no_space_free")
    free = (await client.post("/v1/reservations", json=reservation(future, 14), headers=desk)).json()
    assert free["status"] == "confirmed"


async def test_the_running_service_prunes_by_itself(settings: KitSettings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPACES_PRUNE_EVERY_SECONDS", "0.2")
    monkeypatch.setenv("SPACES_HOLD_RETENTION_DAYS", "1")
    application = build_app(settings)
    async with application.router.lifespan_context(application):
        await application.state.components[Inventory].register_site(
            Site.from_document(
                {
                    "site_id": SITE,
                    "name": "Site",
                    "city": "Rabat",
                    "country": "MA",
                    "time_zone": "Africa/Casablanca",
                    "opening_hours": [{"weekday": d, "opens": "08:30", "closes": "18:30"} for d in range(1, 6)],
                }
            )
        )
        await application.state.components[Inventory].add_space(
            Space("room-1", SITE, "Atlas", SpaceKind.MEETING_ROOM, 8)
        )
        answer = await application.state.components[Reservations].reserve(
            reservation_request(
                "req-past",
                SpaceKind.MEETING_ROOM,
                TimeRange.model_validate(hour_range(midweek(-3), 10)),
                requested_by=Requester.STAFF,
            )
        )
        assert answer["status"] == "confirmed"
        calendars = application.state.components[SpacesStore].calendars.collection
        deadline = time.monotonic() + 10
        while (await calendars.find_one({"_id": "room-1"}))["holds"]:
            assert time.monotonic() < deadline, "the past hold was never pruned"
            await asyncio.sleep(0.1)


async def test_a_calendar_stored_with_hold_documents_is_pruned_repaired_and_stored_as_lines(app: FastAPI) -> None:
    """Calendars written before holds were lines (sub-documents) are read as they are: the pruner
    and the residency repair still find them, and their next write stores every hold as a line."""
    calendars = app.state.components[SpacesStore].calendars
    now = datetime.now(UTC)
    old_holds = [
        {
            "reservation_id": "r-past",
            "starts_at": now - timedelta(days=30, hours=1),
            "ends_at": now - timedelta(days=30),
        },
        {"reservation_id": "r-next", "starts_at": now + timedelta(days=1), "ends_at": now + timedelta(days=1, hours=1)},
        {
            "reservation_id": "res-1",
            "starts_at": now + timedelta(days=40),
            "ends_at": now + timedelta(days=90),
            "residency": True,
        },
    ]
    await calendars.collection.insert_one({"_id": "room-old", "site_id": SITE, "version": 3, "holds": old_holds})
    assert [doc["_id"] for doc in await calendars.with_residency_holds()] == ["room-old"]

    assert await calendars.prune(now - timedelta(days=7)) == 1
    stored = await calendars.collection.find_one({"_id": "room-old"})
    assert all(isinstance(line, str) for line in stored["holds"]), stored["holds"]
    assert (stored["version"], stored["residency_holds"]) == (4, 1)
    calendar = await calendars.get("room-old", SITE)
    assert [(h.reservation_id, h.residency) for h in calendar.holds] == [("r-next", False), ("res-1", True)]
    assert [doc["_id"] for doc in await calendars.with_residency_holds()] == ["room-old"]
    assert await calendars.prune(now + timedelta(days=2)) == 1, "found by its first end, now a field of its own"
    assert [h.reservation_id for h in (await calendars.get("room-old", SITE)).holds] == ["res-1"]
