"""A member's people and the site's events at the desk (community): register one of them, or
cancel a registration (a confirmation page first)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from frontdesk.adapters import desk_calls
from frontdesk.domain.messages import localized
from frontdesk.entrypoints.http.pages import Clients, form_of, page
from frontdesk.entrypoints.http.panels import attempt
from frontdesk.entrypoints.http.staff_forms import back_to_form, done, form_refusal, new_key, run
from frontdesk.entrypoints.http.staff_sites import site_context
from frontdesk.entrypoints.http.visitors import staff_at
from parkgrid.api.community import RegistrationRead

router = APIRouter(prefix="/staff")


@router.post("/sites/{site_id}/members/{member_id}/registrations")
async def register(request: Request, services: Clients, site_id: str, member_id: str) -> Response:
    visitor = staff_at(request, site_id)
    form = await form_of(request)
    call = desk_calls.register(
        services.community,
        visitor.token,
        form.get("event_id", ""),
        form.get("person_id", ""),
        member_id,
        form.get("idempotency_key"),
    )
    outcome = await run(call, visitor, ["event_id", "person_id"])
    back = f"/staff/sites/{site_id}/members/{member_id}"
    if outcome.answer is None:
        return back_to_form(back, outcome, {"form": "register"}, anchor="#registrations-title")
    registration = outcome.answer
    title = localized(registration.event_title, visitor.language)
    return done(back, visitor.t("desk.registered", event=title, status=visitor.t(f"status.{registration.status}")))


@router.get("/sites/{site_id}/registrations/{registration_id}/cancel", response_class=HTMLResponse)
async def confirm_cancel(request: Request, services: Clients, site_id: str, registration_id: str) -> HTMLResponse:
    visitor = staff_at(request, site_id)
    site = await site_context(services, visitor, site_id)
    found = await attempt(
        services.community.read(RegistrationRead, f"/v1/registrations/{registration_id}", visitor.token)
    )
    return page(
        request,
        "staff_registration_cancel.html",
        visitor,
        **site.context(),
        registration=found,
        registration_id=registration_id,
        errors=form_refusal(request),
        key=new_key(),
    )


@router.post("/sites/{site_id}/registrations/{registration_id}/cancel")
async def cancel(request: Request, services: Clients, site_id: str, registration_id: str) -> Response:
    visitor = staff_at(request, site_id)
    form = await form_of(request)
    call = desk_calls.cancel_registration(
        services.community, visitor.token, registration_id, form.get("idempotency_key")
    )
    outcome = await run(call, visitor)
    if outcome.answer is None:
        return back_to_form(f"/staff/sites/{site_id}/registrations/{registration_id}/cancel", outcome)
    cancelled = outcome.answer
    title = localized(cancelled.event_title, visitor.language)
    return done(
        f"/staff/sites/{site_id}/members/{cancelled.member_id}", visitor.t("desk.registration_cancelled", event=title)
    )
