"""Declining a booking awaiting approval (issue 25 part 2): a confirmation page that names the
booking, its organisation and person, and asks for the reason the member will read; the reason is
checked here in the desk's words before bookings is asked, and bookings' own refusal of it is said
next to the field. The queue itself and approving are `staff_approvals`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from frontdesk.adapters import approval_calls
from frontdesk.adapters.services import ServiceProblem, Services, Unavailable
from frontdesk.domain.approvals import note_refusal
from frontdesk.domain.forms import FormErrors
from frontdesk.domain.messages import localized
from frontdesk.entrypoints.http.pages import Clients, form_of, page
from frontdesk.entrypoints.http.panels import attempt
from frontdesk.entrypoints.http.staff_approvals import queue_url, refused_decision
from frontdesk.entrypoints.http.staff_forms import done, new_key
from frontdesk.entrypoints.http.staff_sites import site_context
from frontdesk.entrypoints.http.visitors import Visitor, staff_at

router = APIRouter(prefix="/staff")


async def decline_page(
    request: Request,
    services: Services,
    visitor: Visitor,
    site_id: str,
    booking_id: str,
    *,
    errors: FormErrors | None = None,
    note: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    """Decline, with the reason the member will read: the confirmation step before bookings is asked."""
    site = await site_context(services, visitor, site_id)
    booking = await attempt(services.bookings.booking(visitor.token, booking_id))
    organisation = person = ""
    if booking.data is not None:
        member = await attempt(services.community.member(visitor.token, booking.data.member_id))
        if member.data is not None:
            organisation = member.data.name
            person = next((p.name for p in member.data.people if p.person_id == booking.data.person_id), "")
        elif services.members is not None:
            known = await services.members.get(booking.data.member_id)
            organisation = known.name if known else ""
    return page(
        request,
        "staff_approval_decline.html",
        visitor,
        status_code=status_code,
        errors=errors,
        form={"note": note},
        **site.context(),
        booking_id=booking_id,
        booking=booking,
        organisation=organisation or visitor.t("approvals.unknown_member"),
        person=person or visitor.t("approvals.unknown_person"),
        key=new_key(),
    )


@router.get("/sites/{site_id}/approvals/{booking_id}/decline", response_class=HTMLResponse)
async def confirm_decline(request: Request, services: Clients, site_id: str, booking_id: str) -> HTMLResponse:
    return await decline_page(request, services, staff_at(request, site_id), site_id, booking_id)


@router.post("/sites/{site_id}/approvals/{booking_id}/decline")
async def decline(request: Request, services: Clients, site_id: str, booking_id: str) -> Response:
    visitor = staff_at(request, site_id)
    form = await form_of(request)
    note = form.get("note", "")
    refusal = note_refusal(note, visitor.t)
    if refusal is not None:
        errors = FormErrors(fields={"note": refusal})
        return await decline_page(
            request, services, visitor, site_id, booking_id, errors=errors, note=note, status_code=422
        )
    try:
        booking = await approval_calls.decline(
            services.bookings, visitor.token, booking_id, note.strip(), form.get("idempotency_key")
        )
    except ServiceProblem as exc:
        if exc.status == 422:  # bookings' own rule for the reason, said in the desk's words
            errors = FormErrors(fields={"note": visitor.t("approvals.note_refused")})
            return await decline_page(
                request, services, visitor, site_id, booking_id, errors=errors, note=note, status_code=422
            )
        return done(queue_url(site_id), refused_decision(exc, visitor))
    except Unavailable as exc:
        errors = FormErrors(general=[visitor.t("unavailable", service=exc.service)])
        return await decline_page(
            request, services, visitor, site_id, booking_id, errors=errors, note=note, status_code=503
        )
    offering = localized(booking.offering_title, visitor.language)
    return done(queue_url(site_id), visitor.t("approvals.declined", offering=offering))
