"""Staff edit an event from its row on Today: its title (French, English) and capacity.

Community decides (a capacity below the confirmed registrations is 409, a blank title 422);
the form sends only what was changed, and shows a refusal's detail on the form again (next
to the field it names, else above the button).

The form is an edit of the event as it was shown: it carries that version, sent as If-Match,
so community applies it only if nobody changed the event since (one conditional write). Two
desks saving at once: one is saved, the other sees the event as it is now and a line saying
it changed meanwhile, instead of silently undoing the first."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from frontdesk.adapters.services import ServiceProblem, Services, Unavailable
from frontdesk.domain.forms import FormErrors
from frontdesk.domain.inputs import whole_number
from frontdesk.domain.today import local_date
from frontdesk.entrypoints.http.pages import Clients, form_of, page, see_other
from frontdesk.entrypoints.http.panels import attempt, problem_errors
from frontdesk.entrypoints.http.staff_sites import site_context
from frontdesk.entrypoints.http.visitors import Visitor, staff_at
from parkgrid.api.community import EventRead

router = APIRouter(prefix="/staff")

EVENT_FIELDS = ["title.fr", "title.en", "capacity"]


def typed_of(event: EventRead) -> dict[str, str]:
    """The form as the event is now."""
    return {
        "title.fr": event.title.fr,
        "title.en": event.title.en,
        "capacity": str(event.capacity),
        "version": str(event.version),
    }


def changes_of(event: EventRead, form: dict[str, str]) -> dict[str, Any]:
    """What the form changes, in community's PATCH shape (the Arabic title kept as it is)."""
    changes: dict[str, Any] = {}
    title = {"fr": form.get("title.fr", ""), "en": form.get("title.en", "")}
    if (title["fr"], title["en"]) != (event.title.fr, event.title.en):
        changes["title"] = title | ({"ar": event.title.ar} if event.title.ar else {})
    capacity = whole_number(form.get("capacity"), default=event.capacity)
    if capacity != event.capacity:
        changes["capacity"] = capacity
    return changes


async def edit_page(
    request: Request,
    services: Services,
    visitor: Visitor,
    site_id: str,
    event_id: str,
    *,
    errors: FormErrors | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    site = await site_context(services, visitor, site_id)
    event = await attempt(services.community.event(visitor.token, event_id))
    typed = form if form is not None else (typed_of(event.data) if event.data else {})
    status = status_code if event.ok else 503 if event.unavailable else (event.problem.status if event.problem else 200)
    return page(
        request,
        "event_edit.html",
        visitor,
        status_code=status,
        **site.context(),
        event=event,
        errors=errors,
        form=typed,
    )


@router.get("/sites/{site_id}/events/{event_id}/edit", response_class=HTMLResponse)
async def edit_event(request: Request, services: Clients, site_id: str, event_id: str) -> HTMLResponse:
    return await edit_page(request, services, staff_at(request, site_id), site_id, event_id)


@router.post("/sites/{site_id}/events/{event_id}/edit", response_model=None)
async def revise_event(request: Request, services: Clients, site_id: str, event_id: str) -> Response:
    visitor = staff_at(request, site_id)
    form = await form_of(request)
    try:
        event = await services.community.event(visitor.token, event_id)
        changes = changes_of(event, form)
        if changes:
            await services.community.revise_event(visitor.token, event_id, changes, form.get("version", "").strip())
    except ServiceProblem as exc:
        if exc.status == 412:
            errors = FormErrors(general=[visitor.t("event.changed_meanwhile")])
            return await edit_page(request, services, visitor, site_id, event_id, errors=errors, status_code=409)
        errors = problem_errors(exc, EVENT_FIELDS)
        return await edit_page(
            request, services, visitor, site_id, event_id, errors=errors, form=form, status_code=exc.status
        )
    except Unavailable as exc:
        errors = FormErrors(general=[visitor.t("unavailable", service=exc.service)])
        return await edit_page(request, services, visitor, site_id, event_id, errors=errors, form=form, status_code=503)
    notice = visitor.t("event.saved") if changes else visitor.t("event.unchanged")
    day = local_date(event.time.starts_at, event.time_zone)  # the event's own day, whatever today is
    return see_other(f"/staff/sites/{site_id}/today?date={day.isoformat()}&notice={quote(notice)}#events-title")
