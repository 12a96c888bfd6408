"""The front desk's site: the page to pick one, and what every site page knows of it (name,
time zone, the day shown)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from frontdesk.adapters.services import Services
from frontdesk.domain.today import local_date
from frontdesk.entrypoints.http.asked import Asked, day_asked
from frontdesk.entrypoints.http.pages import Clients, page, see_other
from frontdesk.entrypoints.http.panels import attempt
from frontdesk.entrypoints.http.visitors import Visitor, visitor_of
from parkgrid.auth import Role

router = APIRouter(prefix="/staff")


def day_bounds(day: date, time_zone: str) -> tuple[str, str]:
    zone = ZoneInfo(time_zone)
    start = datetime.combine(day, time(0), zone)
    return start.isoformat(), datetime.combine(day + timedelta(days=1), time(0), zone).isoformat()


@dataclass(frozen=True)
class DeskSite:
    """The site a staff page is about, as every such page shows it."""

    site_id: str
    name: str
    time_zone: str
    today: date
    """The date on the site's clock now (the service clients' clock)."""
    names: Mapping[str, str] = field(default_factory=dict)
    """Every site's name by id (the web app's projection), for the other sites a page mentions."""

    def context(self) -> dict[str, Any]:
        return {"site_id": self.site_id, "site_name": self.name, "time_zone": self.time_zone, "site_names": self.names}


async def site_context(services: Services, visitor: Visitor, site_id: str) -> DeskSite:
    """The site's name and time zone (from spaces; if spaces is down, from the web app's projection of
    `spaces.site`, else its id and the network's default zone), and every site's name."""
    site = await attempt(services.spaces.site(visitor.token, site_id))
    names = await services.sites.names() if services.sites else {}
    if site.data:
        name, zone = site.data.name, site.data.time_zone
    else:
        known_zone = await services.sites.time_zone(site_id) if services.sites else None
        name, zone = names.get(site_id, site_id), known_zone or services.default_time_zone
    return DeskSite(site_id, name, zone, local_date(services.clock(), zone), names)


def chosen_day(request: Request, visitor: Visitor, site: DeskSite) -> Asked[date]:
    """The day in `?date=` (the site's today when absent, or refused with a message)."""
    return day_asked(request, visitor, "date", site.today)


@router.get("/sites", response_class=HTMLResponse)
async def pick_site(request: Request, services: Clients) -> Response:
    visitor = visitor_of(request)
    if not visitor.is_staff:
        return see_other("/member")
    sites = await attempt(services.spaces.sites(visitor.token))
    if sites.data:
        known = {s.site_id: s.name for s in sites.data.items}
    else:  # spaces is down: the names the web app keeps from `spaces.site`
        known = dict(await services.sites.names()) if services.sites else {}
    if visitor.principal.role == Role.ADMIN:
        choices = list(known.items())
    else:
        choices = [(s, known.get(s, s)) for s in visitor.principal.sites]
    return page(request, "staff_sites.html", visitor, sites=choices, spaces_panel=sites)
