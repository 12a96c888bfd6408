"""A member's home: the service grid (filtered by site and category, narrowed to what they may
book unless they ask for everything, paged), their bookings (upcoming first, then the history,
each paged by bookings' cursor; a refused one says why), registrations and tickets, waitlist
places named by their offering, entitlements with their balance, the office waitlist, community
events to register for, and the calendar feed link."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from frontdesk.adapters import limit_calls, member_calls
from frontdesk.adapters.services import Services
from frontdesk.domain.member_days import site_name
from frontdesk.entrypoints.http import member_changes, member_events, member_office
from frontdesk.entrypoints.http.asked import asked_status, search_asked
from frontdesk.entrypoints.http.member_day import home_zone
from frontdesk.entrypoints.http.pages import Clients, page, see_other
from frontdesk.entrypoints.http.panels import attempt, gather, notice_after
from frontdesk.entrypoints.http.visitors import Visitor, member_visitor, own
from parkgrid.api.catalogue import OfferingRead
from parkgrid.contracts.catalogue import OfferingCategory

router = APIRouter(prefix="/member")
router.include_router(member_changes.router)
router.include_router(member_office.router)
router.include_router(member_events.router)

GRID_PAGE = 12
BOOKINGS_PAGE = 10
CATEGORIES = [c.value for c in OfferingCategory]


async def site_names(services: Services, visitor: Visitor) -> dict[str, str]:
    """Site names from the web app's own projection of `spaces.site` (spaces' list is staff-only);
    a staff visitor's read of spaces fills what the projection has not learnt yet."""
    names = await services.sites.names() if services.sites else {}
    if visitor.is_staff:
        sites = await attempt(services.spaces.sites(visitor.token))
        if sites.data:
            names = {s.site_id: s.name for s in sites.data.items} | names
    return names


async def offering_titles(services: Services, visitor: Visitor, ids: set[str]) -> dict[str, OfferingRead]:
    """The offerings a list names by id (waitlist places), read once each."""
    found = await gather(*(services.catalogue.offering(visitor.token, i) for i in sorted(ids)))
    return {p.data.id: p.data for p in found if p.data is not None}


def filters_of(request: Request) -> dict[str, str]:
    """The grid's filters as asked: a known category, a site id, `everything` to see beyond eligibility."""
    asked = request.query_params
    category = asked.get("category", "")
    return {
        "site": asked.get("site", "").strip()[:100],
        "category": category if category in CATEGORIES else "",
        "everything": "true" if asked.get("everything") == "true" else "",
    }


def grid_query(request: Request, filters: dict[str, str], query: str | None, member_id: str) -> dict[str, Any]:
    """The catalogue's query for one page of the grid: narrowed to what the member may book
    unless they asked for everything."""
    grid: dict[str, Any] = {"limit": GRID_PAGE, "q": query or None, "cursor": request.query_params.get("cursor")}
    grid |= {"site": filters["site"] or None, "category": filters["category"] or None}
    if not filters["everything"]:
        grid |= {"member_id": member_id, "eligible": "true"}
    return grid


def link(request: Request, **changes: str | None) -> str:
    """This page's address with some parameters changed (None drops one): the "more" links."""
    params = {k: v for k, v in request.query_params.items() if k != "notice"}
    for name, value in changes.items():
        if value is None:
            params.pop(name, None)
        else:
            params[name] = value
    return "/member?" + urlencode(params) if params else "/member"


@router.get("", response_class=HTMLResponse)
async def home(request: Request, services: Clients) -> HTMLResponse:
    visitor = member_visitor(request)
    member_id, person_id = own(visitor)
    asked = search_asked(request, visitor)
    query = asked.value
    filters = filters_of(request)
    now = services.clock()
    upcoming_at = request.query_params.get("upcoming") or None
    past_at = request.query_params.get("past") or None
    (
        member,
        grid,
        sites_listed,
        upcoming,
        past,
        waitlist,
        entitlements,
        events,
        registrations,
        feed,
        office,
        usage,
    ) = await gather(
        services.community.member(visitor.token, member_id),
        services.catalogue.offerings(visitor.token, **grid_query(request, filters, query, member_id)),
        services.catalogue.offerings(visitor.token, member_id=member_id, eligible="true", limit=100),
        services.bookings.bookings(
            visitor.token, member_id=member_id, limit=BOOKINGS_PAGE, cursor=upcoming_at, **{"from": now.isoformat()}
        ),
        services.bookings.bookings(
            visitor.token,
            member_id=member_id,
            limit=BOOKINGS_PAGE,
            cursor=past_at,
            to=now.isoformat(),
            newest_first="true",
        ),
        services.bookings.waitlist(visitor.token, member_id),
        services.bookings.entitlements(visitor.token, member_id),
        services.community.events(visitor.token, status="published", **{"from": now.isoformat()}, limit=20),
        services.community.registrations(visitor.token, member_id=member_id),
        services.bookings.calendar_feed(visitor.token, member_id),
        member_calls.office_entries(services.spaces, visitor.token, member_id),
        limit_calls.member_limits(services.bookings, visitor.token, member_id),
    )
    names = await site_names(services, visitor)
    zone = await home_zone(services, visitor, member)
    waiting_ids = {w.offering_id for w in waitlist.data.items} if waitlist.data else set()
    waiting_for = await offering_titles(services, visitor, waiting_ids)
    site_ids = {o.site_id for o in sites_listed.data.items if o.site_id} if sites_listed.data else set()
    if member.data:
        site_ids.add(member.data.home_site_id)
    if filters["site"] and filters["site"] != "network":
        site_ids.add(filters["site"])
    registered = (
        {r.event_id: r for r in registrations.data.items if r.status != "cancelled"} if registrations.data else {}
    )
    return page(
        request,
        "member_home.html",
        visitor,
        member=member,
        grid=grid,
        upcoming=upcoming,
        past=past,
        waitlist=waitlist,
        waiting_for=waiting_for,
        entitlements=entitlements,
        limits=usage,
        events=events,
        registrations=registrations,
        registered=registered,
        feed=feed,
        office=office,
        query=query,
        filters=filters,
        categories=CATEGORIES,
        sites=sorted(((s, site_name(s, names, visitor.t)) for s in site_ids), key=lambda pair: pair[1]),
        names=names,
        site_name=lambda s: site_name(s, names, visitor.t),
        zone=zone,
        more=lambda **changes: link(request, **changes),
        person_id=person_id,
        office_key=str(uuid.uuid4()),
        export_key=str(uuid.uuid4()),
        status_code=asked_status(asked),
        input_error=asked.error,
    )


@router.post("/waitlist/{entry_id}/leave")
async def leave_waitlist(request: Request, services: Clients, entry_id: str) -> Response:
    """Give up a place in line (bookings says no, 409, once it is no longer waiting)."""
    visitor = member_visitor(request)
    left = visitor.t("waitlist.left")
    notice = await notice_after(services.bookings.leave_waitlist(visitor.token, entry_id), visitor, left)
    return see_other(f"/member?notice={quote(notice)}#waitlist")
