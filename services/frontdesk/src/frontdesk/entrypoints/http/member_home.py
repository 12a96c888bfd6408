"""A member's home: the service grid they may use, their bookings (a refused one says why),
waitlists (and leaving one), entitlements, the calendar feed link, community events to
register for, and their tickets."""

from __future__ import annotations

import base64
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from frontdesk.adapters.services import ServiceProblem, Unavailable
from frontdesk.entrypoints.http.asked import asked_status, search_asked
from frontdesk.entrypoints.http.pages import Clients, page, see_other
from frontdesk.entrypoints.http.panels import attempt, gather, notice_after
from frontdesk.entrypoints.http.visitors import member_visitor, own

router = APIRouter(prefix="/member")


@router.get("", response_class=HTMLResponse)
async def home(request: Request, services: Clients) -> HTMLResponse:
    visitor = member_visitor(request)
    member_id, person_id = own(visitor)
    asked = search_asked(request, visitor)
    query = asked.value
    now = services.clock()
    member, grid, bookings, waitlist, entitlements, events, registrations, feed = await gather(
        services.community.member(visitor.token, member_id),
        services.catalogue.offerings(visitor.token, member_id=member_id, eligible="true", q=query or None, limit=50),
        services.bookings.bookings(visitor.token, member_id=member_id, limit=20),
        services.bookings.waitlist(visitor.token, member_id),
        services.bookings.entitlements(visitor.token, member_id),
        services.community.events(visitor.token, status="published", **{"from": now.isoformat()}, limit=20),
        services.community.registrations(visitor.token, member_id=member_id),
        services.bookings.calendar_feed(visitor.token, member_id),
    )
    titles = {o.id: o.title for o in grid.data.items} if grid.data else {}
    registered = (
        {r.event_id: r for r in registrations.data.items if r.status != "cancelled"} if registrations.data else {}
    )
    return page(
        request,
        "member_home.html",
        visitor,
        member=member,
        grid=grid,
        bookings=bookings,
        waitlist=waitlist,
        titles=titles,
        entitlements=entitlements,
        events=events,
        registered=registered,
        feed=feed,
        query=query,
        person_id=person_id,
        status_code=asked_status(asked),
        input_error=asked.error,
    )


@router.post("/events/{event_id}/registrations")
async def register(request: Request, services: Clients, event_id: str) -> Response:
    visitor = member_visitor(request)
    member_id, person_id = own(visitor)
    try:
        answer = await services.community.register(visitor.token, event_id, person_id or "", member_id)
        notice = visitor.t("home.registered", status=visitor.t(f"status.{answer.status}"))
    except ServiceProblem as exc:
        notice = exc.detail
    except Unavailable as exc:
        notice = visitor.t("unavailable", service=exc.service)
    return see_other(f"/member?notice={quote(notice)}#events")


@router.get("/registrations/{registration_id}/ticket", response_class=HTMLResponse)
async def ticket(request: Request, services: Clients, registration_id: str) -> HTMLResponse:
    """The QR code to show at the door (community signs the token; the desk scans or types it)."""
    visitor = member_visitor(request)
    found = await attempt(services.community.ticket(visitor.token, registration_id))
    image = None
    if found.data and found.data.qr_svg:
        image = "data:image/svg+xml;base64," + base64.b64encode(found.data.qr_svg.encode()).decode()
    return page(request, "ticket.html", visitor, ticket=found, image=image)


@router.post("/waitlist/{entry_id}/leave")
async def leave_waitlist(request: Request, services: Clients, entry_id: str) -> Response:
    """Give up a place in line (bookings says no, 409, once it is no longer waiting)."""
    visitor = member_visitor(request)
    left = visitor.t("waitlist.left")
    notice = await notice_after(services.bookings.leave_waitlist(visitor.token, entry_id), visitor, left)
    return see_other(f"/member?notice={quote(notice)}#waitlist")
