"""A member changes what they booked: cancel a booking (a confirmation page first, warning when
the offering's cancellation window has begun: credits are then not given back), reschedule it
to another session (bookings books the new one first, then releases the old), and cancel an
event registration (a confirmation page first). Every form posts, then redirects (303)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from frontdesk.adapters import member_calls
from frontdesk.adapters.services import Services
from frontdesk.domain.forms import FormErrors
from frontdesk.domain.member_days import cancelling_is_late, slot_days
from frontdesk.entrypoints.http.asked import asked_status, day_asked
from frontdesk.entrypoints.http.member_day import member_today
from frontdesk.entrypoints.http.pages import Clients, form_of, page, see_other
from frontdesk.entrypoints.http.panels import attempt, notice_after, submitted
from frontdesk.entrypoints.http.visitors import Visitor, member_visitor, own

router = APIRouter()

SLOT_DAYS = 7
RESCHEDULE_FIELDS = ["starts_at"]


@router.get("/bookings/{booking_id}/cancel", response_class=HTMLResponse)
async def confirm_cancel(request: Request, services: Clients, booking_id: str) -> HTMLResponse:
    """Are you sure? And, inside the offering's cancellation window, that the credits stay used."""
    visitor = member_visitor(request)
    booking = await attempt(services.bookings.booking(visitor.token, booking_id))
    late = False
    if booking.data is not None:
        offering = await attempt(services.catalogue.offering(visitor.token, booking.data.offering_id))
        if offering.data is not None:
            window = offering.data.rules.cancellation_window_minutes
            late = cancelling_is_late(booking.data.session.starts_at, window, services.clock())
    return page(request, "member_cancel.html", visitor, booking_id=booking_id, booking=booking, late=late)


@router.post("/bookings/{booking_id}/cancel")
async def cancel(request: Request, services: Clients, booking_id: str) -> Response:
    visitor = member_visitor(request)
    done = visitor.t("portal.cancelled")
    notice = await notice_after(
        member_calls.cancel_booking(services.bookings, visitor.token, booking_id), visitor, done
    )
    return see_other(f"/member/bookings/{booking_id}?notice={quote(notice)}")


async def reschedule_page(
    request: Request,
    services: Services,
    visitor: Visitor,
    booking_id: str,
    *,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    member_id, _ = own(visitor)
    member = await attempt(services.community.member(visitor.token, member_id))
    asked = day_asked(request, visitor, "from", await member_today(services, visitor, member))
    start = asked.value
    booking = await attempt(services.bookings.booking(visitor.token, booking_id))
    slots = None
    days = []
    if booking.data is not None:
        slots = await attempt(
            services.bookings.slots(visitor.token, booking.data.offering_id, start, start + timedelta(days=SLOT_DAYS))
        )
        if slots.data is not None:
            days = slot_days(slots.data.items, slots.data.time_zone)
    return page(
        request,
        "member_reschedule.html",
        visitor,
        status_code=max(status_code, asked_status(asked)),
        input_error=asked.error,
        errors=errors,
        booking_id=booking_id,
        booking=booking,
        slots=slots,
        days=days,
        key=str(uuid.uuid4()),
        start=start,
        next_start=start + timedelta(days=SLOT_DAYS),
    )


@router.get("/bookings/{booking_id}/reschedule", response_class=HTMLResponse)
async def reschedule_form(request: Request, services: Clients, booking_id: str) -> HTMLResponse:
    return await reschedule_page(request, services, member_visitor(request), booking_id)


@router.post("/bookings/{booking_id}/reschedule")
async def reschedule(request: Request, services: Clients, booking_id: str) -> Response:
    visitor = member_visitor(request)
    form = await form_of(request)
    starts_at = form.get("starts_at", "")
    if not starts_at:
        errors = FormErrors(fields={"starts_at": visitor.t("portal.choose_slot")})
        return await reschedule_page(request, services, visitor, booking_id, errors=errors, status_code=422)
    call = member_calls.reschedule(services.bookings, visitor.token, booking_id, starts_at, form.get("idempotency_key"))
    outcome = await submitted(call, visitor, RESCHEDULE_FIELDS)
    if outcome.answer is None:
        return await reschedule_page(
            request, services, visitor, booking_id, errors=outcome.errors, status_code=outcome.status
        )
    notice = visitor.t("portal.rescheduled")
    return see_other(f"/member/bookings/{outcome.answer.booking_id}?notice={quote(notice)}")


@router.get("/registrations/{registration_id}/cancel", response_class=HTMLResponse)
async def confirm_cancel_registration(request: Request, services: Clients, registration_id: str) -> HTMLResponse:
    visitor = member_visitor(request)
    member_id, _ = own(visitor)
    found = await attempt(services.community.registrations(visitor.token, member_id=member_id))
    registration = None
    if found.data is not None:
        registration = next((r for r in found.data.items if r.registration_id == registration_id), None)
    zone = services.default_time_zone
    return page(
        request,
        "member_cancel_registration.html",
        visitor,
        registration_id=registration_id,
        found=found,
        registration=registration,
        zone=zone,
    )


@router.post("/registrations/{registration_id}/cancel")
async def cancel_registration(request: Request, services: Clients, registration_id: str) -> Response:
    visitor = member_visitor(request)
    call = member_calls.cancel_registration(services.community, visitor.token, registration_id)
    notice = await notice_after(call, visitor, visitor.t("portal.registration_cancelled"))
    return see_other(f"/member?notice={quote(notice)}#registrations")
