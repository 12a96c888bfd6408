"""What every bookings route shares: its components, who the caller acts as, and who may see what.

Who sees what is the kit's `Scope`: a member its own organisation's bookings, a front desk
the bookings at its sites (a booking is at its offering's site; one of an online offering at
its member's home site), admins and services everything. What a caller does not see is 404
(a booking, a member's entitlements, history, feed); lists are narrowed to what it sees.
A front desk naming another site's booking in a command, or another site's member in a list
filter, is 403 (DESIGN.md: it named it); front desks alone see a site's day; people are checked in by
a front desk, or check themselves in (a member, its own organisation's bookings).
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
from parkgrid.http.access import Scope, component
from parkgrid.http.problems import Forbidden
from parkgrid.store import Document

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


async def site_of_booking(service: BookingService, booking: Booking) -> str | None:
    """A booking is at its offering's site; one of an online offering (no site), at its member's home site."""
    return booking.site_id or await site_of_member(service, booking.member_id)


async def may_see(service: BookingService, principal: Principal, booking: Booking) -> None:
    """404 unless the caller sees the booking (the kit's `Scope`: its organisation's, or at its sites)."""
    site = await site_of_booking(service, booking)
    Scope(principal).require(f"booking {booking.booking_id}", site_id=site, member_id=booking.member_id)


async def may_act_on(service: BookingService, principal: Principal, booking: Booking) -> None:
    """A command on a booking: 404 to a member of another organisation (as `may_see`), 403 to a
    front desk of another site (DESIGN.md: it named another site's thing in a command)."""
    site = await site_of_booking(service, booking)
    if principal.role == Role.FRONT_DESK and not Scope(principal).sees(site_id=site):
        raise Forbidden(f"booking {booking.booking_id} is at {site}, not at one of your sites")
    Scope(principal).require(f"booking {booking.booking_id}", site_id=site, member_id=booking.member_id)


async def may_see_member(service: BookingService, principal: Principal, member_id: str) -> None:
    """404 unless the caller sees the member organisation (its own; a front desk: its sites' members)."""
    site = await site_of_member(service, member_id)
    Scope(principal).require(f"member {member_id}", site_id=site, member_id=member_id)


async def may_name_member(service: BookingService, principal: Principal, member_id: str | None) -> None:
    """A list's `member_id` filter, if given: a front desk naming a member of another site is 403
    (DESIGN.md: naming another site in a list filter). A member naming another organisation just
    finds nothing (`bookings_seen`, `places_seen`)."""
    if member_id is None:
        return
    if principal.role == Role.FRONT_DESK and not Scope(principal).sees(
        site_id=await site_of_member(service, member_id)
    ):
        raise Forbidden(f"member {member_id} is not at one of your sites", field="member_id")


async def bookings_seen(service: BookingService, scope: Scope) -> Document:
    """A filter narrowing bookings to the caller's scope (the kit's `Scope.query`): a member's to
    its organisation's, a front desk's to those at its sites, online ones (no site) included
    when they are its sites' members' (`site_of_booking`)."""
    seen = scope.query(site_field="site_id", member_field="member_id")
    if scope.principal.role != Role.FRONT_DESK:
        return seen
    members = await service.projections.members_at(scope.principal.sites)
    return {"$or": [seen, {"site_id": None, "member_id": {"$in": members}}]}
