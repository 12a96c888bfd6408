"""Issue 21: the store commands spaces sends for one reservation request of the room-booking saga.

A `spaces.commands` message is handled by the consumer, the reservation handler and its
adapters, and its answer leaves through the reservation's outbox; everything the service's
store client sends meanwhile is counted (PyMongo command monitoring, what
`parkgrid_store_commands_total` counts), the relay's removal of the published answer
included. Not counted: the relay's periodic search for pending outboxes and the backlog
gauge (a find per collection every second and every five seconds, whatever the traffic).

One new request, once the rooms' calendars exist: the reservation (the dedup), the site and
its active spaces (three reads at once), the fitting rooms' calendars (one read), the guarded
hold, the reservation's insert with its answer, the relay's removal: 7. Before, the calendars
were read one room at a time after a search for a hold of the request: 8 when the first room
was free, 9 when it was taken; a redelivery cost 4, now 3.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pymongo import monitoring
from spaces_support import SITE, add_site_with_rooms, publish_commands

from parkgrid.consumer import ConsumerRunner
from parkgrid.contracts.common import SpaceKind, SpaceRequirement, TimeRange
from parkgrid.contracts.spaces import Requester, ReservationRequested
from parkgrid.metrics import StoreCommands
from parkgrid.settings import KitSettings
from parkgrid.testing.topics import read_topic

pytest_plugins = ["spaces_fixtures"]

ROOMS = [
    {"space_id": "room-small", "name": "Argane", "capacity": 4, "features": ["screen"]},
    {"space_id": "room-big", "name": "Cèdre", "capacity": 10, "features": ["screen"]},
]
NEW_REQUEST_AT_MOST = 7
REDELIVERY_AT_MOST = 3

Command = tuple[str, str, Any]
"""A store command as sent: its name, its collection, its filter."""


class Recorder:
    """The commands the service's counted store clients send to this test's database, while on."""

    def __init__(self, database: str) -> None:
        self.database = database
        self.on = False
        self.sent: list[Command] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if not self.on or event.database_name != self.database:
            return
        body = event.command
        where = body.get("filter", body.get("q"))
        if event.command_name == "update":
            where = body["updates"][0]["q"]
        if event.command_name == "find" and where == {"outbox_pending": True}:
            return  # the relay's periodic search or the backlog gauge: not one request's work
        self.sent.append((event.command_name, str(body.get(event.command_name)), where))


@pytest.fixture
def recorder(settings: KitSettings, monkeypatch: pytest.MonkeyPatch) -> Recorder:
    recording = Recorder(settings.database)
    counted = StoreCommands.started

    def started(self: StoreCommands, event: monitoring.CommandStartedEvent) -> None:
        recording.started(event)
        counted(self, event)

    monkeypatch.setattr(StoreCommands, "started", started)
    return recording


def requested(request_id: str, hour: int, seats: int = 2) -> ReservationRequested:
    start = f"2026-12-02T{hour:02d}:00:00+01:00"
    return ReservationRequested(
        request_id=request_id,
        requested_by=Requester.BOOKINGS,
        reference_id=f"booking-{request_id}",
        site_id=SITE,
        requirement=SpaceRequirement(kind=SpaceKind.MEETING_ROOM, seats=seats, features=["screen"]),
        time=TimeRange.model_validate(
            {"starts_at": start, "ends_at": start.replace(f"T{hour:02d}", f"T{hour + 1:02d}")}
        ),
    )


def commands_consumer(app: FastAPI) -> ConsumerRunner:
    return next(c for c in app.state.runtime.consumers if c.name == "commands")


async def handled(
    app: FastAPI, settings: KitSettings, recorder: Recorder, command: ReservationRequested, *, answered: bool = True
) -> list[Command]:
    """The store commands of handling `command` (and, if `answered`, of relaying its answer)."""
    consumer = commands_consumer(app)
    before = consumer.processed_count
    recorder.sent.clear()
    recorder.on = True
    await publish_commands(settings, [command], SITE)
    deadline = time.monotonic() + 30
    relayed = ("update", "reservations", command.request_id)
    while consumer.processed_count == before or (
        answered and relayed not in [(c, coll, (w or {}).get("_id")) for c, coll, w in recorder.sent]
    ):
        assert time.monotonic() < deadline, f"not handled: {recorder.sent}"
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.3)  # anything late would be counted too
    recorder.on = False
    return list(recorder.sent)


def show(sent: list[Command]) -> str:
    return "\n".join(f"{command} {collection} {where}" for command, collection, where in sent)


async def test_one_reservation_request_costs_at_most_seven_store_commands(
    app: FastAPI, client: httpx.AsyncClient, tokens: dict[str, str], settings: KitSettings, recorder: Recorder
) -> None:
    await add_site_with_rooms(client, tokens["admin"], ROOMS)
    # Both rooms' calendars exist (as they do for every room after its first reservation).
    await handled(app, settings, recorder, requested("req-warm-small", 9))
    await handled(app, settings, recorder, requested("req-warm-big", 14, seats=6))

    free = await handled(app, settings, recorder, requested("req-free", 11))
    assert len(free) <= NEW_REQUEST_AT_MOST, show(free)
    # The smallest room is taken at 09:00: the next fitting one is held, for no extra read.
    taken = await handled(app, settings, recorder, requested("req-taken", 9))
    assert len(taken) <= NEW_REQUEST_AT_MOST, show(taken)
    for sent in (free, taken):  # one guarded write of one calendar, one insert, the relay's removal
        writes = [(command, collection) for command, collection, _ in sent if command != "find"]
        assert writes == [("update", "space_calendars"), ("insert", "reservations"), ("update", "reservations")], show(
            sent
        )

    # Delivered again: the first answer stands, nothing is written and nothing more is said.
    again = await handled(app, settings, recorder, requested("req-free", 11), answered=False)
    assert len(again) <= REDELIVERY_AT_MOST, show(again)
    assert all(command == "find" for command, _, _ in again), show(again)
    answers = await read_topic(settings, "spaces.reservation", until=4, grace=0.5)
    assert sorted((e.data["request_id"], e.type.rsplit(".", 1)[1], e.data["space_id"]) for e in answers) == [
        ("req-free", "confirmed", "room-small"),
        ("req-taken", "confirmed", "room-big"),
        ("req-warm-big", "confirmed", "room-big"),
        ("req-warm-small", "confirmed", "room-small"),
    ]
