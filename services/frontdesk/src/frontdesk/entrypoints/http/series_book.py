"""Booking a recurring series in the web app: a member books an offering every week (or every
2-4 weeks) from a first session, until a day or a number of times (`/member/offerings/{id}/series`),
and lists their series (`/member/series`); the desk books one on a member's behalf from the
member's booking form. Each outcome is then said on the series' page (`series_pages.py`)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from frontdesk.adapters import series_calls
from frontdesk.adapters.services import ServiceProblem, Services, Unavailable
from frontdesk.domain.forms import FormErrors
from frontdesk.domain.inputs import whole_number
from frontdesk.domain.member_days import slot_days
from frontdesk.entrypoints.http.pages import Clients, form_of, page, see_other
from frontdesk.entrypoints.http.panels import attempt, problem_errors
from frontdesk.entrypoints.http.series_pages import SLOT_DAYS, WEEKDAYS, first_of, weekday_names
from frontdesk.entrypoints.http.visitors import Visitor, member_visitor, own, staff_at

router = APIRouter()

SERIES_FIELDS = ["starts_at", "every_weeks", "weekdays", "until", "count"]


async def new_series_page(
    request: Request,
    services: Services,
    visitor: Visitor,
    offering_id: str,
    *,
    errors: FormErrors | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    today = services.clock().date()
    offering = await attempt(services.catalogue.offering(visitor.token, offering_id))
    slots = await attempt(services.bookings.slots(visitor.token, offering_id, today, today + timedelta(days=SLOT_DAYS)))
    zone = slots.data.time_zone if slots.data else services.default_time_zone
    return page(
        request,
        "member_series_new.html",
        visitor,
        status_code=status_code,
        errors=errors,
        offering_id=offering_id,
        offering=offering,
        slots=slots,
        days=slot_days(slots.data.items, zone) if slots.data else [],
        time_zone=zone,
        weekdays=WEEKDAYS,
        weekday_names=weekday_names(visitor),
        key=str(uuid.uuid4()),
        form=form or {"every_weeks": "1", "ends": "count", "count": "4"},
    )


@router.get("/member/offerings/{offering_id}/series", response_class=HTMLResponse)
async def new_series(request: Request, services: Clients, offering_id: str) -> HTMLResponse:
    return await new_series_page(request, services, member_visitor(request), offering_id)


def repeat_of(form: dict[str, Any], first: datetime | None, zone: str) -> dict[str, Any]:
    """The form's rule as bookings reads it: the first session's weekday always, and the others ticked."""
    days = {int(d) for d in form.get("weekdays", []) if str(d).isdigit()}
    if first is not None:
        days.add(first.astimezone(ZoneInfo(zone)).isoweekday())
    repeat: dict[str, Any] = {"every_weeks": whole_number(form.get("every_weeks"), default=1), "weekdays": sorted(days)}
    if form.get("ends") == "until":
        repeat["until"] = form.get("until") or None
    else:
        repeat["count"] = whole_number(form.get("count"), default=1)
    return repeat


@router.get("/member/series", response_class=HTMLResponse)
async def my_series(request: Request, services: Clients) -> HTMLResponse:
    """The member's recurring bookings, each with its offering and how many were booked or refused."""
    visitor = member_visitor(request)
    member_id, _ = own(visitor)
    found = await attempt(series_calls.series_of(services.bookings, visitor.token, member_id))
    titles: dict[str, Any] = {}
    for offering_id in {s.offering_id for s in (found.data.items if found.data else [])}:
        offering = await attempt(services.catalogue.offering(visitor.token, offering_id))
        titles[offering_id] = offering.data.title if offering.data else None
    return page(request, "series_list.html", visitor, series=found, titles=titles)


@router.post("/member/series")
async def request_series(request: Request, services: Clients) -> Response:
    visitor = member_visitor(request)
    member_id, person_id = own(visitor)
    raw = (await request.body()).decode("utf-8", errors="replace")
    form: dict[str, Any] = {**(await form_of(request)), "weekdays": _all(raw, "weekdays")}
    offering_id = str(form.get("offering_id", ""))
    first = first_of(str(form.get("starts_at", "")))
    body: dict[str, Any] = {
        "offering_id": offering_id,
        "member_id": member_id,
        "starts_at": form.get("starts_at", ""),
        "repeat": repeat_of(form, first, str(form.get("time_zone") or services.default_time_zone)),
        "join_waitlist": form.get("join_waitlist") == "true",
    }
    if person_id:
        body["person_id"] = person_id
    try:
        made = await series_calls.request_series(services.bookings, visitor.token, body, form.get("idempotency_key"))
    except ServiceProblem as exc:
        errors = problem_errors(exc, SERIES_FIELDS)
        errors.fields = {f: visitor.t(f"series.error.{f}") + f" ({m})" for f, m in errors.fields.items()}
        return await new_series_page(
            request, services, visitor, offering_id, errors=errors, form=form, status_code=exc.status
        )
    except Unavailable as exc:
        errors = FormErrors(general=[visitor.t("unavailable", service=exc.service)])
        return await new_series_page(request, services, visitor, offering_id, errors=errors, form=form, status_code=503)
    return see_other(f"/member/series/{made.series_id}")


def _all(raw: str, name: str) -> list[str]:
    """Every value of a repeated field (ticked checkboxes), which a plain dict of the form keeps one of."""
    return [value for key, value in parse_qsl(raw) if key == name]


@router.post("/staff/sites/{site_id}/members/{member_id}/series")
async def desk_request_series(request: Request, services: Clients, site_id: str, member_id: str) -> Response:
    """The desk books a series on a member's behalf from its booking form (the first session ticked
    there, every N weeks, N times); the series page then says each outcome, a refusal is said on
    the member's page."""
    visitor = staff_at(request, site_id)
    form = await form_of(request)
    starts_at = form.get("starts_at", "")
    body: dict[str, Any] = {
        "offering_id": form.get("offering_id", ""),
        "member_id": member_id,
        "starts_at": starts_at.removeprefix("waitlist:"),
        "join_waitlist": starts_at.startswith("waitlist:"),  # a full first session: wait in line for each
        "repeat": {
            "every_weeks": whole_number(form.get("every_weeks"), default=1),
            "count": whole_number(form.get("count"), default=1),
        },
    }
    if form.get("person_id"):
        body["person_id"] = form["person_id"]
    back = f"/staff/sites/{site_id}/members/{member_id}"
    try:
        made = await series_calls.request_series(services.bookings, visitor.token, body, form.get("idempotency_key"))
    except ServiceProblem as exc:
        refused = visitor.t("series.refused", detail=exc.detail)
        return see_other(f"{back}?notice={quote(refused)}#book-title")
    except Unavailable as exc:
        down = visitor.t("unavailable", service=exc.service)
        return see_other(f"{back}?notice={quote(down)}#book-title")
    return see_other(f"/staff/series/{made.series_id}")
