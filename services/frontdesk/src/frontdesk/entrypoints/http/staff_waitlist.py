"""A site's waitlists: the office waitlist (spaces) and confirming an office offered to the first
in line; the sessions' waitlists (bookings) and taking someone off one."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from frontdesk.entrypoints.http.pages import Clients, form_of, page, see_other
from frontdesk.entrypoints.http.panels import gather, notice_after
from frontdesk.entrypoints.http.staff_sites import site_context
from frontdesk.entrypoints.http.visitors import staff_at

router = APIRouter(prefix="/staff")


@router.get("/sites/{site_id}/waitlist", response_class=HTMLResponse)
async def office_waitlist(request: Request, services: Clients, site_id: str) -> HTMLResponse:
    visitor = staff_at(request, site_id)
    site = await site_context(services, visitor, site_id)
    waitlist, sessions, offerings = await gather(
        services.spaces.office_waitlist(visitor.token, site_id),
        services.bookings.waitlist_seen(visitor.token),
        services.catalogue.offerings(visitor.token, site=site_id, limit=100),
    )
    missing_route = waitlist.problem is not None and (
        waitlist.problem.status == 405 or (waitlist.problem.status == 404 and waitlist.problem.detail == "Not Found")
    )
    titles = {o.id: o.title for o in offerings.data.items} if offerings.data else {}
    waiting = sessions.map(lambda found: [w for w in found.items if w.status == "waiting"])
    return page(
        request,
        "waitlist.html",
        visitor,
        **site.context(),
        waitlist=waitlist,
        not_built=missing_route,
        sessions=waiting,
        titles=titles,
    )


@router.post("/sites/{site_id}/office-waitlist/{entry_id}/accept")
async def accept_office_offer(request: Request, services: Clients, site_id: str, entry_id: str) -> Response:
    """Staff confirm an office offered to the first in line: spaces starts the residency."""
    visitor = staff_at(request, site_id)
    accepted = visitor.t("waitlist.accepted")
    notice = await notice_after(services.spaces.accept_office_offer(visitor.token, entry_id), visitor, accepted)
    return see_other(f"/staff/sites/{site_id}/waitlist?notice={quote(notice)}")


@router.post("/sites/{site_id}/waitlist/{entry_id}/leave")
async def leave_session_waitlist(request: Request, services: Clients, site_id: str, entry_id: str) -> Response:
    """Staff take a member off a session's waitlist (bookings checks the place is at their sites),
    from the site's Waitlists or the member's page (`back`: a page of this site's staff)."""
    visitor = staff_at(request, site_id)
    form = await form_of(request)
    left = visitor.t("waitlist.left_staff", member=form.get("member") or entry_id)
    notice = await notice_after(services.bookings.leave_waitlist(visitor.token, entry_id), visitor, left)
    back = form.get("back", "")
    if back.startswith(f"/staff/sites/{site_id}/") and "?" not in back and "#" not in back:
        return see_other(f"{back}?notice={quote(notice)}#waitlist")
    return see_other(f"/staff/sites/{site_id}/waitlist?notice={quote(notice)}#sessions")
