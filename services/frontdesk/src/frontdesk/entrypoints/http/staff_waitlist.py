"""A site's waitlists: the office waitlist (spaces) and confirming an office offered to the first
in line; the sessions' waitlists (bookings) and taking someone off one."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from frontdesk.adapters import desk_calls
from frontdesk.entrypoints.http.pages import Clients, form_of, page, see_other
from frontdesk.entrypoints.http.panels import gather, notice_after
from frontdesk.entrypoints.http.staff_forms import back_to_form, done, form_refusal, new_key, run
from frontdesk.entrypoints.http.staff_sites import site_context
from frontdesk.entrypoints.http.visitors import staff_at

router = APIRouter(prefix="/staff")


@router.get("/sites/{site_id}/waitlist", response_class=HTMLResponse)
async def office_waitlist(request: Request, services: Clients, site_id: str) -> HTMLResponse:
    visitor = staff_at(request, site_id)
    site = await site_context(services, visitor, site_id)
    waitlist, sessions, offerings, occupancy = await gather(
        services.spaces.office_waitlist(visitor.token, site_id),
        services.bookings.waitlist_seen(visitor.token),
        services.catalogue.offerings(visitor.token, site=site_id, limit=100),
        services.spaces.occupancy(visitor.token, site_id, site.today),
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
        offices=[s for s in (occupancy.data.spaces if occupancy.data else []) if s.kind == "private_office"],
        today=site.today,
        errors=form_refusal(request),
        new_key=new_key,
    )


@router.post("/sites/{site_id}/office-waitlist/{entry_id}/accept")
async def accept_office_offer(request: Request, services: Clients, site_id: str, entry_id: str) -> Response:
    """Staff confirm an office offered to the first in line: spaces starts the residency."""
    visitor = staff_at(request, site_id)
    form = await form_of(request)
    outcome = await run(
        desk_calls.accept_office(services.spaces, visitor.token, entry_id, form.get("idempotency_key")), visitor
    )
    return done(
        f"/staff/sites/{site_id}/waitlist",
        outcome.message if outcome.answer is None else visitor.t("waitlist.accepted"),
    )


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


@router.post("/sites/{site_id}/office-waitlist/offers")
async def offer_office(request: Request, services: Clients, site_id: str) -> Response:
    """A freed office offered to the first in line of its size (spaces picks who)."""
    visitor = staff_at(request, site_id)
    form = await form_of(request)
    body = {k: form[k] for k in ("space_id", "starts_on", "ends_on") if form.get(k)}
    outcome = await run(
        desk_calls.offer_office(services.spaces, visitor.token, site_id, body, form.get("idempotency_key")),
        visitor,
        ["space_id", "starts_on", "ends_on"],
    )
    back = f"/staff/sites/{site_id}/waitlist"
    if outcome.answer is None:
        return back_to_form(back, outcome, {"form": "offer"}, anchor="#offer-title")
    offered = outcome.answer
    return done(back, visitor.t("desk.offered", member=offered.member_id))


@router.post("/sites/{site_id}/office-waitlist/{entry_id}/decline")
async def decline_office_offer(request: Request, services: Clients, site_id: str, entry_id: str) -> Response:
    """The member said no: spaces passes the office to the next in line."""
    visitor = staff_at(request, site_id)
    form = await form_of(request)
    outcome = await run(
        desk_calls.decline_office(services.spaces, visitor.token, entry_id, form.get("idempotency_key")), visitor
    )
    message = outcome.message if outcome.answer is None else visitor.t("desk.declined")
    return done(f"/staff/sites/{site_id}/waitlist", message)
