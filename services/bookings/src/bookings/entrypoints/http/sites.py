"""A site's day, for its front desk: every booking by local hour."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from bookings import views
from bookings.entrypoints.http.common import DefaultZone, Service
from parkgrid.api.bookings import SiteDay
from parkgrid.http.access import Staff
from parkgrid.http.problems import Forbidden, problems

router = APIRouter(prefix="/v1", tags=["bookings"])


@router.get("/sites/{site_id}/day", response_model=SiteDay, responses=problems(403))
async def site_day(
    site_id: str,
    principal: Staff,
    service: Service,
    zones: DefaultZone,
    day: Annotated[str | None, Query(alias="date")] = None,
) -> Any:
    """Every booking at the site on a local day, by hour, with the member and the state."""
    if not principal.may_act_at_site(site_id):
        raise Forbidden(f"you are not front desk at {site_id}")
    return await views.site_day(service, site_id, views.parse_day(day, "date"), zones.default)
