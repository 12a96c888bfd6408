"""Check-in through the HTTP app over the real store: only inside its window (an hour before the
start until the end), and once — ten desks scanning the same booking at once get one success and
nine 409 "already checked in at HH:MM" in the site's zone. Also: old Idempotency-Key records are
swept by the service's own periodic job, fresh ones kept."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from bookings_support import (
    CASABLANCA,
    MEMBER,
    bearer,
    book_each,
    eventually,
    in_days,
    member,
    now,
    offering,
    project,
    site,
)
from fastapi import FastAPI

from bookings.bootstrap import BookingsSettings
from bookings.service_layer.service import BookingService

pytest_plugins = ["bookings_fixtures"]


@pytest.fixture
def settings(settings: BookingsSettings) -> BookingsSettings:
    return settings.model_copy(update={"idempotency_sweep_seconds": 0.2, "idempotency_ttl_hours": 24.0})


async def test_check_in_inside_its_window_once_under_concurrent_scans(
    client: httpx.AsyncClient, service: BookingService, tokens: dict[str, str]
) -> None:
    await project(service, site(), offering(seats_per_session=2), member(MEMBER), member("member-b"))
    desk = bearer(tokens["desk"])
    start = in_days(2, 10)
    ids = await book_each(client, desk, start, MEMBER, "member-b")
    utc_start = start.astimezone(UTC)
    service.clock = lambda: utc_start - timedelta(minutes=61)
    early = await client.post(f"/v1/bookings/{ids[0]}/check-in", headers=desk)
    assert early.status_code == 409
    assert early.headers["content-type"].startswith("application/problem+json")
    assert early.json()["detail"] == f"check-in opens at 09:00 on {start.date()}"

    arrived = utc_start - timedelta(minutes=20)
    service.clock = lambda: arrived
    scans = await asyncio.gather(*(client.post(f"/v1/bookings/{ids[0]}/check-in", headers=desk) for _ in range(10)))

    assert sorted(s.status_code for s in scans) == [200] + [409] * 9
    local = arrived.astimezone(CASABLANCA)
    assert {s.json()["detail"] for s in scans if s.status_code == 409} == {f"already checked in at {local:%H:%M}"}
    checked = await client.get(f"/v1/bookings/{ids[0]}", headers=desk)
    assert (checked.json()["status"], checked.json()["version"]) == ("checked_in", 2)

    service.clock = lambda: utc_start + timedelta(hours=1)  # the session has ended
    late = await client.post(f"/v1/bookings/{ids[1]}/check-in", headers=desk)
    assert late.status_code == 409
    assert late.json()["detail"] == f"check-in closed at 11:00 on {start.date()}"
    service.clock = now


async def test_old_idempotency_records_are_swept_and_fresh_ones_kept(app: FastAPI) -> None:
    records = app.state.runtime.db["idempotency_keys"]
    now = datetime.now(UTC)
    await records.insert_many(
        [
            {"_id": "old", "fingerprint": "f", "state": "done", "started_at": now - timedelta(hours=25)},
            {"_id": "fresh", "fingerprint": "f", "state": "done", "started_at": now - timedelta(hours=23)},
        ]
    )

    async def swept() -> bool:
        return await records.find_one({"_id": "old"}) is None

    await eventually(swept, within=10)
    assert await records.find_one({"_id": "fresh"}) is not None
