"""Today at a site: bookings by hour, events, rooms, expected visitors, and checking people in.

Every panel comes from one service through `attempt`, so a service that is down costs
its panel only; each panel is also served alone (`/today/{panel}`), which the page
re-fetches when the live feed says it changed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from frontdesk.adapters import visit_calls
from frontdesk.adapters.services import Services
from frontdesk.domain.desk import day_label
from frontdesk.domain.forms import FormErrors
from frontdesk.domain.messages import localized
from frontdesk.domain.today import Hour, Timeline, can_check_in, hours_of, timeline_of
from frontdesk.entrypoints.http.asked import asked_status
from frontdesk.entrypoints.http.pages import Clients, form_of, page, see_other
from frontdesk.entrypoints.http.panels import Panel, attempt, notice_after, submitted
from frontdesk.entrypoints.http.staff_sites import chosen_day, day_bounds, site_context
from frontdesk.entrypoints.http.visitors import Visitor, staff_at
from parkgrid.api.bookings import SiteDayBooking
from parkgrid.api.community import EventRead
from parkgrid.api.spaces import SpaceOccupancy, VisitRead
from parkgrid.inputs import in_calendar

router = APIRouter(prefix="/staff")

CHECK_IN_FIELDS = ["event_id", "token"]


REJECTED_SHOWN = 100
"""The rejected bookings of a day whose reasons Today shows (one page of bookings' list)."""


@dataclass
class DeskDay:
    """The bookings panel: the day's hours (arrivals, each row a person, a room and a link), the
    timeline of rooms by hours, the people's names and rooms' names, and who may be checked in now."""

    hours: list[Hour]
    timeline: Timeline
    people: dict[str, str]
    rooms: dict[str, str]
    now: datetime
    site_id: str
    next_day: date | None = None
    """With nothing booked that day: the next local day with a booking at the site (within a page
    of bookings' list), so a desk looking at an empty evening is one click from tomorrow's."""
    next_label: str = ""
    """That day as the reader says it ("Tuesday 09/12")."""

    def can_check_in(self, b: SiteDayBooking) -> bool:
        return can_check_in(b.status, self.site_id, self.site_id, b.starts_at, b.ends_at, self.now)

    def __bool__(self) -> bool:
        return bool(self.hours)

    def __iter__(self) -> Iterator[Hour]:
        return iter(self.hours)


PEOPLE_LOOKED_UP = 40
"""Member organisations whose people Today names (one community call each)."""


async def bookings_panel(services: Services, visitor: Visitor, site_id: str, day: date, zone: str) -> Panel[DeskDay]:
    """The day by hour and as a timeline; a rejected booking says why (its reason and detail come
    from the bookings list: the day does not carry them; that list failing costs the reasons only).
    The people's names come from community (down: their ids), the rooms from spaces."""
    start, end = day_bounds(day, zone)
    found, refused, occupancy = await asyncio.gather(
        attempt(services.bookings.day(visitor.token, site_id, day)),
        attempt(
            services.bookings.bookings(
                visitor.token, status="rejected", limit=REJECTED_SHOWN, **{"from": start, "to": end}
            )
        ),
        attempt(services.spaces.occupancy(visitor.token, site_id, day)),
    )
    rejected = {b.booking_id: b for b in refused.data.items if b.site_id == site_id} if refused.data else {}
    site_day = found.data
    if site_day is None:
        return found.map(lambda _: DeskDay([], Timeline([], []), {}, {}, services.clock(), site_id))
    member_ids = sorted({b.member_id for h in site_day.hours for b in h.bookings})[:PEOPLE_LOOKED_UP]
    members = await asyncio.gather(*(attempt(services.community.member(visitor.token, m)) for m in member_ids))
    people = {p.person_id: p.name for m in members if m.data for p in m.data.people}
    spaces = occupancy.data.spaces if occupancy.data else []
    lanes = [
        (s.space_id, s.name, s.kind.value, s.buffer_before_minutes, s.buffer_after_minutes)
        for s in spaces
        if s.kind.value in TIMELINE_KINDS
    ]
    hours = hours_of(site_day, rejected)
    next_day = None if hours else await next_booked_day(services, visitor, site_id, end, zone)
    return Panel(
        data=DeskDay(
            hours,
            timeline_of(site_day, lanes),
            people,
            {s.space_id: s.name for s in spaces},
            services.clock(),
            site_id,
            next_day,
            day_label(next_day, visitor.t) if next_day else "",
        )
    )


NEXT_LOOKED_AT = 100
"""Bookings after an empty day that Today looks through for the site's next booked day (one page)."""


async def next_booked_day(services: Services, visitor: Visitor, site_id: str, after: str, zone: str) -> date | None:
    """The site's next local day with a booking still on (pending, confirmed, checked in), or None
    (none in the next page of bookings the desk sees, or bookings down: the link is only a help)."""
    found = await attempt(services.bookings.bookings(visitor.token, limit=NEXT_LOOKED_AT, **{"from": after}))
    if found.data is None:
        return None
    on = next((b for b in found.data.items if b.site_id == site_id and b.status in STILL_ON), None)
    return None if on is None else on.session.starts_at.astimezone(ZoneInfo(zone)).date()


STILL_ON = ("pending", "confirmed", "checked_in")


TIMELINE_KINDS = ("meeting_room", "event_hall", "hot_desk_area")
"""The rooms booked by the hour: offices and desks held by residencies are the rooms panel's."""


async def events_panel(
    services: Services, visitor: Visitor, site_id: str, day: date, zone: str
) -> Panel[list[EventRead]]:
    start, end = day_bounds(day, zone)
    found = await attempt(services.community.events(visitor.token, site_id=site_id, **{"from": start, "to": end}))
    return found.map(lambda page: page.items)


async def rooms_panel(services: Services, visitor: Visitor, site_id: str, day: date) -> Panel[list[SpaceOccupancy]]:
    return (await attempt(services.spaces.occupancy(visitor.token, site_id, day))).map(lambda d: d.spaces)


async def visitors_panel(services: Services, visitor: Visitor, site_id: str, day: date) -> Panel[list[VisitRead]]:
    """The guests expected on the site's day (spaces), by expected time, with their host organisation."""
    return (await attempt(visit_calls.expected_at(services.spaces, visitor.token, site_id, day))).map(lambda v: v.items)


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
