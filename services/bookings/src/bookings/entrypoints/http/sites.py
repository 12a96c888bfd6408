"""A site's day, for its front desk: every booking by local hour."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from bookings import views
from bookings.entrypoints.http.common import DefaultZone, Service
from parkgrid.api.bookings import SiteDay
from parkgrid.http.access import Staff, at_site
from parkgrid.http.problems import problems
from parkgrid.inputs import Day

router = APIRouter(prefix="/v1", tags=["bookings"])


@router.get("/sites/{site_id}/day", response_model=SiteDay, responses=problems(403))
async def site_day(
    site_id: str,
    principal: Staff,
    service: Service,
    zones: DefaultZone,
    day: Annotated[Day | None, Query(alias="date", description="The site's local day (today by default).")] = None,
) -> Any:
    """Every booking at the site on a local day, by hour, with the member and the state.

    A front desk names the site: another site's is 403 (the kit's `at_site`)."""
    at_site(principal, site_id, detail=f"you are not front desk at {site_id}")
    return await views.site_day(service, site_id, day, zones.default)
