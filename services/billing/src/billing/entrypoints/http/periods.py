"""The period close, by hand: admins invoice a month now (it also runs by itself for every month
that ended). Running it again issues nothing twice."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from billing.entrypoints.http.deps import Close
from parkgrid.api.billing import PeriodClosed, PeriodCloseIn
from parkgrid.clock import utc_now
from parkgrid.contracts.billing import PERIOD_PATTERN
from parkgrid.http.access import Admin
from parkgrid.http.problems import problems

router = APIRouter(prefix="/v1/periods", tags=["periods"])


@router.post("/{period}/close", response_model=PeriodClosed, responses=problems(403, 422))
async def close_period(
    period: Annotated[str, Path(pattern=PERIOD_PATTERN)], body: PeriodCloseIn, principal: Admin, closing: Close
) -> PeriodClosed:
    closed = await closing.close(period, body.site_ids)
    return PeriodClosed(period=period, issued=closed.issued, count=closed.count, closed_at=utc_now())
