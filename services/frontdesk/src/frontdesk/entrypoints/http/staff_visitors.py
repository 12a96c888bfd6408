"""The desk's expected visitors on Today (spaces; the panel is `staff_today.visitors_panel`):
checking each guest in (the host is told: insights mails them) and out. A step the guest made
already is said as spaces says it (a conflict: a line above the page); two desks pressing Arrived
at once make one arrival (spaces decides it in one conditional write)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from frontdesk.adapters import visit_calls
from frontdesk.entrypoints.http.pages import Clients, see_other
from frontdesk.entrypoints.http.panels import notice_after
from frontdesk.entrypoints.http.staff_today import day_query
from frontdesk.entrypoints.http.visitors import staff_at

router = APIRouter(prefix="/staff")

DESK_STEPS = {"arrive": "visitors.arrived", "leave": "visitors.left"}
"""What the desk does to a visit, and the line that says it was done."""


@router.post("/sites/{site_id}/visits/{visit_id}/{step}")
async def desk_step(request: Request, services: Clients, site_id: str, visit_id: str, step: str) -> Response:
    """Arrived or Left, then back to Today (on the day it showed)."""
    visitor = staff_at(request, site_id)
    back = f"/staff/sites/{site_id}/today?{day_query(request)}notice="
    if step not in DESK_STEPS:
        return see_other(f"/staff/sites/{site_id}/today")
    call = visit_calls.step(services.spaces, visitor.token, visit_id, step)
    notice = await notice_after(call, visitor, visitor.t(DESK_STEPS[step]))
    return see_other(f"{back}{quote(notice)}#visitors-title")
