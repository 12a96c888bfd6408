"""A booking at the desk: cancel it (a confirmation page first; staff may waive the late flag,
bookings' `override`) or move it to another session of the same offering (bookings'
`POST /v1/bookings/{id}/reschedule`: the new session is booked, the old released once it is)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from frontdesk.adapters import commands, desk_calls
from frontdesk.domain.desk import day_label, slots_by_day
from frontdesk.domain.inputs import whole_number
from frontdesk.entrypoints.http.pages import Clients, form_of, page
from frontdesk.entrypoints.http.panels import Panel, attempt
from frontdesk.entrypoints.http.staff_forms import (
    back_to_form,
    done,
    form_refusal,
    member_url,
    new_key,
    run,
    staff_back,
)
from frontdesk.entrypoints.http.staff_sites import site_context
from frontdesk.entrypoints.http.visitors import staff_at
from parkgrid.api.bookings import SlotPage

router = APIRouter(prefix="/staff")


BOOK_FIELDS = ["offering_id", "person_id", "starts_at", "party_size", "member_id"]


@router.get("/sites/{site_id}/bookings/{booking_id}/cancel", response_class=HTMLResponse)
async def confirm_cancel(request: Request, services: Clients, site_id: str, booking_id: str) -> HTMLResponse:
    visitor = staff_at(request, site_id)
    site = await site_context(services, visitor, site_id)
    booking = await attempt(services.bookings.booking(visitor.token, booking_id))
    return page(
        request,
        "staff_booking_cancel.html",
        visitor,
        **site.context(),
        booking=booking,
        booking_id=booking_id,
        errors=form_refusal(request),
        key=new_key(),
        back=staff_back(dict(request.query_params), site_id, ""),
    )


@router.post("/sites/{site_id}/bookings/{booking_id}/cancel")
async def cancel(request: Request, services: Clients, site_id: str, booking_id: str) -> Response:
    visitor = staff_at(request, site_id)
    form = await form_of(request)
    override = form.get("override") == "true"
    call = desk_calls.cancel_booking(
        services.bookings, visitor.token, booking_id, override, form.get("idempotency_key")
    )
    outcome = await run(call, visitor, ["override"])
    if outcome.answer is None:
        return back_to_form(f"/staff/sites/{site_id}/bookings/{booking_id}/cancel", outcome)
    cancelled = outcome.answer
    late = visitor.t("desk.cancelled_late") if cancelled.late else ""
    back = staff_back(form, site_id, member_url(site_id, cancelled.member_id))
    cancelled_text = visitor.t("desk.cancelled")
    return done(back, f"{cancelled_text} {late}".strip())


@router.get("/sites/{site_id}/bookings/{booking_id}/reschedule", response_class=HTMLResponse)
async def choose_new_slot(request: Request, services: Clients, site_id: str, booking_id: str) -> HTMLResponse:
    """The same offering's sessions for two weeks from the site's today, day by day."""
    visitor = staff_at(request, site_id)
    site = await site_context(services, visitor, site_id)
    booking = await attempt(services.bookings.booking(visitor.token, booking_id))
    slots: Panel[SlotPage] = Panel()
    if booking.data is not None:
        slots = await attempt(
            services.bookings.slots(
                visitor.token, booking.data.offering_id, site.today, site.today + timedelta(days=14)
            )
        )
    days = slots.map(lambda found: slots_by_day(found.items, found.time_zone))
    return page(
        request,
        "staff_booking_reschedule.html",
        visitor,
        **site.context(),
        booking=booking,
        booking_id=booking_id,
        days=days,
        day_label=lambda d: day_label(d, visitor.t),
        errors=form_refusal(request),
        key=new_key(),
    )


@router.post("/sites/{site_id}/bookings/{booking_id}/reschedule")
async def reschedule(request: Request, services: Clients, site_id: str, booking_id: str) -> Response:
    visitor = staff_at(request, site_id)
    form = await form_of(request)
    call = desk_calls.reschedule(
        services.bookings, visitor.token, booking_id, form.get("starts_at", ""), form.get("idempotency_key")
    )
    outcome = await run(call, visitor, ["starts_at"])
    if outcome.answer is None:
        return back_to_form(f"/staff/sites/{site_id}/bookings/{booking_id}/reschedule", outcome)
    moved = outcome.answer
    status = visitor.t(f"status.{moved.status}")
    return done(member_url(site_id, moved.member_id), visitor.t("desk.rescheduled", status=status))


@router.post("/sites/{site_id}/members/{member_id}/bookings")
async def book_on_behalf(request: Request, services: Clients, site_id: str, member_id: str) -> Response:
    visitor = staff_at(request, site_id)
    form = await form_of(request)
    chosen = form.get("starts_at", "")
    body: dict[str, Any] = {
        "offering_id": form.get("offering_id", ""),
        "member_id": member_id,
        "starts_at": chosen.removeprefix("waitlist:").removeprefix("visit:"),
        "party_size": whole_number(form.get("party_size"), default=1),
        "join_waitlist": form.get("join_waitlist") == "true" or chosen.startswith("waitlist:"),
        "attended": chosen.startswith("visit:"),  # a session begun today: the desk records a visit
    }
    if form.get("person_id"):
        body["person_id"] = form["person_id"]
    call = commands.book(services.bookings, visitor.token, body, form.get("idempotency_key"))
    outcome = await run(call, visitor, BOOK_FIELDS)
    booking = outcome.answer
    if booking is None:
        kept = {"form": "book", "offering_id": form.get("offering_id", "")}
        return back_to_form(member_url(site_id, member_id), outcome, kept, anchor="#book-title")
    status = visitor.t(f"status.{booking.status}")
    notice = f"{visitor.t('booking.title')} {booking.booking_id}: {status}"
    if body["attended"] and booking.status == "checked_in":
        notice = visitor.t("desk.visit_recorded", status=status)
    return done(member_url(site_id, member_id), notice)
