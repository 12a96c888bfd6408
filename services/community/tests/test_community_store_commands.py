"""Issue 21: the store commands one registration costs, counted as the bench counts them.

Every command the service's client sends passes through `parkgrid.metrics.StoreCommands` (the
`parkgrid_store_commands_total` counter the bench reads). Here its `started` also records each
command: those sent while the request runs (in its context, so reads run at once in tasks of
their own are counted too), and those sent by anything else (the relay, the consumers) that name
one of the documents this registration touches (its registration, the event's seats and event,
the person's directory entry, the member). The background's scans that name none (the relay's
sweep, the backlog gauge, the reconciler) are the same with or without registrations and are
not this registration's.

Before issue 21 a registration cost 11 commands, confirmed or waitlisted: the event, its seats
(for counts the answer does not show), the directory, the member, the placing insert, the seats
again (to see whether a seat looked free), the seat or queue update, the outcome's update, the
seats after it (cancelled meanwhile? a seat free after queueing?), and the relay's claim and
removal of the outcome's event.
"""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any

import httpx
import pytest
from community_support import bearer, created, event_body, member_body, wait_for
from pymongo import monitoring

from community.bootstrap import Community
from community.service_layer.registrations import registration_id
from parkgrid.metrics import StoreCommands

pytest_plugins = ["community_fixtures"]

EVENT, MEMBER = "cevt-counted", "member-counted"
CONFIRMED_AT_MOST = 9
WAITLISTED_AT_MOST = 10

_request: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("request_commands", default=None)


def _ids(event: monitoring.CommandStartedEvent) -> set[str]:
    """The `_id`s a command names by equality (its filter, its updates' filters, its documents)."""
    command = event.command
    filters: list[Any] = [command.get("filter"), command.get("query")]
    filters += [u.get("q") for u in command.get("updates", [])] + [d.get("q") for d in command.get("deletes", [])]
    filters += command.get("documents", [])
    return {f["_id"] for f in filters if isinstance(f, dict) and isinstance(f.get("_id"), str)}


class Recorder:
    """What `StoreCommands.started` saw: in a request's context, or naming `watched` documents."""

    def __init__(self) -> None:
        self.watched: set[str] = set()
        self.background: list[str] = []

    def see(self, event: monitoring.CommandStartedEvent) -> None:
        what = f"{event.command_name} {event.command.get(event.command_name)}"
        request = _request.get()
        if request is not None:
            request.append(what)
        elif self.watched & _ids(event):
            self.background.append(what)


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    recorder = Recorder()
    counted = StoreCommands.started

    def started(self: StoreCommands, event: monitoring.CommandStartedEvent) -> None:
        counted(self, event)
        recorder.see(event)

    monkeypatch.setattr(StoreCommands, "started", started)  # undone after the test
    return recorder


async def one_registration(
    client: httpx.AsyncClient, recorder: Recorder, person_id: str, headers: dict[str, str]
) -> tuple[str, list[str]]:
    """Register `person_id`; its status and every command it cost, the relay's publication included."""
    rid = registration_id(EVENT, person_id)
    recorder.watched = {rid, EVENT, f"person:{person_id}", MEMBER}
    recorder.background = []
    request: list[str] = []
    token = _request.set(request)
    try:
        url = f"/v1/events/{EVENT}/registrations"
        body = await created(client.post(url, json={"person_id": person_id}, headers=headers))
    finally:
        _request.reset(token)
    # The relay publishes the outcome's event, then removes it from the registration's outbox.
    for _ in range(100):
        if any(c.startswith("update registrations") for c in recorder.background):
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)  # anything else that follows (a consumer's reaction) is counted too
    recorder.watched = set()
    return str(body["status"]), request + recorder.background


async def test_a_registration_costs_at_most_nine_commands_confirmed_and_ten_waitlisted(
    client: httpx.AsyncClient, community: Community, tokens: dict[str, str], recorder: Recorder
) -> None:
    admin = bearer(tokens["admin"])
    await created(client.post("/v1/members", json=member_body(MEMBER, people=3), headers=admin))
    await created(client.post("/v1/events", json=event_body(EVENT, capacity=1, publish=True), headers=admin))
    # What the member and the event published is out before anything is counted.
    await wait_for(lambda: community.store.events.outbox(EVENT), lambda o: not o, what="event published")
    await wait_for(lambda: community.store.members.outbox(MEMBER), lambda o: not o, what="member published")

    status, confirmed = await one_registration(client, recorder, f"{MEMBER}-p0", admin)
    assert status == "confirmed"
    assert len(confirmed) <= CONFIRMED_AT_MOST, "\n".join(confirmed)

    status, waitlisted = await one_registration(client, recorder, f"{MEMBER}-p1", admin)
    assert status == "waitlisted"
    assert len(waitlisted) <= WAITLISTED_AT_MOST, "\n".join(waitlisted)

    # Both outcomes' events went out through the outbox (the relay's commands were counted above).
    for person in (f"{MEMBER}-p0", f"{MEMBER}-p1"):
        assert await community.store.registrations.outbox(registration_id(EVENT, person)) == []
    occupancy = await community.store.seats.occupancy(EVENT)
    assert occupancy is not None
    assert (occupancy.taken, occupancy.waiting) == (1, 1)


async def test_a_capacity_the_event_has_not_recorded_yet_still_seats_in_order(
    client: httpx.AsyncClient, community: Community, tokens: dict[str, str]
) -> None:
    """The seat is tried with the event's capacity: while the seats have a larger one (an edit
    between its two writes), the try fails, the key is queued and promoted at once, in order."""
    admin = bearer(tokens["admin"])
    await created(client.post("/v1/members", json=member_body(MEMBER, people=3), headers=admin))
    await created(client.post("/v1/events", json=event_body(EVENT, capacity=1, publish=True), headers=admin))
    assert await community.store.seats.resize(EVENT, 2) is None  # the event still says 1

    url = f"/v1/events/{EVENT}/registrations"
    answers = [await created(client.post(url, json={"person_id": f"{MEMBER}-p{i}"}, headers=admin)) for i in range(3)]

    assert [a["status"] for a in answers] == ["confirmed", "confirmed", "waitlisted"]
    assert answers[2]["waitlist_position"] == 1
    occupancy = await community.store.seats.occupancy(EVENT)
    assert occupancy is not None
    assert (occupancy.taken, occupancy.waiting) == (2, 1)
