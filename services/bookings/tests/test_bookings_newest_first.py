"""A history reads latest first: `GET /v1/bookings?newest_first=true` pages the same bookings as
the soonest-first list, in the opposite order, with cursors of its own (the web app's "past"
panels). Over the real store and broker, as the service runs."""

from __future__ import annotations

import httpx
from bookings_support import MEMBER, bearer, book_each, in_days, member, offering, project, site

from bookings.service_layer.service import BookingService

pytest_plugins = ["bookings_fixtures"]


async def pages(client: httpx.AsyncClient, headers: dict[str, str], **params: str) -> tuple[list[str], list[str]]:
    """Every id of the list, one per page, and the cursors that led there."""
    ids: list[str] = []
    cursors: list[str] = []
    cursor: str | None = None
    while True:
        got = await client.get(
            "/v1/bookings", params={**params, "limit": "1", **({"cursor": cursor} if cursor else {})}, headers=headers
        )
        assert got.status_code == 200, got.text
        body = got.json()
        ids += [b["id"] for b in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return ids, cursors
        cursors.append(cursor)


async def test_newest_first_pages_the_same_bookings_latest_first(
    client: httpx.AsyncClient, service: BookingService, tokens: dict[str, str]
) -> None:
    await project(service, site(), offering(seats_per_session=5), member(MEMBER))
    mine = bearer(tokens["member"])
    made = [(await book_each(client, mine, in_days(days, 10), MEMBER))[0] for days in (3, 1, 2)]
    soonest = [made[1], made[2], made[0]]
    window = {"member_id": MEMBER, "to": in_days(4, 0).isoformat()}

    forward, _ = await pages(client, mine, **window)
    backward, cursors = await pages(client, mine, **window, newest_first="true")

    assert forward == soonest
    assert backward == soonest[::-1]
    # a cursor of one order is refused by the other, not read as a position in it
    refused = await client.get("/v1/bookings", params={**window, "cursor": cursors[0]}, headers=mine)
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
