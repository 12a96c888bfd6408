"""The member portal's calls beyond the shared clients: commands that carry the form's
Idempotency-Key (a double submit is one effect at the service), rescheduling, cancelling a
registration, and the office waitlist of spaces.

Each takes the client of its service and the visitor's token; answers are parsed into the
services' read models like every other call (`ServiceClient.parse`)."""

from __future__ import annotations

from typing import Any

from frontdesk.adapters.commands import command
from frontdesk.adapters.services import Bookings, Community, Spaces
from parkgrid.api.bookings import BookingRead
from parkgrid.api.community import RegistrationRead
from parkgrid.api.spaces import SteppedOut, WaitlistEntryList, WaitlistEntryRead


async def reschedule(bookings: Bookings, token: str, booking_id: str, starts_at: str, key: str | None) -> BookingRead:
    """The new booking (`replaces` the old one, which bookings cancels once the new one is confirmed)."""
    path = f"/v1/bookings/{booking_id}/reschedule"
    return bookings.parse(BookingRead, await command(bookings, path, token, {"starts_at": starts_at}, key), path)


async def check_in(bookings: Bookings, token: str, booking_id: str, key: str | None) -> BookingRead:
    """The member checks itself in (bookings takes it inside the window, once; a double submit is a
    409 "already checked in", which the page reads from the booking as it then stands)."""
    path = f"/v1/bookings/{booking_id}/check-in"
    return bookings.parse(BookingRead, await command(bookings, path, token, {}, key), path)


async def cancel_booking(bookings: Bookings, token: str, booking_id: str) -> BookingRead:
    path = f"/v1/bookings/{booking_id}/cancel"
    return bookings.parse(BookingRead, await command(bookings, path, token, {}), path)


async def cancel_registration(community: Community, token: str, registration_id: str) -> RegistrationRead:
    path = f"/v1/registrations/{registration_id}/cancel"
    return community.parse(RegistrationRead, await command(community, path, token, {}), path)


async def office_entries(spaces: Spaces, token: str, member_id: str) -> WaitlistEntryList:
    return await spaces.read(WaitlistEntryList, "/v1/office-waitlist", token, member_id=member_id)


async def join_office_waitlist(
    spaces: Spaces, token: str, site_id: str, member_id: str, seats: Any, key: str | None
) -> WaitlistEntryRead:
    """The entry (201 new, 200 the one already in line: joining twice is one place)."""
    path = "/v1/office-waitlist"
    body = {"site_id": site_id, "member_id": member_id, "seats": seats}
    return spaces.parse(WaitlistEntryRead, await command(spaces, path, token, body, key), path)


async def answer_office(spaces: Spaces, token: str, entry_id: str, answer: str) -> SteppedOut:
    """`decline` an offer or `leave` the line: the office passes to the next in line."""
    path = f"/v1/office-waitlist/{entry_id}/{answer}"
    return spaces.parse(SteppedOut, await command(spaces, path, token, {}), path)
