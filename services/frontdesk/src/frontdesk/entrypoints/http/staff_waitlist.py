"""The office waitlist of a site, and confirming an office offered to the first in line."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from frontdesk.entrypoints.http.pages import Clients, page, see_other
from frontdesk.entrypoints.http.panels import attempt, notice_after
from frontdesk.entrypoints.http.staff_sites import site_context
from frontdesk.entrypoints.http.visitors import staff_at

router = APIRouter(prefix="/staff")


@router.get("/sites/{site_id}/waitlist", response_class=HTMLResponse)
async def office_waitlist(request: Request, services: Clients, site_id: str) -> HTMLResponse:
    visitor = staff_at(request, site_id)
    site = await site_context(services, visitor, site_id)
    waitlist = await attempt(services.spaces.office_waitlist(visitor.token, site_id))
    missing_route = waitlist.problem is not None and (
        waitlist.problem.status == 405 or (waitlist.problem.status == 404 and waitlist.problem.detail == "Not Found")
    )
    return page(request, "waitlist.html", visitor, **site.context(), waitlist=waitlist, not_built=missing_route)


@router.post("/sites/{site_id}/office-waitlist/{entry_id}/accept")
async def accept_office_offer(request: Request, services: Clients, site_id: str, entry_id: str) -> Response:
    """Staff confirm an office offered to the first in line: spaces starts the residency."""
    visitor = staff_at(request, site_id)
    accepted = visitor.t("waitlist.accepted")
    notice = await notice_after(services.spaces.accept_office_offer(visitor.token, entry_id), visitor, accepted)
    return see_other(f"/staff/sites/{site_id}/waitlist?notice={quote(notice)}")
