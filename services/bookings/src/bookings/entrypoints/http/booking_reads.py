"""Booking reads: one booking, and the pages of bookings the caller sees (commands: `bookings`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from bookings import views
from bookings.adapters.bookings import view
from bookings.entrypoints.http.common import MAX_LIMIT, Service, bookings_seen, may_name_member, may_see
from parkgrid.api.bookings import BookingPage, BookingRead
from parkgrid.contracts.bookings import BookingStatus
from parkgrid.http.access import CallerOrService, Scoped
from parkgrid.http.problems import problems
from parkgrid.inputs import DayOrInstant

FROM = "Sessions starting at or after this instant (a date: its midnight, UTC)."
TO = "Sessions starting before this instant (a date: its midnight, UTC)."
NEWEST_FIRST = (
    "Latest session first (a history: with `to`, the most recent past first); its cursors are not "
    "those of the soonest-first list (422 `cursor`)."
)

router = APIRouter(prefix="/v1", tags=["bookings"])


@router.get("/bookings/{booking_id}", response_model=BookingRead, responses=problems(403, 404))
async def get_booking(booking_id: str, response: Response, principal: CallerOrService, service: Service) -> Any:
    booking, version = await service.get(booking_id)
    await may_see(service, principal, booking)
    response.headers["ETag"] = f'"{version}"'
    return view(booking, version)


@router.get("/bookings", response_model=BookingPage, responses=problems(403, 404))
async def list_bookings(
    scope: Scoped,
    principal: CallerOrService,
    service: Service,
    member_id: str | None = None,
    status: BookingStatus | None = None,
    first: Annotated[DayOrInstant | None, Query(alias="from", description=FROM)] = None,
    last: Annotated[DayOrInstant | None, Query(alias="to", description=TO)] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    newest_first: Annotated[bool, Query(description=NEWEST_FIRST)] = False,
) -> Any:
    """Bookings the caller sees (members: their organisation's; front desk: those at their sites),
    of one member organisation if `member_id` is given (front desk: one of their sites' members);
    soonest session first, or latest first for a history (`newest_first`)."""
    await may_name_member(service, principal, member_id)
    return await views.booking_page(
        service,
        member_id=member_id,
        statuses=[status.value] if status else None,
        first=views.moment(first),
        last=views.moment(last),
        limit=limit,
        cursor=cursor,
        newest_first=newest_first,
        within=await bookings_seen(service, scope),
    )
