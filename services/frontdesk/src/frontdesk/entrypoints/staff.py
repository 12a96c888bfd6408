"""Front-desk pages: pick a site, Today, find a member, book on their behalf, check people
in, allocate or end a residency, the office waitlist.

Every panel comes from one service through `attempt`, so a service that is down costs
its panel only. Forms post back here; a service's refusal is shown next to the field
it names.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from frontdesk.adapters.services import ServiceProblem, Services, Unavailable
from frontdesk.domain.forms import FormErrors
from frontdesk.domain.messages import localized
from frontdesk.domain.today import bookings_of_day, by_hour
from frontdesk.entrypoints.web import (
    Clients,
    Panel,
    Visitor,
    attempt,
    form_of,
    gather,
    page,
    problem_errors,
    see_other,
    staff_at,
    visitor_of,
)
from parkgrid.auth import Role

router = APIRouter(prefix="/staff")

BOOK_FIELDS = ["offering_id", "person_id", "starts_at", "party_size", "member_id"]
RESIDENCY_FIELDS = ["space_id", "starts_on", "ends_on", "member_id", "site_id"]
CHECK_IN_FIELDS = ["event_id", "token"]
OFFICE_KINDS = ("private_office", "dedicated_desk")


def day_bounds(day: date, time_zone: str) -> tuple[str, str]:
    zone = ZoneInfo(time_zone)
    start = datetime.combine(day, time(0), zone)
    return start.isoformat(), datetime.combine(day + timedelta(days=1), time(0), zone).isoformat()


async def site_context(services: Services, visitor: Visitor, site_id: str) -> dict[str, Any]:
    """The site's name and time zone (from spaces; the network's default zone if spaces is down)."""
    site = await attempt(services.spaces.site(visitor.token, site_id))
    data = site.data or {}
    return {
        "site_id": site_id,
        "site_name": data.get("name") or site_id,
        "time_zone": data.get("time_zone") or services.default_time_zone,
    }


def chosen_day(request: Request, time_zone: str) -> date:
    raw = request.query_params.get("date")
    if raw:
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    return datetime.now(ZoneInfo(time_zone)).date()


@router.get("/sites", response_class=HTMLResponse)
async def pick_site(request: Request, services: Clients) -> Response:
    visitor = visitor_of(request)
    if not visitor.is_staff:
        return see_other("/member")
    sites = await attempt(services.spaces.sites(visitor.token))
    known = {s["site_id"]: s for s in (sites.data or {}).get("items", [])}
    if visitor.principal.role == Role.ADMIN:
        choices = list(known.values())
    else:
        choices = [known.get(s, {"site_id": s, "name": s}) for s in visitor.principal.sites]
    return page(request, "staff_sites.html", visitor, sites=choices, spaces_panel=sites)


# --- Today -----------------------------------------------------------------------------


async def bookings_panel(services: Services, visitor: Visitor, site_id: str, day: date, zone: str) -> Panel[Any]:
    answer = await attempt(services.bookings.day(visitor.token, site_id, day))
    if answer.data is None:
        return answer
    return Panel(data=by_hour(bookings_of_day(answer.data), answer.data.get("time_zone") or zone))


async def events_panel(services: Services, visitor: Visitor, site_id: str, day: date, zone: str) -> Panel[Any]:
    start, end = day_bounds(day, zone)
    answer = await attempt(services.community.events(visitor.token, site_id=site_id, **{"from": start, "to": end}))
    if answer.data is None:
        return answer
    return Panel(data=answer.data.get("items", []))


async def rooms_panel(services: Services, visitor: Visitor, site_id: str, day: date) -> Panel[Any]:
    answer = await attempt(services.spaces.occupancy(visitor.token, site_id, day))
    if answer.data is None:
        return answer
    return Panel(data=answer.data.get("spaces", []))


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
    day = chosen_day(request, site["time_zone"])
    bookings, events, rooms = await asyncio.gather(
        bookings_panel(services, visitor, site_id, day, site["time_zone"]),
        events_panel(services, visitor, site_id, day, site["time_zone"]),
        rooms_panel(services, visitor, site_id, day),
    )
    return page(
        request,
        "today.html",
        visitor,
        status_code=status_code,
        **site,
        day=day,
        bookings_panel=bookings,
        events_panel=events,
        rooms_panel=rooms,
        errors=errors or FormErrors(),
        form=form or {},
    )


@router.get("/sites/{site_id}/today", response_class=HTMLResponse)
async def today(request: Request, services: Clients, site_id: str) -> HTMLResponse:
    return await today_page(request, services, site_id, staff_at(request, site_id))


@router.get("/sites/{site_id}/today/{panel}", response_class=HTMLResponse)
async def today_fragment(request: Request, services: Clients, site_id: str, panel: str) -> HTMLResponse:
    """One panel of Today, re-fetched when the live feed says it changed."""
    visitor = staff_at(request, site_id)
    site = await site_context(services, visitor, site_id)
    day = chosen_day(request, site["time_zone"])
    context: dict[str, Any] = {**site, "day": day}
    if panel == "bookings":
        context["bookings_panel"] = await bookings_panel(services, visitor, site_id, day, site["time_zone"])
    elif panel == "events":
        context["events_panel"] = await events_panel(services, visitor, site_id, day, site["time_zone"])
    elif panel == "rooms":
        context["rooms_panel"] = await rooms_panel(services, visitor, site_id, day)
    else:
        return HTMLResponse("", status_code=404)
    return page(request, f"partials/{panel}.html", visitor, **context)


@router.post("/sites/{site_id}/check-ins")
async def check_in_registration(request: Request, services: Clients, site_id: str) -> Response:
    """Check an event registration in by the token read from its QR code."""
    visitor = staff_at(request, site_id)
    form = await form_of(request)
    event_id, ticket = form.get("event_id", ""), form.get("token", "").strip()
    try:
        answer = await services.community.check_in(visitor.token, event_id, ticket)
    except ServiceProblem as exc:
        return await today_page(
            request, services, site_id, visitor, errors=problem_errors(exc, CHECK_IN_FIELDS), form=form, status_code=422
        )
    except Unavailable as exc:
        errors = FormErrors(general=[visitor.t("unavailable", service=exc.service)])
        return await today_page(request, services, site_id, visitor, errors=errors, form=form, status_code=503)
    who = answer.get("person_name") or answer.get("person_id") or answer.get("registration_id") or ticket
    title = localized(answer.get("event_title"), visitor.language)
    who = f"{who} ({title})" if title else who
    notice = visitor.t("checkin.done", name=who)
    return see_other(f"/staff/sites/{site_id}/today?notice={quote(notice)}")


@router.post("/sites/{site_id}/bookings/{booking_id}/check-in")
async def check_in_booking(request: Request, services: Clients, site_id: str, booking_id: str) -> Response:
    visitor = staff_at(request, site_id)
    form = await form_of(request)
    back = form.get("back", f"/staff/sites/{site_id}/today")
    back = back if back.startswith("/staff/") else f"/staff/sites/{site_id}/today"
    try:
        await services.bookings.check_in(visitor.token, booking_id)
        notice = visitor.t("status.checked_in")
    except ServiceProblem as exc:
        notice = exc.detail
    except Unavailable as exc:
        notice = visitor.t("unavailable", service=exc.service)
    joiner = "&" if "?" in back else "?"
    return see_other(f"{back}{joiner}notice={quote(notice)}")


# --- members ---------------------------------------------------------------------------


@router.get("/sites/{site_id}/members", response_class=HTMLResponse)
async def find_member(request: Request, services: Clients, site_id: str) -> HTMLResponse:
    visitor = staff_at(request, site_id)
    query = request.query_params.get("q", "").strip()
    found: Panel[Any] = Panel()
    if query:
        found = await attempt(services.community.members(visitor.token, q=query, limit=25))
    site = await site_context(services, visitor, site_id)
    return page(request, "members.html", visitor, **site, query=query, found=found)


async def member_page(
    request: Request,
    services: Services,
    site_id: str,
    member_id: str,
    visitor: Visitor,
    *,
    errors: FormErrors | None = None,
    residency_errors: FormErrors | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    site = await site_context(services, visitor, site_id)
    form = form or {}
    offering_id = form.get("offering_id") or request.query_params.get("offering_id") or ""
    today_local = datetime.now(ZoneInfo(site["time_zone"])).date()
    member, offerings, bookings, occupancy = await gather(
        services.community.member(visitor.token, member_id),
        services.catalogue.offerings(visitor.token, member_id=member_id, site=site_id, limit=100),
        services.bookings.bookings(visitor.token, member_id=member_id, limit=20),
        services.spaces.occupancy(visitor.token, site_id, today_local),
    )
    slots: Panel[Any] = Panel()
    if offering_id:
        slots = await attempt(
            services.bookings.slots(visitor.token, offering_id, today_local, today_local + timedelta(days=7))
        )
    rooms = (occupancy.data or {}).get("spaces", [])
    offices = [s for s in rooms if s.get("kind") in OFFICE_KINDS]
    residencies = [s for s in rooms if (s.get("residency") or {}).get("member_id") == member_id]
    return page(
        request,
        "staff_member.html",
        visitor,
        status_code=status_code,
        **site,
        member_id=member_id,
        member=member,
        offerings=offerings,
        bookings=bookings,
        occupancy=occupancy,
        offices=offices,
        residencies=residencies,
        offering_id=offering_id,
        slots=slots,
        today=today_local,
        errors=errors or FormErrors(),
        residency_errors=residency_errors or FormErrors(),
        form=form,
    )


@router.get("/sites/{site_id}/members/{member_id}", response_class=HTMLResponse)
async def member_detail(request: Request, services: Clients, site_id: str, member_id: str) -> HTMLResponse:
    return await member_page(request, services, site_id, member_id, staff_at(request, site_id))


@router.post("/sites/{site_id}/members/{member_id}/bookings")
async def book_on_behalf(request: Request, services: Clients, site_id: str, member_id: str) -> Response:
    visitor = staff_at(request, site_id)
    form = await form_of(request)
    body: dict[str, Any] = {
        "offering_id": form.get("offering_id", ""),
        "member_id": member_id,
        "starts_at": form.get("starts_at", ""),
        "party_size": int(form["party_size"]) if form.get("party_size", "").isdigit() else 1,
        "join_waitlist": form.get("join_waitlist") == "true",
    }
    if form.get("person_id"):
        body["person_id"] = form["person_id"]
    try:
        response = await services.bookings.book(visitor.token, body)
    except ServiceProblem as exc:
        errors = problem_errors(exc, BOOK_FIELDS)
        return await member_page(
            request, services, site_id, member_id, visitor, errors=errors, form=form, status_code=422
        )
    except Unavailable as exc:
        errors = FormErrors(general=[visitor.t("unavailable", service=exc.service)])
        return await member_page(
            request, services, site_id, member_id, visitor, errors=errors, form=form, status_code=503
        )
    booking = response.json()
    status = visitor.t(f"status.{booking.get('status', 'pending')}")
    notice = f"{visitor.t('booking.title')} {booking.get('booking_id', '')}: {status}"
    return see_other(f"/staff/sites/{site_id}/members/{member_id}?notice={quote(notice)}")


@router.post("/sites/{site_id}/members/{member_id}/residencies")
async def allocate_residency(request: Request, services: Clients, site_id: str, member_id: str) -> Response:
    visitor = staff_at(request, site_id)
    form = await form_of(request)
    body: dict[str, Any] = {
        "member_id": member_id,
        "site_id": site_id,
        "space_id": form.get("space_id", ""),
        "starts_on": form.get("starts_on", ""),
    }
    if form.get("ends_on"):
        body["ends_on"] = form["ends_on"]
    try:
        answer = await services.spaces.start_residency(visitor.token, body)
    except ServiceProblem as exc:
        errors = problem_errors(exc, RESIDENCY_FIELDS)
        return await member_page(
            request, services, site_id, member_id, visitor, residency_errors=errors, form=form, status_code=422
        )
    except Unavailable as exc:
        errors = FormErrors(general=[visitor.t("unavailable", service=exc.service)])
        return await member_page(
            request, services, site_id, member_id, visitor, residency_errors=errors, form=form, status_code=503
        )
    notice = visitor.t("residency.allocated", id=answer.get("residency_id", ""))
    return see_other(f"/staff/sites/{site_id}/members/{member_id}?notice={quote(notice)}")


@router.post("/sites/{site_id}/residencies/{residency_id}/end")
async def end_residency(request: Request, services: Clients, site_id: str, residency_id: str) -> Response:
    visitor = staff_at(request, site_id)
    form = await form_of(request)
    member_id = form.get("member_id", "")
    try:
        await services.spaces.end_residency(visitor.token, residency_id)
        notice = visitor.t("residency.ended", id=residency_id)
    except ServiceProblem as exc:
        notice = exc.detail
    except Unavailable as exc:
        notice = visitor.t("unavailable", service=exc.service)
    back = f"/staff/sites/{site_id}/members/{quote(member_id)}" if member_id else f"/staff/sites/{site_id}/today"
    return see_other(f"{back}?notice={quote(notice)}")


@router.get("/sites/{site_id}/waitlist", response_class=HTMLResponse)
async def office_waitlist(request: Request, services: Clients, site_id: str) -> HTMLResponse:
    visitor = staff_at(request, site_id)
    site = await site_context(services, visitor, site_id)
    waitlist = await attempt(services.spaces.office_waitlist(visitor.token, site_id))
    missing_route = waitlist.problem is not None and (
        waitlist.problem.status == 405 or (waitlist.problem.status == 404 and waitlist.problem.detail == "Not Found")
    )
    return page(request, "waitlist.html", visitor, **site, waitlist=waitlist, not_built=missing_route)


@router.post("/sites/{site_id}/office-waitlist/{entry_id}/accept")
async def accept_office_offer(request: Request, services: Clients, site_id: str, entry_id: str) -> Response:
    """Staff confirm an office offered to the first in line: spaces starts the residency."""
    visitor = staff_at(request, site_id)
    try:
        await services.spaces.accept_office_offer(visitor.token, entry_id)
        notice = visitor.t("waitlist.accepted")
    except ServiceProblem as exc:
        notice = exc.detail
    except Unavailable as exc:
        notice = visitor.t("unavailable", service=exc.service)
    return see_other(f"/staff/sites/{site_id}/waitlist?notice={quote(notice)}")
