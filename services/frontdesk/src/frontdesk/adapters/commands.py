"""The commands the web app sends for the person using it, member or desk: each carries the
Idempotency-Key its form was drawn with, so a double submit is one effect at the service."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from frontdesk.adapters.services import Bookings, ServiceClient
from parkgrid.api.bookings import BookingRead, WaitlistPlaceRead


def keyed(key: str | None) -> dict[str, str]:
    """The Idempotency-Key header of a form's command (none if the form did not carry one)."""
    return {"Idempotency-Key": key} if key else {}


async def command(
    client: ServiceClient, path: str, token: str, body: Mapping[str, Any], key: str | None = None
) -> dict[str, Any]:
    response = await client.call("POST", path, token, body=body, headers=keyed(key))
    answer: dict[str, Any] = response.json() if response.content else {}
    return answer


async def book(
    bookings: Bookings, token: str, body: Mapping[str, Any], key: str | None
) -> BookingRead | WaitlistPlaceRead:
    """The booking, or its place in line when the session was full and the form asked to wait."""
    path = "/v1/bookings"
    answer = await command(bookings, path, token, body, key)
    if answer.get("status") == "waitlisted":
        return bookings.parse(WaitlistPlaceRead, answer, path)
    return bookings.parse(BookingRead, answer, path)
