"""Slots follow the site's calendar for every offering at the site, room or no room: a holiday
closure removes a day's mentoring sessions, a session before the site opens is not offered, and a
closed site offers nothing (over the HTTP app and the real store)."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
from bookings_support import CASABLANCA, MEMBER, bearer, in_days, member, now, offering, project, site

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


async def test_the_front_desk_sees_and_books_a_walk_in_within_the_notice(
    client: httpx.AsyncClient, service: BookingService, tokens: dict[str, str]
) -> None:
    """The notice (10 h here) is the park's time to prepare: a member is held to it, the front desk
    booking at the counter is not, and what its slots offer it can then book. A session already
    begun is offered and booked to nobody."""
    always = site().model_dump(mode="json")
    always["opening_hours"] = [{"weekday": d, "opens": "00:00", "closes": "23:59"} for d in range(1, 8)]
    quarters = [{"weekday": d, "opens": "00:00", "closes": "23:45"} for d in range(1, 8)]
    rules = {"min_notice_minutes": 600, "max_advance_days": 30, "cancellation_window_minutes": 60}
    await project(
        service,
        SiteRegistered.model_validate(always),
        offering(availability=quarters, session_minutes=15, rules=rules, seats_per_session=3),
        member(),
    )
    today = now().astimezone(CASABLANCA).date()
    first, last = today.isoformat(), (today + timedelta(days=1)).isoformat()

    async def slots(token: str) -> list[datetime]:
        got = await client.get(
            "/v1/offerings/off-test-mentoring/slots", params={"from": first, "to": last}, headers=bearer(token)
        )
        assert got.status_code == 200, got.text
        return [datetime.fromisoformat(s["starts_at"]) for s in got.json()["items"]]

    asked = now()  # the app answers as of a moment after this one (its clock runs on while it serves)
    desk, member_sees = await slots(tokens["desk"]), await slots(tokens["member"])
    moment = now()
    assert desk
    assert all(s > asked for s in desk)
    assert all(s >= asked + timedelta(minutes=600) for s in member_sees)
    within = [s for s in desk if moment + timedelta(minutes=3) < s < moment + timedelta(minutes=600)]
    assert len(within) >= 2, desk[:5]
    assert not set(within) & set(member_sees)

    def body(starts_at: datetime) -> dict[str, object]:
        return {"offering_id": "off-test-mentoring", "member_id": MEMBER, "starts_at": starts_at.isoformat()}

    walk_in = await client.post(
        "/v1/bookings", json=body(within[0]), headers=bearer(tokens["desk"], **{"Idempotency-Key": "walk-in-1"})
    )
    assert walk_in.status_code == 201, walk_in.text
    assert walk_in.json()["status"] == "confirmed"
    held_to_notice = await client.post(
        "/v1/bookings", json=body(within[1]), headers=bearer(tokens["member"], **{"Idempotency-Key": "walk-in-2"})
    )
    assert held_to_notice.status_code == 422, held_to_notice.text
    assert held_to_notice.json()["errors"][0]["field"] == "starts_at"
    begun = desk[0] - timedelta(minutes=15)  # the session before the first offered one: under way
    too_late = await client.post(
        "/v1/bookings", json=body(begun), headers=bearer(tokens["desk"], **{"Idempotency-Key": "walk-in-3"})
    )
    assert too_late.status_code == 422, too_late.text
