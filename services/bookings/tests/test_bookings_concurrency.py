"""Acceptance: 500 simultaneous bookings for a session of 10 seats → exactly 10 confirmed, the rest
refused (409) or waitlisted when asked, nothing lost. With the seat guard switched off (a test-only
subclass of the seat counter), the same check catches the oversold session.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
from bookings_support import bearer, in_days, member, offering, project, site
from fastapi import FastAPI

from bookings.adapters.guards import Seated, seats_held
from bookings.adapters.sessions import SessionSeats
from bookings.bootstrap import BookingsSettings, build_app
from bookings.service_layer.service import BookingService
from parkgrid.auth import Role, issue_token
from parkgrid.store import Document
from parkgrid.testing.http import app_client
from parkgrid.testing.topics import read_topic

pytest_plugins = ["bookings_fixtures"]

SEATS = 10


class UnguardedSeats(SessionSeats):
    """The seat counter with its guard removed: `$inc` whatever is taken (what must never ship)."""

    def seat_filter(self, key: str, seats: int, party_size: int) -> Document:
        return {"_id": key}

    async def without_room(
        self, key: str, seats: int, party_size: int, member_id: str, booking_id: str
    ) -> Seated | None:
        return None  # no count of seats anywhere


@pytest.fixture
async def racing_app(settings: BookingsSettings, request: pytest.FixtureRequest) -> AsyncIterator[FastAPI]:
    seats = SessionSeats if request.param else UnguardedSeats
    application = build_app(settings, seats=seats)
    async with application.router.lifespan_context(application):
        await asyncio.wait_for(application.state.runtime.kafka_ready.wait(), 30)
        yield application


async def assert_never_oversold(service: BookingService, statuses: list[int], key: str, attempts: int) -> None:
    confirmed = await service.bookings.collection.count_documents({"status": "confirmed"})
    seats_doc = await service.seats.sessions.get(key)
    assert seats_doc is not None
    assert confirmed == SEATS, f"{confirmed} bookings confirmed for {SEATS} seats"
    assert seats_doc["taken"] == SEATS
    assert len(seats_held(seats_doc)) == SEATS
    assert statuses.count(201) + statuses.count(409) == attempts  # every request answered


@pytest.mark.parametrize("racing_app", [True, False], ids=["guarded", "guard-off"], indirect=True)
async def test_five_hundred_racing_bookings_for_ten_seats(racing_app: FastAPI, settings: BookingsSettings) -> None:
    service: BookingService = racing_app.state.components[BookingService]
    guarded = not isinstance(service.seats.sessions, UnguardedSeats)
    attempts = 500 if guarded else 30
    members = [f"member-{n:03d}" for n in range(attempts)]
    await project(service, site(), offering(seats_per_session=SEATS), *(member(m) for m in members))
    starts_at = in_days(5)
    tokens = {m: issue_token(settings, role=Role.MEMBER, member_id=m, person_id=f"person-{m[7:]}-1") for m in members}
    async with app_client(racing_app, "bookings", timeout=120) as client:

        async def book(number: int, member_id: str) -> tuple[int, dict[str, Any]]:
            body = {
                "offering_id": "off-test-mentoring",
                "member_id": member_id,
                "starts_at": starts_at.isoformat(),
                "join_waitlist": guarded and number % 2 == 1,
            }
            response = await client.post("/v1/bookings", json=body, headers=bearer(tokens[member_id]))
            return response.status_code, response.json()

        started = time.monotonic()
        answers = await asyncio.gather(*(book(n, m) for n, m in enumerate(members)))
        elapsed = time.monotonic() - started
    statuses = [s for s, _ in answers]
    outcome = Counter(a.get("status") if s == 201 else s for s, a in answers)
    print(f"\n{attempts} racing bookings ({'guarded' if guarded else 'guard off'}) in {elapsed:.1f}s: {dict(outcome)}")
    key = next(iter(await service.seats.sessions.collection.distinct("_id")))
    if not guarded:
        with pytest.raises(AssertionError, match="confirmed for 10 seats"):
            await assert_never_oversold(service, statuses, key, attempts)
        return
    await assert_never_oversold(service, statuses, key, attempts)
    assert outcome["confirmed"] == SEATS
    waitlisted = outcome["waitlisted"]
    assert waitlisted + outcome[409] == attempts - SEATS
    assert waitlisted == await service.waitlist.collection.count_documents({"status": "waiting"})
    events = await read_topic(settings, "bookings.booking", until=SEATS + 1, within=5)
    assert len(events) == SEATS
    assert len({e.subject for e in events}) == SEATS
