"""Leaving a waitlist over the HTTP app and the real store: who may (a member its own places, a
desk its sites'), ten concurrent leaves of one place give one success and nine 409 (one
`WaitlistLeft`), the sweeper takes places of begun sessions out of line (`session_started`), a
leave racing a promotion ends one way, and the promotion scan pages past places that keep waiting.
The outbox relay is off, so each place's outbox is exactly what it said."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from bookings_support import MEMBER, bearer, book_each, in_days, member, now, offering, project, site, wait_in_line

from bookings.bootstrap import BookingsSettings
from bookings.domain.slots import session_key
from bookings.service_layer.service import BookingService

pytest_plugins = ["bookings_fixtures"]


@pytest.fixture
def settings(settings: BookingsSettings) -> BookingsSettings:
    return settings.model_copy(update={"relay": "off"})


async def full_with_one_waiting(
    client: httpx.AsyncClient, desk: dict[str, str], starts_at: datetime
) -> tuple[str, str]:
    """The test mentoring session at `starts_at` made full by MEMBER's booking, with member-b
    waiting behind it (both asked by the desk): the booking's id and the place's."""
    [booking_id] = await book_each(client, desk, starts_at, MEMBER)
    waiting = await wait_in_line(client, desk, starts_at, "member-b")
    return booking_id, str(waiting["entry_id"])


async def said(service: BookingService, entry_id: str) -> list[str]:
    return [e["envelope"]["type"].rsplit(".", 1)[-1] for e in await service.waitlist.store.outbox(entry_id)]


async def test_leaving_a_waitlist_once_by_whoever_may(
    client: httpx.AsyncClient, service: BookingService, tokens: dict[str, str]
) -> None:
    await project(service, site(), offering(), member(MEMBER), member("member-b"))
    _, entry_id = await full_with_one_waiting(client, bearer(tokens["desk"]), in_days(2, 10))
    assert (await client.post("/v1/waitlist/wl-nope/leave", headers=bearer(tokens["desk"]))).status_code == 404
    assert (await client.post(f"/v1/waitlist/{entry_id}/leave", headers=bearer(tokens["member"]))).status_code == 404
    assert (
        await client.post(f"/v1/waitlist/{entry_id}/leave", headers=bearer(tokens["other_desk"]))
    ).status_code == 403

    leaves = await asyncio.gather(
        *(client.post(f"/v1/waitlist/{entry_id}/leave", headers=bearer(tokens["desk"])) for _ in range(10))
    )

    assert sorted(r.status_code for r in leaves) == [200] + [409] * 9
    assert next(r for r in leaves if r.status_code == 200).json()["status"] == "left"
    refused = next(r for r in leaves if r.status_code == 409)
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["detail"] == "this waitlist place is left, not waiting"
    assert await said(service, entry_id) == ["joined", "left"]
    listed = await client.get("/v1/waitlist", params={"member_id": "member-b"}, headers=bearer(tokens["desk"]))
    assert [(e["entry_id"], e["status"]) for e in listed.json()["items"]] == [(entry_id, "left")]


async def test_places_of_begun_sessions_leave_the_line(
    client: httpx.AsyncClient, service: BookingService, tokens: dict[str, str]
) -> None:
    await project(service, site(), offering(), member(MEMBER), member("member-b"))
    start = in_days(2, 11)
    _, entry_id = await full_with_one_waiting(client, bearer(tokens["desk"]), start)
    service.clock = lambda: start.astimezone(UTC) + timedelta(minutes=1)
    await asyncio.gather(*(service.sweep() for _ in range(4)))
    await service.sweep()
    service.clock = now
    place = await service.waitlist.get(entry_id)
    assert place is not None
    assert (place["status"], place["reason"]) == ("left", "session_started")
    assert await said(service, entry_id) == ["joined", "left"]
    left = (await service.waitlist.store.outbox(entry_id))[-1]["envelope"]["data"]
    assert left["reason"] == "session_started"


async def test_a_leave_racing_a_promotion_ends_left_without_a_booking_or_promoted_with_one(
    client: httpx.AsyncClient, service: BookingService, tokens: dict[str, str]
) -> None:
    """Eight full sessions, one place waiting in each: every seat's booking is cancelled while its
    waiting member leaves, all at once. The place's one versioned write decides each race."""
    await project(service, site(), offering(), member(MEMBER), member("member-b"))
    desk = bearer(tokens["desk"])
    booked, entries = [], []
    for hour in range(9, 17):
        booking_id, entry_id = await full_with_one_waiting(client, desk, in_days(2, hour))
        booked.append(booking_id)
        entries.append(entry_id)
    await asyncio.gather(
        *(client.post(f"/v1/bookings/{b}/cancel", json={}, headers=desk) for b in booked),
        *(client.post(f"/v1/waitlist/{e}/leave", headers=desk) for e in entries),
    )
    for entry_id in entries:
        place = await service.waitlist.get(entry_id)
        assert place is not None
        found = await service.bookings.get(place["booking_id"])
        told = await said(service, entry_id)
        if place["status"] == "left":
            assert (found, told) == (None, ["joined", "left"])
        else:
            assert place["status"] == "promoted"
            assert found is not None
            assert told == ["joined", "promoted"]


async def test_the_promotion_scan_pages_past_sessions_that_stay_full(
    client: httpx.AsyncClient, service: BookingService, tokens: dict[str, str]
) -> None:
    """Places that keep waiting (their sessions full) come first and fill more than a batch; the
    session behind them with a seat free still gets its promotion."""
    await project(service, site(), offering(), member(MEMBER), member("member-b"))
    desk = bearer(tokens["desk"])
    starts = [in_days(2, hour) for hour in (9, 10, 11, 12)]
    for start in starts:
        _, last_entry = await full_with_one_waiting(client, desk, start)
    booked, _ = await service.offering("off-test-mentoring")
    key = session_key(booked.offering_id, starts[-1])
    seats = await service.seats.sessions.get(key)
    assert seats is not None
    [(holder, held)] = [(m, v) for m, v in seats["places"].items() if v.endswith("/1")]
    assert await service.seats.sessions.release(key, holder, held.removesuffix("/1"), 1)  # freed, its promotion lost
    assert await service.sweepers.promote_waiting(batch=2) == 1
    place = await service.waitlist.get(last_entry)
    assert place is not None
    assert place["status"] == "promoted"
    found = await service.bookings.get(place["booking_id"])
    assert found is not None
