"""Who waits for a seat: the places the caller sees (a member its own, a front desk its sites'),
and leaving one (`POST /waitlist/{entry_id}/leave`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from bookings import views
from bookings.adapters.ledgers import entry_view
from bookings.entrypoints.http.common import Service, may_name_member, site_of_member
from bookings.service_layer.service import BookingService
from parkgrid.api.bookings import WaitlistEntryRead, WaitlistPage
from parkgrid.auth import Role
from parkgrid.http.access import CallerOrService, Scope, Scoped
from parkgrid.http.problems import Forbidden, problems
from parkgrid.refusals import Refused
from parkgrid.store import Document

router = APIRouter(prefix="/v1", tags=["bookings"])


@router.get("/waitlist", response_model=WaitlistPage, responses=problems(403, 404))
async def waitlist(
    principal: CallerOrService,
    scope: Scoped,
    service: Service,
    member_id: str | None = None,
    offering_id: str | None = None,
) -> Any:
    """Waitlist places the caller sees (a member: its organisation's; a front desk: those for
    offerings at its sites), of a member and/or an offering; naming another site's is 403."""
    await may_name_member(service, principal, member_id)
    if principal.role == Role.FRONT_DESK and offering_id is not None:
        # Who waits for another site's offering is that site's desk's business.
        offering, _ = await views.known_offering(service, offering_id)
        if offering.site_id is not None and not scope.sees(site_id=offering.site_id):
            raise Forbidden(f"offering {offering_id} is at {offering.site_id}, not at one of your sites")
    within = await places_seen(service, scope)
    docs = await service.waitlist.find(member_id, offering_id, within)
    return {"items": [entry_view(d) for d in docs], "next_cursor": None}


@router.post("/waitlist/{entry_id}/leave", response_model=WaitlistEntryRead, responses=problems(403, 404, 409))
async def leave(entry_id: str, principal: CallerOrService, service: Service) -> Any:
    """Leave a session's waitlist (`WaitlistLeft`, reason `left`): a member its own organisation's
    places, a front desk those of its sites (another site's: 403); unknown or not seen: 404; a
    place no longer waiting (promoted, left): 409."""
    place = await service.waitlist.get(entry_id)
    if place is None:
        raise Refused.not_found(f"there is no waitlist place {entry_id}")
    offering = await service.projections.offerings.get(place["offering_id"])
    site = (offering.site_id if offering else None) or await site_of_member(service, place["member_id"])
    if principal.role == Role.FRONT_DESK and not Scope(principal).sees(site_id=site):
        raise Forbidden(f"waitlist place {entry_id} is at {site}, not at one of your sites")
    Scope(principal).require(f"waitlist place {entry_id}", site_id=site, member_id=place["member_id"])
    return entry_view(await service.leave_waitlist(entry_id))


async def places_seen(service: BookingService, scope: Scope) -> Document:
    """A filter narrowing waitlist places to the caller's scope, as `bookings_seen`: a place is at
    its offering's site (places name no site: their offering does), an online one at its
    member's home site; a member sees its organisation's (`Scope.query`)."""
    if scope.principal.role != Role.FRONT_DESK:
        return scope.query(site_field=None, member_field="member_id")
    sites, offerings = scope.principal.sites, service.projections.offerings
    here, online = await offerings.at_sites(sites), await offerings.at_sites([None])
    members = await service.projections.members_at(sites)
    return {"$or": [{"offering_id": {"$in": here}}, {"offering_id": {"$in": online}, "member_id": {"$in": members}}]}
