"""Slots follow the site's calendar for every offering at the site, room or no room: a holiday
closure removes a day's mentoring sessions, a session before the site opens is not offered, and a
closed site offers nothing (over the HTTP app and the real store)."""

from __future__ import annotations

import httpx
from bookings_support import bearer, in_days, offering, project, site

from bookings.service_layer.service import BookingService
from parkgrid.contracts.spaces import SiteRegistered

pytest_plugins = ["bookings_fixtures"]


async def starts(client: httpx.AsyncClient, token: str, first: str, last: str) -> list[str]:
    got = await client.get(
        "/v1/offerings/off-test-mentoring/slots", params={"from": first, "to": last}, headers=bearer(token)
    )
    assert got.status_code == 200, got.text
    return [s["starts_at"][11:16] + "@" + s["starts_at"][:10] for s in got.json()["items"]]


async def test_a_holiday_and_opening_hours_shape_the_slots(
    client: httpx.AsyncClient, service: BookingService, tokens: dict[str, str]
) -> None:
    holiday, open_day = in_days(5).date(), in_days(6).date()
    calendar = site().model_dump(mode="json")
    calendar["opening_hours"] = [{"weekday": d, "opens": "08:30", "closes": "12:00"} for d in range(1, 8)]
    calendar["closures"] = [{"first_day": holiday.isoformat(), "last_day": holiday.isoformat(), "reason": "Fête"}]
    early = [{"weekday": d, "opens": "08:00", "closes": "12:00"} for d in range(1, 8)]
    await project(service, SiteRegistered.model_validate(calendar), offering(availability=early))

    offered = await starts(client, tokens["member"], holiday.isoformat(), open_day.isoformat())

    # 08:00 is before the site opens; 08:30 is no session of the offering (sessions run from 08:00).
    assert offered == [f"{h}@{open_day}" for h in ("09:00", "10:00", "11:00")]


async def test_a_closed_site_offers_no_slots(
    client: httpx.AsyncClient, service: BookingService, tokens: dict[str, str]
) -> None:
    closed = site().model_dump(mode="json") | {"status": "closed"}
    await project(service, SiteRegistered.model_validate(closed), offering())
    day = in_days(3).date().isoformat()
    assert await starts(client, tokens["member"], day, day) == []
