"""Issue 21: a reservation request takes its site and the site's active spaces from what this
process read at most `RECENT_SECONDS` ago (`SpacesStore.site_lately`), forgotten as soon as this
process writes the site or one of its spaces; and what still guards a request delivered again.

Each rule has its test, and each test fails without its guard: the forgetting on a site's write,
on a space's write, the read overtaken by a write, the bound on another process's write, a hold
found again after a crash, and the dedup read that keeps a redelivery from touching a calendar.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from types import SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI
from spaces_support import SITE, add_site_with_rooms, bearer, reservation_request

from parkgrid.contracts.common import SpaceKind, TimeRange
from parkgrid.store import Document
from spaces.adapters.stores import SpacesStore
from spaces.service_layer.handlers import ReservationRequest, Reservations

pytest_plugins = ["spaces_fixtures"]

ROOMS = [
    {"space_id": "room-small", "name": "Argane", "capacity": 4},
    {"space_id": "room-big", "name": "Cèdre", "capacity": 10},
]
DAY = "2026-12-02"  # a Wednesday, open 08:30-18:30 at the test site


def at(hour: int) -> TimeRange:
    start = datetime.fromisoformat(f"{DAY}T{hour:02d}:00:00+01:00")
    return TimeRange(starts_at=start, ends_at=start + timedelta(hours=1))


def request(request_id: str, hour: int, seats: int = 2) -> ReservationRequest:
    return reservation_request(request_id, SpaceKind.MEETING_ROOM, at(hour), seats=seats)


@pytest.fixture
def reservations(app: FastAPI) -> Reservations:
    found: Reservations = app.state.components[Reservations]
    return found


@pytest.fixture
def store(app: FastAPI) -> SpacesStore:
    found: SpacesStore = app.state.components[SpacesStore]
    return found


def answer_of(doc: Document) -> tuple[str, str | None, str | None]:
    return doc["status"], doc.get("space_id"), doc.get("reason")


async def test_a_site_closed_here_is_refused_by_the_very_next_request(
    client: httpx.AsyncClient, tokens: dict[str, str], reservations: Reservations, store: SpacesStore
) -> None:
    await add_site_with_rooms(client, tokens["admin"], ROOMS)
    assert answer_of(await reservations.reserve(request("r-before", 9)))[0] == "confirmed"
    assert store.sites_lately.remembered(SITE) is not None  # read lately: the next request reads nothing of it

    admin = bearer(tokens["admin"])
    site = await client.get(f"/v1/sites/{SITE}", headers=admin)
    closure = {"first_day": DAY, "last_day": DAY, "reason": "Travaux"}
    patched = await client.patch(
        f"/v1/sites/{SITE}", json={"closures": [closure]}, headers={**admin, "If-Match": site.headers["ETag"]}
    )
    assert patched.status_code == 200, patched.text

    assert answer_of(await reservations.reserve(request("r-after", 11))) == ("refused", None, "site_closed")


async def test_a_space_changed_here_is_decided_on_by_the_very_next_request(
    client: httpx.AsyncClient, tokens: dict[str, str], reservations: Reservations, store: SpacesStore
) -> None:
    """(Retired and added spaces: `test_spaces_saga_cost`'s second test, through the consumer.)"""
    await add_site_with_rooms(client, tokens["admin"], ROOMS)
    assert answer_of(await reservations.reserve(request("r-before", 9))) == ("confirmed", "room-small", None)
    assert store.sites_lately.remembered(SITE) is not None

    admin = bearer(tokens["admin"])
    room = await client.get("/v1/spaces/room-small", headers=admin)
    shrunk = await client.patch(
        "/v1/spaces/room-small", json={"capacity": 1}, headers={**admin, "If-Match": room.headers["ETag"]}
    )
    assert shrunk.status_code == 200, shrunk.text

    # Two seats no longer fit the smallest room: the next one is held, never room-small.
    assert answer_of(await reservations.reserve(request("r-after", 11))) == ("confirmed", "room-big", None)


async def test_a_write_by_another_process_is_seen_at_most_recent_seconds_late(
    client: httpx.AsyncClient,
    tokens: dict[str, str],
    reservations: Reservations,
    store: SpacesStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another replica (or the seeder) closing the site is not told to this process: within the
    bound a request still decides on the site as read here (the documented staleness), after it
    the site is read again."""
    await add_site_with_rooms(client, tokens["admin"], ROOMS)
    assert answer_of(await reservations.reserve(request("r-before", 9)))[0] == "confirmed"
    # Written behind this process's back, as another replica would.
    closed = await store.sites.collection.update_one({"_id": SITE}, {"$set": {"status": "closed"}})
    assert closed.modified_count == 1

    assert answer_of(await reservations.reserve(request("r-within", 11)))[0] == "confirmed"

    later = time.monotonic() + 2.5  # RECENT_SECONDS (2) on
    monkeypatch.setattr("parkgrid.known.time", SimpleNamespace(monotonic=lambda: later))
    assert answer_of(await reservations.reserve(request("r-beyond", 14))) == ("refused", None, "site_closed")


async def test_a_crash_after_the_hold_before_the_answer_finds_its_hold_again(
    client: httpx.AsyncClient,
    tokens: dict[str, str],
    reservations: Reservations,
    store: SpacesStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The redelivery keeps the range its first delivery held (`Calendar.held_by`), on the same
    room, and holds nothing more; its answer is written then."""
    await add_site_with_rooms(client, tokens["admin"], ROOMS)
    create = store.reservations.create

    async def crash(*args: object, **kwargs: object) -> int:
        raise ConnectionError("the process died after the hold")

    monkeypatch.setattr(store.reservations, "create", crash)
    with pytest.raises(ConnectionError):
        await reservations.reserve(request("r-crash", 10))
    monkeypatch.setattr(store.reservations, "create", create)
    held = await store.calendars.get("room-small", SITE)
    assert [h.reservation_id for h in held.holds] == ["r-crash"]

    # Another request meanwhile is not given room-small; the redelivery keeps it.
    assert answer_of(await reservations.reserve(request("r-other", 10))) == ("confirmed", "room-big", None)
    assert answer_of(await reservations.reserve(request("r-crash", 10))) == ("confirmed", "room-small", None)
    small, big = await store.calendars.get("room-small", SITE), await store.calendars.get("room-big", SITE)
    assert (small.version, [h.reservation_id for h in small.holds]) == (held.version, ["r-crash"])
    assert [h.reservation_id for h in big.holds] == ["r-other"]


async def test_a_redelivery_of_an_answered_request_touches_no_calendar(
    client: httpx.AsyncClient, tokens: dict[str, str], reservations: Reservations, store: SpacesStore
) -> None:
    """Why the dedup read stays before the hold: a request refused, or confirmed then released,
    and delivered again once a room is free would hold it (however briefly: another request
    could be refused meanwhile) before its insert found the first answer. Neither writes a calendar."""
    await add_site_with_rooms(client, tokens["admin"], ROOMS[:1])
    assert answer_of(await reservations.reserve(request("r-first", 10))) == ("confirmed", "room-small", None)
    assert answer_of(await reservations.reserve(request("r-refused", 10))) == ("refused", None, "no_space_free")
    assert (await reservations.release("r-first") or {})["status"] == "released"
    freed = await store.calendars.get("room-small", SITE)
    assert freed.holds == []

    refused_again = await reservations.reserve(request("r-refused", 10))
    released_again = await reservations.reserve(request("r-first", 10))
    assert answer_of(refused_again) == ("refused", None, "no_space_free")
    assert answer_of(released_again) == ("released", "room-small", None)
    after = await store.calendars.get("room-small", SITE)
    assert (after.version, after.holds) == (freed.version, [])
