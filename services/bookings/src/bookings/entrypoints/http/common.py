"""What every bookings route shares: its components, who the caller acts as, and who may see what.

Who may do what: a member books, sees and cancels their own organisation's bookings
(another organisation's are 404 to them); front-desk staff act on behalf of members at
their sites (another site is 403) and alone check people in and see a site's day; admins
do everything.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Request

from bookings.adapters.ledgers import CalendarFeeds
from bookings.domain.booking import Actor, Booking
from bookings.service_layer.changes import BookingChanges
from bookings.service_layer.service import BookingService
from parkgrid.auth import Principal, Role
from parkgrid.http.access import component
from parkgrid.http.problems import Forbidden, NotFound

MAX_LIMIT = 100


@dataclass(frozen=True)
class SelfBookingLimit:
    """Members' booking commands are rate-limited per caller (429 + Retry-After); staff are not."""

    check: Callable[[Request], Awaitable[None]]


@dataclass(frozen=True)
class Zones:
    """The zone of a site whose event bookings has not seen yet (`settings.default_time_zone`)."""

    default: str


Service = Annotated[BookingService, component(BookingService)]
Changes = Annotated[BookingChanges, component(BookingChanges)]
Feeds = Annotated[CalendarFeeds, component(CalendarFeeds)]
Limit = Annotated[SelfBookingLimit, component(SelfBookingLimit)]
DefaultZone = Annotated[Zones, component(Zones)]


async def self_booking_limit(request: Request, limit: Limit) -> None:
    await limit.check(request)


def actor_of(principal: Principal) -> Actor:
    return Actor(principal.role.value, principal.subject)


async def site_of_member(service: BookingService, member_id: str) -> str | None:
    member = await service.projections.member(member_id)
    return member.home_site_id if member else None


async def may_see(service: BookingService, principal: Principal, booking: Booking) -> None:
    """404 for a member of another organisation, 403 for staff of another site."""
    if principal.role == Role.MEMBER and principal.member_id != booking.member_id:
        raise NotFound(f"there is no booking {booking.booking_id}")
    if principal.role == Role.FRONT_DESK:
        site = booking.site_id or await site_of_member(service, booking.member_id)
        if site is None or not principal.may_act_at_site(site):
            raise Forbidden(f"booking {booking.booking_id} is at {site}, not at one of your sites")


async def may_see_member(service: BookingService, principal: Principal, member_id: str) -> None:
    """404 for a member of another organisation, 403 for staff of a site that is not the member's."""
    if principal.role == Role.MEMBER and principal.member_id != member_id:
        raise NotFound(f"there is no member {member_id} you may see")
    if principal.role == Role.FRONT_DESK:
        site = await site_of_member(service, member_id)
        if site is None or not principal.may_act_at_site(site):
            raise Forbidden(f"member {member_id} is not at one of your sites")
