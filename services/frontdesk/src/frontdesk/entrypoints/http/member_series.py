"""Recurring bookings in the web app: a member books an offering every week (or every 2-4
weeks) from a first session, until a day or a number of times; the series page then says, in
the reader's words, what became of each occurrence (booked, on the waitlist, refused and why:
a partial series is never shown as a whole one), and cancels one occurrence (the booking's own
confirmation), this one and the following, or the whole series, each after a confirmation, or
moves this one and the following to another session (a new series, booked before the old
occurrences are cancelled).

Staff see and cancel a member's series at `/staff/series/{id}` (the same page; bookings decides
who may: a front desk at the series' site). Every form posts and redirects (303)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any, Literal
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
from frontdesk.entrypoints.http.panels import attempt, notice_after, problem_errors
from frontdesk.entrypoints.http.visitors import NotAllowed, Visitor, member_visitor, own, staff_at, visitor_of

router = APIRouter()

Side = Literal["member", "staff"]
"""Whose pages: a member's own series, or staff's view of a member's."""

SERIES_FIELDS = ["starts_at", "every_weeks", "weekdays", "until", "count"]
SLOT_DAYS = 7
WEEKDAYS = range(1, 8)
A_MONDAY = date(2024, 1, 1)


def weekday_names(visitor: Visitor) -> dict[int, str]:
    """ISO weekday -> its name in the reader's language."""
    return {d: visitor.t.weekday(A_MONDAY + timedelta(days=d - 1)) for d in WEEKDAYS}


def series_visitor(request: Request, base: str) -> Visitor:
    """A member on `/member/...`, staff on `/staff/...` (bookings narrows what each sees)."""
    if base == "/member":
        return member_visitor(request)
    visitor = visitor_of(request)
    if not visitor.is_staff:
        raise NotAllowed("front-desk pages are for front-desk staff")
    return visitor


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


def first_of(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


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


async def series_page(request: Request, services: Services, base: str, series_id: str) -> HTMLResponse:
    visitor = series_visitor(request, base)
    found = await attempt(series_calls.series(services.bookings, visitor.token, series_id))
    offering = None
    if found.data is not None:
        offering = await attempt(services.catalogue.offering(visitor.token, found.data.offering_id))
    return page(
        request,
        "series.html",
        visitor,
        series_id=series_id,
        series=found,
        offering=offering,
        base=base,
        now=services.clock(),
        weekday_names=weekday_names(visitor),
    )


async def confirm_page(request: Request, services: Services, base: str, series_id: str) -> HTMLResponse:
    """Are you sure? Naming the occurrence it cancels from, or that it is the whole series."""
    visitor = series_visitor(request, base)
    found = await attempt(series_calls.series(services.bookings, visitor.token, series_id))
    first = request.query_params.get("from") or None
    return page(
        request,
        "series_cancel.html",
        visitor,
        series_id=series_id,
        series=found,
        base=base,
        first=first,
        first_at=first_of(first) if first else None,
    )


async def cancel(request: Request, services: Services, base: str, series_id: str) -> Response:
    visitor = series_visitor(request, base)
    first = (await form_of(request)).get("from") or None
    done = visitor.t("series.cancelled")
    call = series_calls.cancel_series(services.bookings, visitor.token, series_id, first)
    notice = await notice_after(call, visitor, done)
    return see_other(f"{base}/series/{series_id}?notice={quote(notice)}")


async def move_page(
    request: Request,
    services: Services,
    base: str,
    series_id: str,
    *,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Where this occurrence and the following ones should go: the sessions of the week from it."""
    visitor = series_visitor(request, base)
    first = request.query_params.get("from") or ""
    found = await attempt(series_calls.series(services.bookings, visitor.token, series_id))
    slots = None
    days = []
    zone = services.default_time_zone
    start = first_of(first)
    if found.data is not None and start is not None:
        zone = found.data.time_zone
        day = start.astimezone(ZoneInfo(zone)).date()
        slots = await attempt(
            services.bookings.slots(visitor.token, found.data.offering_id, day, day + timedelta(days=SLOT_DAYS))
        )
        days = slot_days(slots.data.items, zone) if slots.data else []
    return page(
        request,
        "series_move.html",
        visitor,
        status_code=status_code,
        errors=errors,
        series_id=series_id,
        series=found,
        base=base,
        first=first,
        first_at=start,
        slots=slots,
        days=days,
        time_zone=zone,
        key=str(uuid.uuid4()),
    )


async def move(request: Request, services: Services, base: str, series_id: str) -> Response:
    visitor = series_visitor(request, base)
    form = await form_of(request)
    body = {"from_occurrence": form.get("from", ""), "starts_at": form.get("starts_at", "")}
    try:
        moved = await series_calls.move_series(
            services.bookings, visitor.token, series_id, body, form.get("idempotency_key")
        )
    except ServiceProblem as exc:
        errors = problem_errors(exc, ["starts_at"])
        return await move_page(request, services, base, series_id, errors=errors, status_code=exc.status)
    except Unavailable as exc:
        errors = FormErrors(general=[visitor.t("unavailable", service=exc.service)])
        return await move_page(request, services, base, series_id, errors=errors, status_code=503)
    notice = visitor.t("series.moved")
    return see_other(f"{base}/series/{moved.series_id}?notice={quote(notice)}")


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


@router.get("/{side}/series/{series_id}", response_class=HTMLResponse)
async def series_of(request: Request, services: Clients, side: Side, series_id: str) -> HTMLResponse:
    return await series_page(request, services, f"/{side}", series_id)


@router.get("/{side}/series/{series_id}/cancel", response_class=HTMLResponse)
async def confirm_cancel(request: Request, services: Clients, side: Side, series_id: str) -> HTMLResponse:
    return await confirm_page(request, services, f"/{side}", series_id)


@router.post("/{side}/series/{series_id}/cancel")
async def cancel_from(request: Request, services: Clients, side: Side, series_id: str) -> Response:
    return await cancel(request, services, f"/{side}", series_id)


@router.get("/{side}/series/{series_id}/move", response_class=HTMLResponse)
async def choose_move(request: Request, services: Clients, side: Side, series_id: str) -> HTMLResponse:
    return await move_page(request, services, f"/{side}", series_id)


@router.post("/{side}/series/{series_id}/move")
async def move_from(request: Request, services: Clients, side: Side, series_id: str) -> Response:
    return await move(request, services, f"/{side}", series_id)
