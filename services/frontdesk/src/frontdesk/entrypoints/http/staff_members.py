"""A member organisation at the front desk: find it, and its page: its bookings, waitlist places,
residencies, registrations, entitlements and limits, with the forms to act for it. What those
forms post to lives with its object: booking on its behalf in `staff_bookings`, residencies in
`staff_residencies`, a waitlist place in `staff_waitlist`; a refusal comes back here next to the
form field it names."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from frontdesk.adapters import desk_calls, limit_calls
from frontdesk.adapters.known_members import KnownMember
from frontdesk.adapters.services import Services
from frontdesk.domain.desk import Found, day_label, matching, slots_by_day
from frontdesk.domain.forms import FormErrors
from frontdesk.domain.today import can_check_in
from frontdesk.entrypoints.http.asked import asked_status, search_asked
from frontdesk.entrypoints.http.pages import Clients, page
from frontdesk.entrypoints.http.panels import Panel, attempt
from frontdesk.entrypoints.http.staff_forms import form_refusal, new_key
from frontdesk.entrypoints.http.staff_sites import day_bounds, site_context
from frontdesk.entrypoints.http.visitors import Visitor, staff_at
from parkgrid.api.bookings import BookingPage, SlotPage
from parkgrid.api.community import MemberRead
from parkgrid.contracts.common import SpaceKind

router = APIRouter(prefix="/staff")

OFFICE_KINDS = (SpaceKind.PRIVATE_OFFICE, SpaceKind.DEDICATED_DESK)


@router.get("/sites/{site_id}/members", response_class=HTMLResponse)
async def find_member(request: Request, services: Clients, site_id: str) -> HTMLResponse:
    """By organisation, person or email, accents ignored: the site's members are fetched and
    matched here (`domain.desk.matching`; community's search is the organisation's name only)."""
    visitor = staff_at(request, site_id)
    asked = search_asked(request, visitor)
    found: Panel[list[Found]] = Panel()
    if asked.value:
        query = asked.value
        members = await attempt(desk_calls.site_members(services.community, visitor.token, site_id))
        found = members.map(lambda everyone: matching(everyone, query)[:SHOWN])
    site = await site_context(services, visitor, site_id)
    return page(
        request,
        "members.html",
        visitor,
        status_code=asked_status(asked),
        **site.context(),
        query=asked.value,
        found=found,
        input_error=asked.error,
    )


SHOWN = 50
"""Members a search shows at most."""


async def member_bookings(
    services: Services, visitor: Visitor, site_id: str, member_id: str, **window: str | None
) -> Panel[BookingPage]:
    """A page of the member's bookings; bookings refuses a front desk naming a member based at
    another site (403), so then the page is the site's bookings of that window, this member's kept."""
    found = await attempt(desk_calls.bookings_page(services.bookings, visitor.token, member_id, **window))
    if found.problem is None or found.problem.status != 403:
        return found
    site_wide = await attempt(
        services.bookings.bookings(visitor.token, limit=100, **{k: v for k, v in window.items() if v})
    )
    return site_wide.map(
        lambda got: BookingPage(items=[b for b in got.items if b.member_id == member_id], next_cursor=got.next_cursor)
    )


async def based_elsewhere(
    services: Services, member: Panel[MemberRead], site_id: str, member_id: str
) -> KnownMember | None:
    """The organisation as the web app's projection knows it, when community would not show it to
    this desk because it is based at another site (it booked here); else None. The page then names
    it and its home site, shows its bookings here, and leaves the rest to its own site's desk."""
    if member.ok or services.members is None:
        return None
    known = await services.members.get(member_id)
    return known if known is not None and known.home_site_id != site_id else None


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
    asked = request.query_params
    offering_id = form.get("offering_id") or asked.get("offering_id") or ""
    today_local = site.today
    now = services.clock().isoformat()
    start, _ = day_bounds(today_local, site.time_zone)
    member, offerings, upcoming, history, waitlist, occupancy = await asyncio.gather(
        attempt(services.community.member(visitor.token, member_id)),
        attempt(services.catalogue.offerings(visitor.token, member_id=member_id, site=site_id, limit=100)),
        member_bookings(services, visitor, site_id, member_id, **{"from": now, "cursor": asked.get("next")}),
        member_bookings(
            services, visitor, site_id, member_id, **{"to": now, "cursor": asked.get("past"), "newest_first": "true"}
        ),
        attempt(services.bookings.waitlist(visitor.token, member_id)),
        attempt(services.spaces.occupancy(visitor.token, site_id, today_local)),
    )
    registrations, entitlements, offices_waited, events, usage = await asyncio.gather(
        attempt(desk_calls.registrations(services.community, visitor.token, member_id)),
        attempt(services.bookings.entitlements(visitor.token, member_id)),
        attempt(desk_calls.office_places(services.spaces, visitor.token, member_id)),
        attempt(services.community.events(visitor.token, site_id=site_id, **{"from": start})),
        attempt(limit_calls.member_limits(services.bookings, visitor.token, member_id)),
    )
    elsewhere = await based_elsewhere(services, member, site_id, member_id)
    slots: Panel[SlotPage] = Panel()
    begun: Panel[SlotPage] = Panel()
    if offering_id:  # what is ahead to book, and what began today to record as a visit
        slots, begun = await asyncio.gather(
            attempt(services.bookings.slots(visitor.token, offering_id, today_local, today_local + timedelta(days=7))),
            attempt(services.bookings.slots(visitor.token, offering_id, today_local, today_local, begun=True)),
        )
    titles = {o.id: o.title for o in offerings.data.items} if offerings.data else {}
    waiting = waitlist.map(lambda found: [w for w in found.items if w.status == "waiting"])
    rooms = occupancy.data.spaces if occupancy.data else []
    offices = [s for s in rooms if s.kind in OFFICE_KINDS]
    residencies = [s for s in rooms if s.residency and s.residency.member_id == member_id]
    refused_form = asked.get("form", "")
    refusal = form_refusal(request)
    return page(
        request,
        "staff_member.html",
        visitor,
        status_code=status_code,
        **site.context(),
        member_id=member_id,
        member=member,
        elsewhere=elsewhere,
        offerings=offerings,
        upcoming=upcoming,
        history=history,
        waitlist=waiting,
        titles=titles,
        occupancy=occupancy,
        offices=offices,
        hot_desks=[s for s in rooms if s.kind == SpaceKind.HOT_DESK_AREA],
        residencies=residencies,
        registrations=registrations,
        entitlements=entitlements,
        limits=usage,
        offices_waited=offices_waited.map(lambda found: [e for e in found.items if e.status in ("waiting", "offered")]),
        events=events.map(lambda found: [e for e in found.items if e.status == "published"]),
        offering_id=offering_id,
        slots=slots,
        days=slots.map(lambda found: slots_by_day(found.items, found.time_zone)),
        visits=begun.map(lambda found: slots_by_day([s for s in found.items if s.remaining > 0], found.time_zone)),
        day_label=lambda d: day_label(d, visitor.t),
        can_check_in=lambda b: can_check_in(
            b.status, b.site_id, site_id, b.session.starts_at, b.session.ends_at, services.clock()
        ),
        today=today_local,
        errors=errors or (refusal if refused_form == "book" else FormErrors()),
        residency_errors=residency_errors or (refusal if refused_form == "residency" else FormErrors()),
        refusals={refused_form: refusal},
        no_errors=FormErrors(),
        new_key=new_key,
        form=form or {k: v for k, v in asked.items() if k in ("starts_on", "ends_on", "space_id")},
    )


@router.get("/sites/{site_id}/members/{member_id}", response_class=HTMLResponse)
async def member_detail(request: Request, services: Clients, site_id: str, member_id: str) -> HTMLResponse:
    return await member_page(request, services, site_id, member_id, staff_at(request, site_id))
