"""Today at a site: bookings by hour, events, rooms, expected visitors, and checking people in.

Every panel comes from one service through `attempt`, so a service that is down costs
its panel only; each panel is also served alone (`/today/{panel}`), which the page
re-fetches when the live feed says it changed."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from frontdesk.adapters.services import Services
from frontdesk.domain.forms import FormErrors
from frontdesk.domain.messages import localized
from frontdesk.entrypoints.http.asked import asked_status
from frontdesk.entrypoints.http.pages import Clients, form_of, page, see_other
from frontdesk.entrypoints.http.panels import notice_after, submitted
from frontdesk.entrypoints.http.staff_sites import chosen_day, site_context
from frontdesk.entrypoints.http.today_panels import bookings_panel, events_panel, rooms_panel, visitors_panel
from frontdesk.entrypoints.http.visitors import Visitor, staff_at
from parkgrid.inputs import in_calendar

router = APIRouter(prefix="/staff")

CHECK_IN_FIELDS = ["event_id", "token"]


async def today_page(
    request: Request,
    services: Services,
    site_id: str,
    visitor: Visitor,
    *,
    errors: FormErrors | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    site = await site_context(services, visitor, site_id)
    asked = chosen_day(request, visitor, site)
    day = asked.value
    bookings, events, rooms, guests = await asyncio.gather(
        bookings_panel(services, visitor, site_id, day, site.time_zone),
        events_panel(services, visitor, site_id, day, site.time_zone),
        rooms_panel(services, visitor, site_id, day),
        visitors_panel(services, visitor, site_id, day),
    )
    return page(
        request,
        "today.html",
        visitor,
        status_code=max(status_code, asked_status(asked)),
        **site.context(),
        day=day,
        input_error=asked.error,
        bookings_panel=bookings,
        events_panel=events,
        rooms_panel=rooms,
        visitors_panel=guests,
        errors=errors,
        form=form,
    )


@router.get("/sites/{site_id}/today", response_class=HTMLResponse)
async def today(request: Request, services: Clients, site_id: str) -> HTMLResponse:
    return await today_page(request, services, site_id, staff_at(request, site_id))


@router.get("/sites/{site_id}/today/{panel}", response_class=HTMLResponse)
async def today_fragment(request: Request, services: Clients, site_id: str, panel: str) -> HTMLResponse:
    """One panel of Today, re-fetched when the live feed says it changed."""
    visitor = staff_at(request, site_id)
    site = await site_context(services, visitor, site_id)
    asked = chosen_day(request, visitor, site)
    day = asked.value
    context: dict[str, Any] = {**site.context(), "day": day}
    if panel == "bookings":
        context["bookings_panel"] = await bookings_panel(services, visitor, site_id, day, site.time_zone)
    elif panel == "events":
        context["events_panel"] = await events_panel(services, visitor, site_id, day, site.time_zone)
    elif panel == "rooms":
        context["rooms_panel"] = await rooms_panel(services, visitor, site_id, day)
    elif panel == "visitors":
        context["visitors_panel"] = await visitors_panel(services, visitor, site_id, day)
    else:
        return HTMLResponse("", status_code=404)
    return page(request, f"partials/{panel}.html", visitor, status_code=asked_status(asked), **context)


@router.post("/sites/{site_id}/check-ins")
async def check_in_registration(request: Request, services: Clients, site_id: str) -> Response:
    """Check an event registration in by the token read from its QR code. A ticket refused as it
    stands (already checked in at 09:12, the door not open yet: 409) is a line above the page,
    like a booking's check-in; a token or event refused (422, 404) is shown next to its field.
    The desk stays on the day it was looking at (`?date=` of the form's action)."""
    visitor = staff_at(request, site_id)
    form = await form_of(request)
    event_id, ticket = form.get("event_id", ""), form.get("token", "").strip()
    done = await submitted(services.community.check_in(visitor.token, event_id, ticket), visitor, CHECK_IN_FIELDS)
    answer = done.answer
    back = f"/staff/sites/{site_id}/today?{day_query(request)}notice="
    if done.conflict is not None:
        return see_other(back + quote(done.conflict))
    if answer is None:
        return await today_page(
            request, services, site_id, visitor, errors=done.errors, form=form, status_code=done.status
        )
    who = f"{answer.person_id} ({localized(answer.event_title, visitor.language)})"
    return see_other(back + quote(visitor.t("checkin.done", name=who)))


def day_query(request: Request) -> str:
    """`date=…&` when the request names a day the park can show, else nothing (the site's today)."""
    typed = request.query_params.get("date", "")
    try:
        return f"date={in_calendar(date.fromisoformat(typed)).isoformat()}&" if typed else ""
    except ValueError:
        return ""


@router.post("/sites/{site_id}/bookings/{booking_id}/check-in")
async def check_in_booking(request: Request, services: Clients, site_id: str, booking_id: str) -> Response:
    visitor = staff_at(request, site_id)
    form = await form_of(request)
    back = form.get("back", f"/staff/sites/{site_id}/today")
    back = back if back.startswith("/staff/") else f"/staff/sites/{site_id}/today"
    checked_in = visitor.t("status.checked_in")
    notice = await notice_after(services.bookings.check_in(visitor.token, booking_id), visitor, checked_in)
    joiner = "&" if "?" in back else "?"
    return see_other(f"{back}{joiner}notice={quote(notice)}")
