"""Bookings' approvals, as the web app calls them with the desk's own token: a site's queue of
bookings awaiting staff (the nearest deadline first), and approving or declining one with the
form's Idempotency-Key, so a double click or a retry after a timeout is one decision at bookings.
Bookings refuses a booking already decided (409, the outcome in its detail) and one that is not
awaiting approval (404)."""

from __future__ import annotations

from frontdesk.adapters.commands import command
from frontdesk.adapters.services import Bookings
from parkgrid.api.approvals import ApprovalPage
from parkgrid.api.bookings import BookingRead

QUEUE_PAGE = 50
"""Bookings awaiting a decision that one page of the queue shows."""


async def awaiting(
    bookings: Bookings, token: str, site_id: str, cursor: str | None = None, limit: int = QUEUE_PAGE
) -> ApprovalPage:
    return await bookings.read(ApprovalPage, "/v1/approvals", token, site_id=site_id, limit=limit, cursor=cursor)


async def approve(bookings: Bookings, token: str, booking_id: str, key: str | None) -> BookingRead:
    """The booking, confirmed."""
    path = f"/v1/approvals/{booking_id}/approve"
    return bookings.parse(BookingRead, await command(bookings, path, token, {}, key), path)


async def decline(bookings: Bookings, token: str, booking_id: str, note: str, key: str | None) -> BookingRead:
    """The booking, rejected (`declined`) with the staff's `note` for the member to read."""
    path = f"/v1/approvals/{booking_id}/decline"
    return bookings.parse(BookingRead, await command(bookings, path, token, {"note": note}, key), path)
