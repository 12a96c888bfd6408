"""The front desk's site: the page to pick one, and what every site page knows of it (name,
time zone, the day shown)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from frontdesk.adapters.services import Services
from frontdesk.entrypoints.http.pages import (
    Clients,
    Visitor,
    attempt,
    page,
    see_other,
    visitor_of,
)
from parkgrid.auth import Role

router = APIRouter(prefix="/staff")


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
