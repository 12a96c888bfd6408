"""Issue 21: the store commands spaces sends for one reservation request of the room-booking saga.

A `spaces.commands` message is handled by the consumer, the reservation handler and its
adapters, and its answer leaves through the reservation's outbox; everything the service's
store client sends meanwhile is counted (PyMongo command monitoring, what
`parkgrid_store_commands_total` counts), the relay's removal of the published answer
included. Not counted: the relay's periodic search for pending outboxes and the backlog
gauge (a find per collection every second and every five seconds, whatever the traffic).

One new request, once the rooms' calendars exist and the site was read here lately: the
reservation (the dedup) and the calendars of the rooms that fit (two reads at once), the guarded
hold, the reservation's insert with its answer, the relay's removal: 5 commands, 3 in turn before
the answer is written (the reads, the hold, the insert). The site and its active spaces come from
what this process read at most `RECENT_SECONDS` ago and has not written since
(`SpacesStore.site_lately`); when it has not, they are read with the other two (7 commands, as
before). A redelivery costs the two reads at once (2).

Before: the site and its spaces read with every request (7 commands, 3 in turn; a redelivery 4);
before that, the calendars read after the first three reads (7 commands, 4 in turn; a redelivery
3); before that, one room's calendar at a time after a search for a hold of the request (8 when
the first room was free, 9 when it was taken).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pymongo import monitoring
from spaces_support import SITE, add_site_with_rooms, bearer, publish_commands

from parkgrid.consumer import ConsumerRunner
from parkgrid.contracts.common import SpaceKind, SpaceRequirement, TimeRange
from parkgrid.contracts.spaces import Requester, ReservationRequested
from parkgrid.metrics import StoreCommands
from parkgrid.settings import KitSettings
from parkgrid.testing.topics import read_topic
from spaces.adapters.stores import Calendars
from spaces.service_layer.handlers import Reservations

pytest_plugins = ["spaces_fixtures"]

ROOMS = [
    {"space_id": "room-small", "name": "Argane", "capacity": 4, "features": ["screen"]},
    {"space_id": "room-big", "name": "Cèdre", "capacity": 10, "features": ["screen"]},
]
NEW_REQUEST_AT_MOST = 5
REDELIVERY_AT_MOST = 2

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


@pytest.fixture(autouse=True)
def remembered_for_the_whole_test(monkeypatch: pytest.MonkeyPatch) -> None:
    """What is read lately is kept for the whole test (its pace is not what is measured; the
    bound itself is tested in `test_spaces_sites_lately`)."""
    monkeypatch.setattr("parkgrid.known.RECENT_SECONDS", 600.0)


@pytest.fixture
def calendars_read_at_once(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether the calendars were read while the dedup read was in flight, per request handled.

    The dedup read (`Reservations.get`) is held until a calendar read starts (at most 3 s), so
    it answers only once the calendars are asked for: they are read with it, in the first
    round trip, or only after it (and then it waited the 3 s in vain)."""
    seen: list[bool] = []
    asked = asyncio.Event()
    get, of = Reservations.get, Calendars.of

    async def dedup_read(self: Reservations, reservation_id: str) -> Any:
        asked.clear()
        reading = asyncio.ensure_future(get(self, reservation_id))
        try:
            async with asyncio.timeout(3):
                await asyncio.wait_for(asked.wait(), None)
            seen.append(True)
        except TimeoutError:
            seen.append(False)
        return await reading

    async def calendars_of(self: Calendars, space_ids: Any) -> Any:
        asked.set()
        return await of(self, space_ids)

    monkeypatch.setattr(Reservations, "get", dedup_read)
    monkeypatch.setattr(Calendars, "of", calendars_of)
    return seen


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
    consumer: ConsumerRunner = next(c for c in app.state.runtime.consumers if c.name == "commands")
    return consumer


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


async def test_one_reservation_request_costs_five_store_commands_three_in_turn(
    app: FastAPI,
    client: httpx.AsyncClient,
    tokens: dict[str, str],
    settings: KitSettings,
    recorder: Recorder,
    calendars_read_at_once: list[bool],
) -> None:
    await add_site_with_rooms(client, tokens["admin"], ROOMS)
    # Both rooms' calendars exist (as they do for every room after its first reservation); the
    # first request since the site was written reads it and its spaces with the other two reads.
    first = await handled(app, settings, recorder, requested("req-warm-small", 9))
    first_reads = [collection for command, collection, _ in first if command == "find"]
    assert {"sites", "spaces"} <= set(first_reads), show(first)
    await handled(app, settings, recorder, requested("req-warm-big", 14, seats=6))

    calendars_read_at_once.clear()
    free = await handled(app, settings, recorder, requested("req-free", 11))
    assert len(free) <= NEW_REQUEST_AT_MOST, show(free)
    # The smallest room is taken at 09:00: the next fitting one is held, for no extra read.
    taken = await handled(app, settings, recorder, requested("req-taken", 9))
    assert len(taken) <= NEW_REQUEST_AT_MOST, show(taken)
    for rid, sent in (("req-free", free), ("req-taken", taken)):  # two reads at once, a hold, an insert
        reads = sorted((collection, str(where)) for command, collection, where in sent if command == "find")
        assert reads == [
            ("reservations", str({"_id": rid})),
            ("space_calendars", str({"_id": {"$in": ["room-small", "room-big"]}})),
        ], show(sent)
        writes = [(command, collection) for command, collection, _ in sent if command != "find"]
        assert writes == [("update", "space_calendars"), ("insert", "reservations"), ("update", "reservations")], show(
            sent
        )
    assert calendars_read_at_once == [True, True], "the calendars were read after the dedup read answered"

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


async def test_the_calendars_read_ahead_are_a_guess_the_fresh_spaces_decide(
    app: FastAPI, client: httpx.AsyncClient, tokens: dict[str, str], settings: KitSettings, recorder: Recorder
) -> None:
    """The calendars read with the first reads are those of the rooms that fitted as the site's
    spaces were last seen: a room added since is still found (its calendar read after them, then
    opened), a room retired since is read but never held."""
    await add_site_with_rooms(client, tokens["admin"], ROOMS)
    await handled(app, settings, recorder, requested("req-first", 9))
    room = {"kind": "meeting_room", "space_id": "room-huge", "name": "Atlas", "capacity": 20, "features": ["screen"]}
    response = await client.post(f"/v1/sites/{SITE}/spaces", json=room, headers=bearer(tokens["admin"]))
    assert response.status_code == 201, response.text

    huge = await handled(app, settings, recorder, requested("req-huge", 10, seats=15))
    calendars = [(command, where) for command, collection, where in huge if collection == "space_calendars"]
    assert calendars == [
        ("find", {"_id": {"$in": ["room-huge"]}}),
        ("insert", None),
        ("update", {"_id": "room-huge", "version": 0}),
    ], show(huge)

    response = await client.post("/v1/spaces/room-small/retire", headers=bearer(tokens["admin"]))
    assert response.status_code == 200, response.text
    retired = await handled(app, settings, recorder, requested("req-after-retire", 11))
    calendars = [(command, where) for command, collection, where in retired if collection == "space_calendars"]
    assert calendars == [
        ("find", {"_id": {"$in": ["room-small", "room-big", "room-huge"]}}),
        ("insert", None),  # room-big's first hold opens its calendar
        ("update", {"_id": "room-big", "version": 0}),
    ], show(retired)
    answers = await read_topic(settings, "spaces.reservation", until=3, grace=0.5)
    assert sorted((e.data["request_id"], e.type.rsplit(".", 1)[1], e.data["space_id"]) for e in answers) == [
        ("req-after-retire", "confirmed", "room-big"),
        ("req-first", "confirmed", "room-small"),
        ("req-huge", "confirmed", "room-huge"),
    ]
