"""What a member organisation has with bookings: its credits (entitlements) and its history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from bookings import views
from bookings.entrypoints.http.common import MAX_LIMIT, Service, bookings_seen, may_see_member
from parkgrid.api.bookings import BookingPage, EntitlementPage
from parkgrid.http.access import CallerOrService, Scoped
from parkgrid.http.problems import problems

router = APIRouter(prefix="/v1", tags=["bookings"])


@router.get("/members/{member_id}/entitlements", response_model=EntitlementPage, responses=problems(403, 404))
async def entitlements(member_id: str, principal: CallerOrService, service: Service) -> Any:
    await may_see_member(service, principal, member_id)
    return await views.entitlements(service, member_id)


@router.get("/members/{member_id}/history", response_model=BookingPage, responses=problems(403, 404))
async def history(
    member_id: str,
    principal: CallerOrService,
    scope: Scoped,
    service: Service,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
) -> Any:
    """Every booking of the organisation the caller sees (a front desk: at its sites),
    newest session first, whatever its state."""
    await may_see_member(service, principal, member_id)
    within = await bookings_seen(service, scope)
    return await views.booking_page(
        service, member_id=member_id, limit=limit, cursor=cursor, newest_first=True, within=within
    )
