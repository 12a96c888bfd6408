"""A recurring booking's own pages, for the member and for staff (`/member/series/{id}`,
`/staff/series/{id}`: the same page; bookings decides who may see and change it, a front desk
at the series' site): what became of each occurrence in the reader's words (booked, on the
waitlist, refused and why: a partial series is never shown as a whole one); cancel this one and
the following, or the whole series, each after a confirmation; move this one and the following
to another session (a new series, booked before the old occurrences are cancelled). Every form
posts and redirects (303). Booking a series is `series_book.py`."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from frontdesk.adapters import series_calls
from frontdesk.adapters.services import ServiceProblem, Services, Unavailable
from frontdesk.domain.forms import FormErrors
from frontdesk.domain.member_days import slot_days
from frontdesk.entrypoints.http.pages import Clients, form_of, page, see_other
from frontdesk.entrypoints.http.panels import attempt, notice_after, problem_errors
from frontdesk.entrypoints.http.visitors import NotAllowed, Visitor, member_visitor, visitor_of

router = APIRouter()

Side = Literal["member", "staff"]
"""Whose pages: a member's own series, or staff's view of a member's."""

SLOT_DAYS = 7
"""How many days of sessions a form offers from its first day."""
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


def first_of(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


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
