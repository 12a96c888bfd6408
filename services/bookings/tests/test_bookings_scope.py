"""Who sees which bookings (the kit's `Scope`), and what a client may send: dates within the
network's calendar and clean text, refused with a 422 naming the field, never a 5xx."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from bookings_support import MEMBER, OTHER_MEMBER, OTHER_SITE, SITE, bearer, in_days, member, offering, project, site

from bookings.service_layer.service import BookingService

pytest_plugins = ["bookings_fixtures"]

EDGES = ["9999-12-31", "0001-01-01", "0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00"]
"""Dates and instants at Python's limits: each overflowed somewhere before they were refused at the edge."""


async def ready(service: BookingService) -> None:
    await project(
        service,
        site(SITE),
        site(OTHER_SITE),
        offering(seats_per_session=1),
        offering("off-other", site_id=OTHER_SITE, seats_per_session=1),
        offering("off-online", site_id=None, mode="online", seats_per_session=1),
        member(MEMBER),
        member(OTHER_MEMBER, home_site_id=OTHER_SITE),
    )


async def book(client: httpx.AsyncClient, token: str, offering_id: str, member_id: str, **extra: Any) -> Any:
    payload = {"offering_id": offering_id, "member_id": member_id, "starts_at": in_days(3).isoformat(), **extra}
    made = await client.post("/v1/bookings", json=payload, headers=bearer(token))
    assert made.status_code == 201, made.text
    return made.json()


def ids(answer: httpx.Response) -> set[str]:
    assert answer.status_code == 200, answer.text
    return {item["id"] for item in answer.json()["items"]}


async def test_a_front_desk_sees_the_bookings_at_its_sites_and_a_member_its_own(
    client: httpx.AsyncClient, service: BookingService, tokens: dict[str, str]
) -> None:
    await ready(service)
    admin = tokens["admin"]
    here = (await book(client, admin, "off-test-mentoring", MEMBER))["id"]  # at SITE
    there = (await book(client, admin, "off-other", MEMBER))["id"]  # MEMBER's booking at OTHER_SITE
    online = (await book(client, admin, "off-online", MEMBER))["id"]  # no site: MEMBER's home, SITE
    theirs = (await book(client, admin, "off-other", OTHER_MEMBER, join_waitlist=True))["id"]  # a waitlist place
    desk, elsewhere, mine = bearer(tokens["desk"]), bearer(tokens["other_desk"]), bearer(tokens["member"])

    assert ids(await client.get("/v1/bookings", headers=desk)) == {here, online}
    assert ids(await client.get("/v1/bookings", headers=elsewhere)) == {there}
    assert ids(await client.get("/v1/bookings", params={"member_id": MEMBER}, headers=desk)) == {here, online}
    assert ids(await client.get(f"/v1/members/{MEMBER}/history", headers=desk)) == {here, online}
    assert ids(await client.get(f"/v1/members/{MEMBER}/history", headers=mine)) == {here, there, online}
    assert ids(await client.get("/v1/bookings", headers=bearer(admin))) == {here, there, online}

    # A booking the caller does not see does not exist for it; one it names in a command is 403.
    assert (await client.get(f"/v1/bookings/{there}", headers=desk)).status_code == 404
    assert (await client.get(f"/v1/bookings/{online}", headers=desk)).status_code == 200
    assert (await client.get(f"/v1/bookings/{here}", headers=elsewhere)).status_code == 404
    assert (await client.post(f"/v1/bookings/{here}/cancel", json={}, headers=elsewhere)).status_code == 403
    for what in ("entitlements", "history", "calendar-feed"):
        assert (await client.get(f"/v1/members/{MEMBER}/{what}", headers=elsewhere)).status_code == 404, what
    named = await client.get("/v1/bookings", params={"member_id": MEMBER}, headers=elsewhere)
    assert (named.status_code, named.json()["errors"][0]["field"]) == (403, "member_id")

    # The waitlist: OTHER_MEMBER's place at OTHER_SITE is the other desk's to see.
    assert {p["id"] for p in (await client.get("/v1/waitlist", headers=desk)).json()["items"]} == set()
    assert {p["id"] for p in (await client.get("/v1/waitlist", headers=elsewhere)).json()["items"]} == {theirs}
    assert (await client.get("/v1/waitlist", params={"member_id": OTHER_MEMBER}, headers=desk)).status_code == 403


@pytest.mark.parametrize("value", EDGES)
async def test_dates_at_the_edges_of_the_calendar_are_422_naming_the_field(
    client: httpx.AsyncClient, service: BookingService, tokens: dict[str, str], value: str
) -> None:
    await ready(service)
    desk = bearer(tokens["desk"])
    made = await book(client, tokens["admin"], "off-test-mentoring", MEMBER)
    # (method, path, query, body, and the query field named, if any: without one, the body's `starts_at`)
    asks: list[tuple[str, str, dict[str, str] | None, dict[str, str] | None, *tuple[str, ...]]] = [
        ("GET", "/v1/offerings/off-test-mentoring/slots", {"from": value}, None, "from"),
        ("GET", "/v1/offerings/off-test-mentoring/slots", {"to": value}, None, "to"),
        ("GET", "/v1/bookings", {"from": value}, None, "from"),
        ("GET", "/v1/bookings", {"to": value}, None, "to"),
        ("GET", f"/v1/sites/{SITE}/day", {"date": value}, None, "date"),
        ("POST", "/v1/bookings", None, {"offering_id": "off-test-mentoring", "member_id": MEMBER, "starts_at": value}),
        ("POST", f"/v1/bookings/{made['id']}/reschedule", None, {"starts_at": value}),
    ]
    for method, path, params, body, *field in asks:
        answer = await client.request(method, path, params=params, json=body, headers=desk)
        assert answer.status_code == 422, (path, params, body, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert (f"query.{field[0]}" if field else "starts_at") in {e["field"] for e in answer.json()["errors"]}, (
            answer.json()
        )


async def test_the_last_day_of_the_calendar_is_still_a_day_and_a_reason_is_clean_text(
    client: httpx.AsyncClient, service: BookingService, tokens: dict[str, str]
) -> None:
    await ready(service)
    desk = bearer(tokens["desk"])
    # Days a rule adds to (a week of slots, the site's next midnight) stay dates at the calendar's end.
    last = await client.get("/v1/offerings/off-test-mentoring/slots", params={"from": "2199-12-31"}, headers=desk)
    assert last.status_code == 200, last.text
    day = await client.get(f"/v1/sites/{SITE}/day", params={"date": "2199-12-31"}, headers=desk)
    assert (day.status_code, day.json()["total"]) == (200, 0)
    made = await book(client, tokens["admin"], "off-test-mentoring", MEMBER)
    dirty = await client.post(f"/v1/bookings/{made['id']}/cancel", json={"reason": "oops\u0000\u001b"}, headers=desk)
    assert dirty.status_code == 422, dirty.text
    assert dirty.json()["errors"][0]["field"] == "reason"
    clean = await client.post(f"/v1/bookings/{made['id']}/cancel", json={"reason": "  moved  "}, headers=desk)
    assert clean.status_code == 200, clean.text
