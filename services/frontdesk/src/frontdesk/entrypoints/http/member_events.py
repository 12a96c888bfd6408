"""A member and the community's events: registering one of its people (the signed-in person)
for an event from the home page, and the ticket to show at the door. Cancelling a registration
is `member_changes`."""

from __future__ import annotations

import base64
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from frontdesk.adapters.services import ServiceProblem, Unavailable
from frontdesk.entrypoints.http.pages import Clients, page, see_other
from frontdesk.entrypoints.http.panels import attempt
from frontdesk.entrypoints.http.visitors import member_visitor, own

router = APIRouter()


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
