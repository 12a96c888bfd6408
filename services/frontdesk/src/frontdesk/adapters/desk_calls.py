"""The front desk's calls beyond the shared clients: staff commands that carry the form's
Idempotency-Key (a double submit is one effect at the service: the kit's middleware replays the
first answer), and the reads of the member's profile (bookings from a date with bookings' cursor,
registrations, the site's members to search).

Each takes the client of its service and the visitor's token; answers are parsed into the
services' read models like every other call (`ServiceClient.parse`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from frontdesk.adapters.commands import command
from frontdesk.adapters.services import Bookings, Community, Spaces
from parkgrid.api.bookings import BookingPage, BookingRead
from parkgrid.api.community import MemberPage, MemberRead, RegistrationPage, RegistrationRead
from parkgrid.api.spaces import (
    AcceptedOffer,
    DayPassRead,
    ResidencyRead,
    SteppedOut,
    WaitlistEntryList,
    WaitlistEntryRead,
)

MEMBERS_SEARCHED = 500
"""At most this many members of a site are fetched to search them (five pages of 100)."""


async def bookings_page(bookings: Bookings, token: str, member_id: str, **window: str | None) -> BookingPage:
    """One page of a member's bookings (`from`, `to`, `cursor`), soonest first as bookings sorts them."""
    return await bookings.read(BookingPage, "/v1/bookings", token, member_id=member_id, limit=10, **window)


async def registrations(community: Community, token: str, member_id: str) -> RegistrationPage:
    return await community.read(RegistrationPage, "/v1/registrations", token, member_id=member_id, limit=50)


async def site_members(community: Community, token: str, site_id: str) -> list[MemberRead]:
    """The site's member organisations, page after page (to search them here: see `domain.desk`)."""
    found: list[MemberRead] = []
    cursor: str | None = None
    while len(found) < MEMBERS_SEARCHED:
        page = await community.read(MemberPage, "/v1/members", token, site_id=site_id, limit=100, cursor=cursor)
        found.extend(page.items)
        cursor = page.next_cursor
        if not cursor or not page.items:
            break
    return found


async def cancel_booking(
    bookings: Bookings, token: str, booking_id: str, override: bool, key: str | None
) -> BookingRead:
    path = f"/v1/bookings/{booking_id}/cancel"
    return bookings.parse(BookingRead, await command(bookings, path, token, {"override": override}, key), path)


async def reschedule(bookings: Bookings, token: str, booking_id: str, starts_at: str, key: str | None) -> BookingRead:
    path = f"/v1/bookings/{booking_id}/reschedule"
    answer = await command(bookings, path, token, {"starts_at": starts_at}, key)
    return bookings.parse(BookingRead, answer, path)


async def register(
    community: Community, token: str, event_id: str, person_id: str, member_id: str, key: str | None
) -> RegistrationRead:
    path = f"/v1/events/{event_id}/registrations"
    body = {"person_id": person_id, "member_id": member_id}
    return community.parse(RegistrationRead, await command(community, path, token, body, key), path)


async def cancel_registration(
    community: Community, token: str, registration_id: str, key: str | None
) -> RegistrationRead:
    path = f"/v1/registrations/{registration_id}/cancel"
    return community.parse(RegistrationRead, await command(community, path, token, {}, key), path)


async def residency(spaces: Spaces, token: str, residency_id: str) -> ResidencyRead:
    return await spaces.read(ResidencyRead, f"/v1/residencies/{residency_id}", token)


async def residency_command(
    spaces: Spaces, token: str, residency_id: str, verb: str, body: Mapping[str, Any], key: str | None
) -> ResidencyRead:
    """`extend` `{ends_on}`, `move` `{space_id, moves_on}` or `end` `{ends_on?}` a residency."""
    path = f"/v1/residencies/{residency_id}/{verb}"
    return spaces.parse(ResidencyRead, await command(spaces, path, token, body, key), path)


async def offer_office(
    spaces: Spaces, token: str, site_id: str, body: Mapping[str, Any], key: str | None
) -> WaitlistEntryRead:
    path = f"/v1/sites/{site_id}/office-waitlist/offers"
    return spaces.parse(WaitlistEntryRead, await command(spaces, path, token, body, key), path)


async def accept_office(spaces: Spaces, token: str, entry_id: str, key: str | None) -> AcceptedOffer:
    path = f"/v1/office-waitlist/{entry_id}/accept"
    return spaces.parse(AcceptedOffer, await command(spaces, path, token, {}, key), path)


async def decline_office(spaces: Spaces, token: str, entry_id: str, key: str | None) -> SteppedOut:
    path = f"/v1/office-waitlist/{entry_id}/decline"
    return spaces.parse(SteppedOut, await command(spaces, path, token, {}, key), path)


async def day_pass(spaces: Spaces, token: str, body: Mapping[str, Any], key: str | None) -> DayPassRead:
    path = "/v1/day-passes"
    return spaces.parse(DayPassRead, await command(spaces, path, token, body, key), path)


async def start_residency(spaces: Spaces, token: str, body: Mapping[str, Any], key: str | None) -> ResidencyRead:
    path = "/v1/residencies"
    return spaces.parse(ResidencyRead, await command(spaces, path, token, body, key), path)


async def office_places(spaces: Spaces, token: str, member_id: str) -> WaitlistEntryList:
    """The member's places in the office waitlist (spaces `GET /v1/office-waitlist?member_id=`)."""
    return await spaces.read(WaitlistEntryList, "/v1/office-waitlist", token, member_id=member_id)
