"""A member books: an offering's slots by local day (full ones offer the waitlist directly),
booking with the form's Idempotency-Key (pending turns into confirmed on the page by itself,
htmx polling the status line). Checking in (from the booking's page or a room's door) is
`member_room_check_in`; cancelling and rescheduling are `member_changes`."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from frontdesk.adapters import commands
from frontdesk.adapters.services import ServiceProblem, Services, Unavailable
from frontdesk.domain.eligibility import Standing, ineligibility, open_to
from frontdesk.domain.forms import FormErrors
from frontdesk.domain.inputs import whole_number
from frontdesk.domain.limits import limit_refusal
from frontdesk.domain.member_days import slot_days
from frontdesk.domain.today import check_in_open
from frontdesk.entrypoints.http.asked import asked_status, day_asked
from frontdesk.entrypoints.http.member_day import member_today
from frontdesk.entrypoints.http.pages import Clients, form_of, page, see_other
from frontdesk.entrypoints.http.panels import Panel, attempt, problem_errors
from frontdesk.entrypoints.http.visitors import Visitor, member_visitor, own
from parkgrid.api.bookings import BookingRead
from parkgrid.api.catalogue import OfferingRead
from parkgrid.api.community import MemberRead
from parkgrid.contracts.community import MemberStatus

router = APIRouter(prefix="/member")

BOOK_FIELDS = ["starts_at", "party_size", "offering_id", "member_id", "person_id"]
SLOT_DAYS = 7


async def offering_page(
    request: Request,
    services: Services,
    visitor: Visitor,
    offering_id: str,
    *,
    errors: FormErrors | None = None,
    form: dict[str, str] | None = None,
    full: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    member_id, _ = own(visitor)
    member = await attempt(services.community.member(visitor.token, member_id))
    asked = day_asked(request, visitor, "from", await member_today(services, visitor, member))
    start = asked.value
    offering, slots = await asyncio.gather(
        attempt(services.catalogue.offering(visitor.token, offering_id)),
        attempt(services.bookings.slots(visitor.token, offering_id, start, start + timedelta(days=SLOT_DAYS))),
    )
    reason = None
    if offering.data is not None and member.data is not None:
        reason = ineligibility(offering.data.eligibility, standing_of(member.data), visitor.t)
    elif offering.data is not None:
        reason = await listed_for_member(services, visitor, offering.data)
    free = [s for s in slots.data.items if s.remaining > 0 or full] if slots.data else []
    zone = slots.data.time_zone if slots.data else (offering.data.time_zone if offering.data else None)
    days = slot_days(slots.data.items, zone or services.default_time_zone) if slots.data else []
    return page(
        request,
        "offering.html",
        visitor,
        status_code=max(status_code, asked_status(asked)),
        input_error=asked.error,
        offering_id=offering_id,
        offering=offering,
        time_zone=offering.data.time_zone if offering.data else services.default_time_zone,
        slots=slots,
        free=free,
        days=days,
        key=str(uuid.uuid4()),
        ineligible=reason,
        errors=errors,
        form=form,
        full=full,
        start=start,
        next_start=start + timedelta(days=SLOT_DAYS),
    )


def standing_of(member: MemberRead) -> Standing:
    return Standing(kind=member.kind, stage=member.programme.stage, left=member.status == MemberStatus.LEFT)


async def listed_for_member(services: Services, visitor: Visitor, offering: OfferingRead) -> str | None:
    """Without the member's record (community down), catalogue's own eligible list still tells."""
    member_id, _ = own(visitor)
    site = offering.site_id or "network"
    listed = await attempt(services.catalogue.offerings(visitor.token, member_id=member_id, site=site, limit=100))
    if listed.data is None or any(o.id == offering.id for o in listed.data.items):
        return None
    return visitor.t("ineligible.rules", who=open_to(offering.eligibility, visitor.t))


@router.get("/offerings/{offering_id}", response_class=HTMLResponse)
async def offering_detail(request: Request, services: Clients, offering_id: str) -> HTMLResponse:
    return await offering_page(request, services, member_visitor(request), offering_id)


@router.post("/bookings")
async def book(request: Request, services: Clients) -> Response:
    visitor = member_visitor(request)
    member_id, person_id = own(visitor)
    form = await form_of(request)
    offering_id = form.get("offering_id", "")
    # a full slot's own button ("join the waitlist") names its session
    waiting_at = form.get("waitlist_at", "")
    body: dict[str, Any] = {
        "offering_id": offering_id,
        "member_id": member_id,
        "starts_at": waiting_at or form.get("starts_at", ""),
        "party_size": whole_number(form.get("party_size"), default=1),
        "join_waitlist": bool(waiting_at) or form.get("join_waitlist") == "true",
    }
    if person_id:
        body["person_id"] = person_id
    try:
        answer = await commands.book(services.bookings, visitor.token, body, form.get("idempotency_key"))
    except ServiceProblem as exc:
        full = exc.status == 409
        reached = limit_refusal(exc.problem, visitor.t)
        if reached:
            full = False  # the session is not full: the member's limit is reached, waiting would not help
            errors = FormErrors(fields={"starts_at": reached})
        elif full:
            full_text = visitor.t("book.full")
            errors = FormErrors(fields={"starts_at": f"{full_text} ({exc.detail})"})
        else:
            errors = problem_errors(exc, BOOK_FIELDS)
        if exc.status == 403:
            errors.general = [visitor.t("book.not_eligible", reason=exc.detail)]
        return await offering_page(
            request, services, visitor, offering_id, errors=errors, form=form, full=full, status_code=exc.status
        )
    except Unavailable as exc:
        errors = FormErrors(general=[visitor.t("unavailable", service=exc.service)])
        return await offering_page(request, services, visitor, offering_id, errors=errors, form=form, status_code=503)
    if isinstance(answer, BookingRead):
        return see_other(f"/member/bookings/{answer.booking_id}")
    notice = visitor.t("status.waitlisted")
    return see_other(f"/member?notice={quote(notice)}#waitlist")


async def booking_panel(services: Services, visitor: Visitor, booking_id: str) -> Panel[BookingRead]:
    return await attempt(services.bookings.booking(visitor.token, booking_id))


async def booking_page(request: Request, services: Services, booking_id: str, template: str) -> HTMLResponse:
    """The booking, and its "Check in" form while the member may check itself in (the window
    bookings keeps: an hour before the start until the end, unless released as a no-show)."""
    visitor = member_visitor(request)
    booking = await booking_panel(services, visitor, booking_id)
    b = booking.data
    may_check_in = b is not None and check_in_open(b.status, b.session.starts_at, b.session.ends_at, services.clock())
    key = str(uuid.uuid4())
    return page(request, template, visitor, booking_id=booking_id, booking=booking, may_check_in=may_check_in, key=key)


@router.get("/bookings/{booking_id}", response_class=HTMLResponse)
async def booking_detail(request: Request, services: Clients, booking_id: str) -> HTMLResponse:
    return await booking_page(request, services, booking_id, "booking.html")


@router.get("/bookings/{booking_id}/status", response_class=HTMLResponse)
async def booking_status(request: Request, services: Clients, booking_id: str) -> HTMLResponse:
    """The status line alone: the booking page polls it while the booking is pending."""
    return await booking_page(request, services, booking_id, "partials/booking_status.html")
