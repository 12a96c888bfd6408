"""A site's occupancy: every space across a local day, and a report over a range of days."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from parkgrid.api.spaces import OccupancyDay, OccupancyReport
from parkgrid.http.access import Staff
from parkgrid.http.params import PathId
from parkgrid.http.problems import problems
from parkgrid.inputs import Day
from parkgrid.refusals import Refused
from spaces.domain.occupancy import invalid_report_range
from spaces.entrypoints.http.deps import DayPassCounts, Members, Store, site_in_scope
from spaces.views import occupancy_day, site_report

router = APIRouter(prefix="/v1", tags=["occupancy"])


@router.get("/sites/{site_id}/occupancy", response_model=OccupancyDay, responses=problems(403, 404))
async def occupancy(
    site_id: PathId, principal: Staff, store: Store, members: Members, day: Annotated[Day, Query(alias="date")]
) -> dict[str, object]:
    """Another site's day (who resides where, whose reservations) is not for this desk: 404."""
    site, _ = await site_in_scope(store, principal, site_id)
    return await occupancy_day(store, members, site, day)


@router.get("/sites/{site_id}/occupancy-report", response_model=OccupancyReport, responses=problems(403, 404))
async def occupancy_report(
    site_id: PathId,
    principal: Staff,
    store: Store,
    passes: DayPassCounts,
    first: Annotated[Day, Query(alias="from")],
    last: Annotated[Day, Query(alias="to")],
) -> dict[str, object]:
    """Turnover of residencies and utilisation by kind of space over the local days from..to."""
    invalid = invalid_report_range(first, last)
    if invalid is not None:
        raise Refused.invalid(invalid, field="query.to")
    site, _ = await site_in_scope(store, principal, site_id)
    return await site_report(store, passes, site, first, last)
