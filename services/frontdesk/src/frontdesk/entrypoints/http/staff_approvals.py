"""A site's approvals (issue 25 part 2): the bookings awaiting its staff, the nearest deadline
first, each approved with one click or declined with a reason after a confirmation page
(`staff_approval_decline`).

Bookings decides, in one guarded write per booking: two desks deciding the same booking at once
(or a desk and the deadline's sweep) end with one outcome, and the other desk is told "already
decided: …" with bookings' words for the outcome. Each form carries an Idempotency-Key, so a
double click is one decision. Post/Redirect/Get: a decision returns to the queue with a line
saying what was done; a reason refused returns the decline form with the message next to it.

The nav's count and Today's line are fragments (`/approvals/count`, `/approvals/waiting`) that the
pages fetch on load, so no other page pays for the queue when bookings is slow or down."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from frontdesk.adapters import approval_calls
from frontdesk.adapters.services import ServiceProblem, Services, Unavailable
from frontdesk.domain.approvals import queue_rows, waiting_words
from frontdesk.domain.messages import localized
from frontdesk.entrypoints.http.pages import Clients, form_of, page
from frontdesk.entrypoints.http.panels import Panel, attempt
from frontdesk.entrypoints.http.staff_forms import done, new_key
from frontdesk.entrypoints.http.staff_sites import site_context
from frontdesk.entrypoints.http.visitors import Visitor, staff_at
from parkgrid.api.approvals import ApprovalPage

router = APIRouter(prefix="/staff")

COUNTED = 100
"""Bookings awaiting a decision that the nav's count and Today's line count (one page; more is "100+")."""


def queue_url(site_id: str) -> str:
    return f"/staff/sites/{site_id}/approvals"


async def names_of(services: Services, visitor: Visitor, page_: ApprovalPage) -> tuple[dict[str, str], dict[str, str]]:
    """The organisations' and people's names (community, one call per organisation); an organisation
    community does not show this desk (based at another site) named from the web app's projection."""
    member_ids = sorted({item.member_id for item in page_.items})
    found = await asyncio.gather(*(attempt(services.community.member(visitor.token, m)) for m in member_ids))
    organisations = {m.data.member_id: m.data.name for m in found if m.data}
    people = {p.person_id: p.name for m in found if m.data for p in m.data.people}
    for member_id in member_ids:
        if member_id not in organisations and services.members is not None:
            known = await services.members.get(member_id)
            if known is not None:
                organisations[member_id] = known.name
    return organisations, people


@router.get("/sites/{site_id}/approvals", response_class=HTMLResponse)
async def approvals(request: Request, services: Clients, site_id: str) -> HTMLResponse:
    visitor = staff_at(request, site_id)
    site = await site_context(services, visitor, site_id)
    cursor = request.query_params.get("cursor") or None
    queue = await attempt(approval_calls.awaiting(services.bookings, visitor.token, site_id, cursor))
    rows = []
    if queue.data is not None:
        organisations, people = await names_of(services, visitor, queue.data)
        rows = queue_rows(queue.data.items, organisations, people, site.time_zone, visitor.t)
    return page(
        request,
        "staff_approvals.html",
        visitor,
        **site.context(),
        queue=queue,
        rows=rows,
        next_cursor=queue.data.next_cursor if queue.data else None,
        new_key=new_key,
    )


async def counted(services: Services, visitor: Visitor, site_id: str) -> Panel[ApprovalPage]:
    return await attempt(approval_calls.awaiting(services.bookings, visitor.token, site_id, limit=COUNTED))


@router.get("/sites/{site_id}/approvals/count", response_class=HTMLResponse)
async def approvals_count(request: Request, services: Clients, site_id: str) -> HTMLResponse:
    """The nav link's count (empty when none wait, or when bookings cannot tell)."""
    visitor = staff_at(request, site_id)
    queue = await counted(services, visitor, site_id)
    return page(request, "partials/approvals_count.html", visitor, site_id=site_id, queue=queue)


@router.get("/sites/{site_id}/approvals/waiting", response_class=HTMLResponse)
async def approvals_waiting(request: Request, services: Clients, site_id: str) -> HTMLResponse:
    """Today's line "N bookings await approval", linking to the queue (nothing when none wait)."""
    visitor = staff_at(request, site_id)
    queue = await counted(services, visitor, site_id)
    words = ""
    if queue.data is not None and queue.data.items:
        words = waiting_words(len(queue.data.items), queue.data.next_cursor is not None, visitor.t)
    return page(request, "partials/approvals_waiting.html", visitor, site_id=site_id, words=words)


def refused_decision(problem: ServiceProblem, visitor: Visitor) -> str:
    """A decision bookings refused, said above the queue: decided meanwhile (409, bookings' outcome),
    no longer awaiting approval (404), not this desk's (403), or bookings' own words."""
    if problem.status == 409:
        return visitor.t("approvals.already_decided", detail=problem.detail)
    if problem.status == 404:
        return visitor.t("approvals.gone")
    if problem.status == 403:
        return visitor.t("desk.forbidden", detail=problem.detail)
    return problem.detail


@router.post("/sites/{site_id}/approvals/{booking_id}/approve")
async def approve(request: Request, services: Clients, site_id: str, booking_id: str) -> Response:
    visitor = staff_at(request, site_id)
    form = await form_of(request)
    try:
        booking = await approval_calls.approve(
            services.bookings, visitor.token, booking_id, form.get("idempotency_key")
        )
    except ServiceProblem as exc:
        return done(queue_url(site_id), refused_decision(exc, visitor))
    except Unavailable as exc:
        return done(queue_url(site_id), visitor.t("unavailable", service=exc.service))
    offering = localized(booking.offering_title, visitor.language)
    member = form.get("member") or visitor.t("approvals.unknown_member")
    return done(queue_url(site_id), visitor.t("approvals.approved", offering=offering, member=member))
