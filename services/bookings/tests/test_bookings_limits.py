"""Per-period limits per plan over the real store, broker and HTTP: admins set a site's rules under
If-Match (each change a `bookings.limits.changed` event); concurrent bookings racing for the last
room hours of a member's week never pass the limit (and do with the guard off, a test-only
subclass); a refusal says `limit_reached` with the usage; a cancellation gives the hours back once,
whatever the redelivery; the member's usage is read per rule for the period.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from bookings_support import MEMBER, UnguardedAllowances, bearer, eventually, in_days, member, offering, project, site

from bookings.bootstrap import BookingsSettings
from bookings.service_layer.service import BookingService
from parkgrid.consumer import Delivery
from parkgrid.events import registry
from parkgrid.testing.http import app_client
from parkgrid.testing.topics import read_topic

pytest_plugins = ["bookings_fixtures"]

DAY = 5  # every racing session on one local day: one week for the rule
ROOM = "off-test-room"
WEEKLY_ROOM_HOURS = {
    "rule_id": "pre-incubation-rooms",
    "stage": "pre_incubation",
    "measure": "room_hours",
    "category": "meeting_room",
    "period": "week",
    "max": 4,
}


def room() -> Any:
    return offering(ROOM, category="meeting_room", title={"fr": "Salle", "en": "Room"}, seats_per_session=1)


async def set_limits(client: httpx.AsyncClient, token: str, rules: list[dict[str, Any]], version: str) -> Any:
    return await client.put(
        "/v1/sites/site-test/limits", json={"rules": rules}, headers=bearer(token, **{"If-Match": version})
    )


async def book(client: httpx.AsyncClient, token: str, day: int, hour: int) -> httpx.Response:
    body = {"offering_id": ROOM, "member_id": MEMBER, "starts_at": in_days(day, hour).isoformat()}
    return await client.post("/v1/bookings", json=body, headers=bearer(token))


async def test_admins_set_a_sites_limits_under_if_match_and_each_change_is_an_event(
    service: BookingService, client: httpx.AsyncClient, tokens: dict[str, str], settings: BookingsSettings
) -> None:
    await project(service, site())
    read = await client.get("/v1/sites/site-test/limits", headers=bearer(tokens["desk"]))
    assert read.status_code == 200
    assert read.json()["rules"] == []
    assert read.headers["ETag"] == '"0"'
    blind = await client.put("/v1/sites/site-test/limits", json={"rules": []}, headers=bearer(tokens["admin"]))
    assert blind.status_code == 428
    assert (await set_limits(client, tokens["desk"], [WEEKLY_ROOM_HOURS], '"0"')).status_code == 403
    assert (await set_limits(client, tokens["member"], [WEEKLY_ROOM_HOURS], '"0"')).status_code == 403
    wrong = await set_limits(client, tokens["admin"], [{**WEEKLY_ROOM_HOURS, "max": 0, "colour": "red"}], '"0"')
    assert wrong.status_code == 422
    assert wrong.headers["content-type"] == "application/problem+json"
    fields = {e["field"] for e in wrong.json()["errors"]}
    assert any("max" in f for f in fields), fields
    assert any("colour" in f for f in fields), fields

    made = await set_limits(client, tokens["admin"], [WEEKLY_ROOM_HOURS], '"0"')
    assert made.status_code == 200, made.text
    assert made.headers["ETag"] == '"1"'
    assert made.json()["changed_by"] == {"role": "admin", "subject": "admin-1"}
    stale = await set_limits(client, tokens["admin"], [], '"0"')
    assert stale.status_code == 412
    twice = await set_limits(client, tokens["admin"], [WEEKLY_ROOM_HOURS, WEEKLY_ROOM_HOURS], '"1"')
    assert twice.status_code == 409
    assert twice.json()["errors"][0]["field"] == "rules"
    relaxed = await set_limits(client, tokens["admin"], [{**WEEKLY_ROOM_HOURS, "max": 6}], '"1"')
    assert relaxed.status_code == 200
    assert relaxed.headers["ETag"] == '"2"'

    assert (await client.get("/v1/sites/site-test/limits", headers=bearer(tokens["other_desk"]))).status_code == 403
    assert (await client.get("/v1/sites/site-nowhere/limits", headers=bearer(tokens["admin"]))).status_code == 404
    again = await client.get("/v1/sites/site-test/limits", headers=bearer(tokens["desk"]))
    assert again.json()["rules"][0]["max"] == 6
    assert again.headers["ETag"] == '"2"'

    events = await read_topic(settings, "bookings.limits", until=2)
    assert [e.type for e in events] == ["parkgrid.bookings.limits.changed"] * 2
    assert [e.data["rules"][0]["max"] for e in events] == [4, 6]
    assert [e.sequence for e in events] == [1, 2]
    assert {e.subject for e in events} == {"site-test"}


@pytest.mark.parametrize("racing", [True, False], ids=["guarded", "guard-off"], indirect=True)
async def test_seven_bookings_racing_for_the_last_three_room_hours_of_a_week_hold_three(
    racing: BookingService, tokens: dict[str, str]
) -> None:
    service = racing
    guarded = not isinstance(service.ledger.allowances, UnguardedAllowances)
    await project(service, site(), room(), member(MEMBER, stage="pre_incubation"))
    async with app_client(service.app, "bookings") as client:  # type: ignore[attr-defined]
        assert (await set_limits(client, tokens["admin"], [WEEKLY_ROOM_HOURS], '"0"')).status_code == 200
        assert (await book(client, tokens["member"], DAY, 9)).status_code == 201  # 1 of 4 hours
        answers = await asyncio.gather(*(book(client, tokens["member"], DAY, hour) for hour in range(10, 17)))
    statuses = [a.status_code for a in answers]
    held = await service.bookings.collection.count_documents({"member_id": MEMBER, "status": "confirmed"})
    counter = await service.ledger.allowances.collection.find_one({"kind": "plan", "member_id": MEMBER})
    if not guarded:  # the negative control: without the guard the same race passes the limit
        assert statuses.count(201) > 3
        assert held > 4
        return
    assert statuses.count(201) == 3, [a.text for a in answers]
    assert statuses.count(409) == 4
    assert held == 4
    assert counter is not None
    assert counter["used"] == 4 * 60
    refused = [a.json() for a in answers if a.status_code == 409]
    assert all(r["reason"] == "limit_reached" for r in refused), refused
    assert all(r["limit"]["used"] == "4" and r["limit"]["max"] == 4 for r in refused), refused
    assert all(r["errors"][0]["field"] == "starts_at" for r in refused)
    assert "4 of 4 room hours of meeting_room used this week" in refused[0]["detail"]


async def test_a_cancellation_gives_the_hours_back_once_and_the_usage_says_so(
    service: BookingService, client: httpx.AsyncClient, tokens: dict[str, str], settings: BookingsSettings
) -> None:
    await project(service, site(), room(), member(MEMBER, stage="pre_incubation"))
    assert (await set_limits(client, tokens["admin"], [{**WEEKLY_ROOM_HOURS, "max": 2}], '"0"')).status_code == 200
    first, second = [await book(client, tokens["member"], DAY, hour) for hour in (9, 10)]
    assert first.status_code == second.status_code == 201
    assert (await book(client, tokens["member"], DAY, 11)).status_code == 409
    day = in_days(DAY).date().isoformat()

    async def usage(token: str) -> dict[str, Any]:
        answer = await client.get(f"/v1/members/{MEMBER}/limits", params={"date": day}, headers=bearer(token))
        assert answer.status_code == 200, answer.text
        [item] = answer.json()["items"]
        return dict(item)

    full = await usage(tokens["member"])
    assert (full["used"], full["max"], full["remaining"]) == (2.0, 2, 0.0)
    assert (await usage(tokens["desk"]))["used"] == 2.0
    assert (await client.get(f"/v1/members/{MEMBER}/limits", headers=bearer(tokens["other_member"]))).status_code == 404

    booking_id = first.json()["booking_id"]
    cancel = await client.post(f"/v1/bookings/{booking_id}/cancel", json={}, headers=bearer(tokens["member"]))
    assert cancel.status_code == 200, cancel.text
    cancelled = await read_topic(settings, "bookings.booking", until=3, types={"parkgrid.bookings.booking.cancelled"})
    [event] = [e for e in cancelled if e.subject == booking_id]
    delivery = Delivery(event, registry.parse(event), "t", 0, 0)
    for _ in range(3):  # redelivered: given back once
        await service.on_booking_event(delivery)

    async def one_hour_back() -> bool:
        used: float = (await usage(tokens["member"]))["used"]
        return used == 1.0

    await eventually(one_hour_back)
    assert (await book(client, tokens["member"], DAY, 11)).status_code == 201
    assert (await usage(tokens["member"]))["used"] == 2.0
