"""Who waits for a seat: a member's own places, or (front desk) an offering's line at their site."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from bookings import views
from bookings.adapters.ledgers import entry_view
from bookings.entrypoints.http.common import Service, may_see_member
from parkgrid.api.bookings import WaitlistPage
from parkgrid.auth import Role
from parkgrid.http.access import CallerOrService
from parkgrid.http.problems import Forbidden, InvalidInput, problems

router = APIRouter(prefix="/v1", tags=["bookings"])


@router.get("/waitlist", response_model=WaitlistPage, responses=problems(403, 404))
async def waitlist(
    principal: CallerOrService, service: Service, member_id: str | None = None, offering_id: str | None = None
) -> Any:
    if principal.role == Role.MEMBER:
        if member_id is not None and member_id != principal.member_id:
            return {"items": [], "next_cursor": None}
        member_id = principal.member_id
    elif principal.role == Role.FRONT_DESK and member_id is not None:
        await may_see_member(service, principal, member_id)
    elif principal.role == Role.FRONT_DESK and offering_id is None:
        raise InvalidInput("front desk: give member_id or offering_id", field="member_id")
    elif principal.role == Role.FRONT_DESK and offering_id is not None:
        # Who waits for another site's offering is that site's desk's business.
        offering, _ = await views.known_offering(service, offering_id)
        if offering.site_id is not None and not principal.may_act_at_site(offering.site_id):
            raise Forbidden(f"offering {offering_id} is at {offering.site_id}, not at one of your sites")
    docs = await service.waitlist.find(member_id, offering_id)
    return {"items": [entry_view(d) for d in docs], "next_cursor": None}
