"""A member organisation at the front desk: find it, book on its behalf, see its waitlist places
(and take it off one: `staff_waitlist`), allocate or end a residency. A service's refusal is
shown next to the form field it names."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from frontdesk.adapters.services import Services
from frontdesk.domain.forms import FormErrors
from frontdesk.domain.inputs import whole_number
from frontdesk.entrypoints.http.asked import asked_status, search_asked
from frontdesk.entrypoints.http.pages import Clients, form_of, page, see_other
from frontdesk.entrypoints.http.panels import Panel, attempt, notice_after, submitted
from frontdesk.entrypoints.http.staff_sites import site_context
from frontdesk.entrypoints.http.visitors import Visitor, staff_at
from parkgrid.api.bookings import SlotPage
from parkgrid.api.community import MemberPage
from parkgrid.contracts.common import SpaceKind

router = APIRouter(prefix="/staff")

BOOK_FIELDS = ["offering_id", "person_id", "starts_at", "party_size", "member_id"]
RESIDENCY_FIELDS = ["space_id", "starts_on", "ends_on", "member_id", "site_id"]
OFFICE_KINDS = (SpaceKind.PRIVATE_OFFICE, SpaceKind.DEDICATED_DESK)


@router.get("/sites/{site_id}/members", response_class=HTMLResponse)
async def find_member(request: Request, services: Clients, site_id: str) -> HTMLResponse:
    visitor = staff_at(request, site_id)
    asked = search_asked(request, visitor)
    found: Panel[MemberPage] = Panel()
    if asked.value:
        found = await attempt(services.community.members(visitor.token, q=asked.value, limit=25))
    site = await site_context(services, visitor, site_id)
    return page(
        request,
        "members.html",
        visitor,
        status_code=asked_status(asked),
        **site.context(),
        query=asked.value,
        found=found,
        input_error=asked.error,
    )


async def member_page(
    request: Request,
    services: Services,
    site_id: str,
    member_id: str,
    visitor: Visitor,
    *,
    errors: FormErrors | None = None,
    residency_errors: FormErrors | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    site = await site_context(services, visitor, site_id)
    form = form or {}
    offering_id = form.get("offering_id") or request.query_params.get("offering_id") or ""
    today_local = site.today
    member, offerings, bookings, waitlist, occupancy = await asyncio.gather(
        attempt(services.community.member(visitor.token, member_id)),
        attempt(services.catalogue.offerings(visitor.token, member_id=member_id, site=site_id, limit=100)),
        attempt(services.bookings.bookings(visitor.token, member_id=member_id, limit=20)),
        attempt(services.bookings.waitlist(visitor.token, member_id)),
        attempt(services.spaces.occupancy(visitor.token, site_id, today_local)),
    )
    slots: Panel[SlotPage] = Panel()
    if offering_id:
        slots = await attempt(
            services.bookings.slots(visitor.token, offering_id, today_local, today_local + timedelta(days=7))
        )
    titles = {o.id: o.title for o in offerings.data.items} if offerings.data else {}
    waiting = waitlist.map(lambda found: [w for w in found.items if w.status == "waiting"])
    rooms = occupancy.data.spaces if occupancy.data else []
    offices = [s for s in rooms if s.kind in OFFICE_KINDS]
    residencies = [s for s in rooms if s.residency and s.residency.member_id == member_id]
    return page(
        request,
        "staff_member.html",
        visitor,
        status_code=status_code,
        **site.context(),
        member_id=member_id,
        member=member,
        offerings=offerings,
        bookings=bookings,
        waitlist=waiting,
        titles=titles,
        occupancy=occupancy,
        offices=offices,
        residencies=residencies,
        offering_id=offering_id,
        slots=slots,
        today=today_local,
        errors=errors,
        residency_errors=residency_errors or FormErrors(),
        form=form,
    )


@router.get("/sites/{site_id}/members/{member_id}", response_class=HTMLResponse)
async def member_detail(request: Request, services: Clients, site_id: str, member_id: str) -> HTMLResponse:
    return await member_page(request, services, site_id, member_id, staff_at(request, site_id))


@router.post("/sites/{site_id}/members/{member_id}/bookings")
async def book_on_behalf(request: Request, services: Clients, site_id: str, member_id: str) -> Response:
    visitor = staff_at(request, site_id)
    form = await form_of(request)
    body: dict[str, Any] = {
        "offering_id": form.get("offering_id", ""),
        "member_id": member_id,
        "starts_at": form.get("starts_at", ""),
        "party_size": whole_number(form.get("party_size"), default=1),
        "join_waitlist": form.get("join_waitlist") == "true",
    }
    if form.get("person_id"):
        body["person_id"] = form["person_id"]
    done = await submitted(services.bookings.book(visitor.token, body), visitor, BOOK_FIELDS)
    booking = done.answer
    if booking is None:
        return await member_page(
            request, services, site_id, member_id, visitor, errors=done.errors, form=form, status_code=done.status
        )
    status = visitor.t(f"status.{booking.status}")
    notice = f"{visitor.t('booking.title')} {booking.booking_id}: {status}"
    return see_other(f"/staff/sites/{site_id}/members/{member_id}?notice={quote(notice)}")


@router.post("/sites/{site_id}/members/{member_id}/residencies")
async def allocate_residency(request: Request, services: Clients, site_id: str, member_id: str) -> Response:
    visitor = staff_at(request, site_id)
    form = await form_of(request)
    body: dict[str, Any] = {
        "member_id": member_id,
        "site_id": site_id,
        "space_id": form.get("space_id", ""),
        "starts_on": form.get("starts_on", ""),
    }
    if form.get("ends_on"):
        body["ends_on"] = form["ends_on"]
    done = await submitted(services.spaces.start_residency(visitor.token, body), visitor, RESIDENCY_FIELDS)
    if done.answer is None:
        return await member_page(
            request,
            services,
            site_id,
            member_id,
            visitor,
            residency_errors=done.errors,
            form=form,
            status_code=done.status,
        )
    notice = visitor.t("residency.allocated", id=done.answer.residency_id)
    return see_other(f"/staff/sites/{site_id}/members/{member_id}?notice={quote(notice)}")


@router.post("/sites/{site_id}/residencies/{residency_id}/end")
async def end_residency(request: Request, services: Clients, site_id: str, residency_id: str) -> Response:
    visitor = staff_at(request, site_id)
    form = await form_of(request)
    member_id = form.get("member_id", "")
    ended = visitor.t("residency.ended", id=residency_id)
    notice = await notice_after(services.spaces.end_residency(visitor.token, residency_id), visitor, ended)
    back = f"/staff/sites/{site_id}/members/{quote(member_id)}" if member_id else f"/staff/sites/{site_id}/today"
    return see_other(f"{back}?notice={quote(notice)}")
