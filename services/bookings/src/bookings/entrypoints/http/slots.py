"""Bookable sessions of an offering with the seats left, in its site's time zone."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from bookings import views
from bookings.adapters.rooms import Rooms
from bookings.domain.booking import WALK_IN_ROLES
from bookings.entrypoints.http.common import Service
from parkgrid.api.bookings import SlotPage
from parkgrid.http.access import CallerOrService, component
from parkgrid.http.problems import Forbidden, problems
from parkgrid.inputs import DayOrInstant

router = APIRouter(prefix="/v1", tags=["bookings"])

SpaceFacts = Annotated[Rooms, component(Rooms)]


@router.get("/offerings/{offering_id}/slots", response_model=SlotPage, responses=problems(403, 404))
async def slots(
    offering_id: str,
    principal: CallerOrService,
    service: Service,
    rooms: SpaceFacts,
    first: Annotated[DayOrInstant | None, Query(alias="from", description="Local date (or date-time).")] = None,
    last: Annotated[DayOrInstant | None, Query(alias="to", description="Local date (or date-time), inclusive.")] = None,
    begun: Annotated[
        bool,
        Query(description="Staff only: the sessions that have begun (within a day), to record a visit (`attended`)."),
    ] = False,
) -> Any:
    """Bookable sessions with the seats left, in the site's time zone; for an offering that needs a
    room, only those at which a matching room of its site is free (as spaces' events last said).
    The front desk and admins also see the sessions within the offering's notice: they may book
    them for a walk-in, and, with `begun`, the sessions under way or over that they may record as
    visits (a member asking for those is 403)."""
    walk_in = principal.role.value in WALK_IN_ROLES
    if begun and not walk_in:
        raise Forbidden("only the front desk records visits", field="begun")
    return await views.slots(service, offering_id, first, last, rooms, walk_in=walk_in, begun=begun)
