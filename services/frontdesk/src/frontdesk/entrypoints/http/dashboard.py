"""The KPI dashboard of staff and admins (issue 24, item 4): insights' KPIs as charts, for a site
or for what the visitor sees together (the network for an admin, a desk's own sites), "as of"
any date (`?as_of=`, a GET form), and the same as CSV through the web app with the visitor's token.

Insights decides what a token may see (a front desk naming another site is 403); a site page
is kept to the desk's own sites here too (`staff_at`). Billing's KPIs (revenue, receivables,
charges) come in the same report, so they are seen by whoever sees it: an admin the network's, a
desk its own sites' (as it sees its members' balances on their billing pages). Insights down costs
the charts and figures only.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from starlette.background import BackgroundTask

from frontdesk.adapters.insights import Insights, KpiQuery
from frontdesk.adapters.services import ServiceProblem, Unavailable
from frontdesk.domain.dashboard import WIDTH, dashboard_of, date_label, period_of
from frontdesk.domain.today import local_date
from frontdesk.entrypoints.http.asked import Asked, asked_status, day_asked
from frontdesk.entrypoints.http.pages import Clients, page, see_other
from frontdesk.entrypoints.http.panels import gather
from frontdesk.entrypoints.http.staff_sites import site_context
from frontdesk.entrypoints.http.visitors import NotAllowed, Visitor, staff_at, visitor_of
from parkgrid.auth import Role
from parkgrid.http.access import component

router = APIRouter(prefix="/staff")

InsightsClient = Annotated[Insights, component(Insights)]


def staff(request: Request) -> Visitor:
    visitor = visitor_of(request)
    if not visitor.is_staff:
        raise NotAllowed("the dashboard is for front-desk staff and admins")
    return visitor


def as_of_asked(request: Request, visitor: Visitor, today: date) -> Asked[date]:
    return day_asked(request, visitor, "as_of", today)


async def dashboard_page(
    request: Request,
    services: Clients,
    insights: Insights,
    visitor: Visitor,
    *,
    site_id: str | None,
    site_name: str | None,
    today: date,
) -> HTMLResponse:
    as_of = as_of_asked(request, visitor, today)
    first, last = period_of(as_of.value)
    query = KpiQuery(site_id, first, last, as_of.value)
    report, sites = await gather(insights.kpis(visitor.token, query), services.spaces.sites(visitor.token))
    names = {s.site_id: s.name for s in sites.data.items} if sites.data else {}
    if visitor.principal.role == Role.ADMIN:
        choices = sorted(names.items(), key=lambda kv: kv[1])
    else:
        choices = [(s, names.get(s, s)) for s in visitor.principal.sites]
    base = f"/staff/sites/{site_id}/dashboard" if site_id else "/staff/dashboard"
    scope = site_name or (visitor.t("portal.network") if visitor.principal.role == Role.ADMIN else None)
    if scope is None:
        scope = ", ".join(name for _, name in choices) or visitor.t("dashboard.your_sites")
    context: dict[str, Any] = {"site_id": site_id} if site_id else {}
    return page(
        request,
        "dashboard.html",
        visitor,
        status_code=asked_status(as_of),
        **context,
        input_error=as_of.error,
        scope=scope,
        report=report,
        board=report.map(lambda r: dashboard_of(r, visitor.t, visitor.language, names)),
        as_of=as_of.value,
        first=first,
        last=last,
        period=visitor.t("dashboard.period", first=date_label(first, visitor.t), last=date_label(last, visitor.t)),
        as_of_label=date_label(as_of.value, visitor.t),
        csv_url=f"{base}.csv?as_of={as_of.value.isoformat()}",
        choices=choices,
        network=visitor.principal.role == Role.ADMIN,
        chart_width=WIDTH,
    )


@router.get("/dashboard", response_class=HTMLResponse)
async def network_dashboard(request: Request, services: Clients, insights: InsightsClient) -> HTMLResponse:
    """The network for an admin, a front desk's own sites together."""
    visitor = staff(request)
    today = local_date(services.clock(), services.default_time_zone)
    return await dashboard_page(request, services, insights, visitor, site_id=None, site_name=None, today=today)


@router.get("/sites/{site_id}/dashboard", response_class=HTMLResponse)
async def site_dashboard(request: Request, services: Clients, insights: InsightsClient, site_id: str) -> HTMLResponse:
    visitor = staff_at(request, site_id)
    site = await site_context(services, visitor, site_id)
    return await dashboard_page(
        request, services, insights, visitor, site_id=site_id, site_name=site.name, today=site.today
    )


async def relayed_csv(
    request: Request, insights: Insights, visitor: Visitor, site_id: str | None, today: date, back: str
) -> Response:
    """Insights' CSV relayed as it streams; a refusal or insights down goes back to the dashboard with a notice."""
    as_of = as_of_asked(request, visitor, today)
    first, last = period_of(as_of.value)
    try:
        download = await insights.kpis_csv(visitor.token, KpiQuery(site_id, first, last, as_of.value))
    except Unavailable as exc:
        notice = visitor.t("unavailable", service=exc.service)
        return see_other(f"{back}?as_of={as_of.value.isoformat()}&notice={quote(notice)}")
    except ServiceProblem as exc:
        notice = visitor.t("error.service", service=exc.service, detail=exc.detail)
        return see_other(f"{back}?as_of={as_of.value.isoformat()}&notice={quote(notice)}")
    return StreamingResponse(
        download.chunks,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": download.disposition, "Cache-Control": "no-store"},
        background=BackgroundTask(download.close),
    )


@router.get("/dashboard.csv")
async def network_csv(request: Request, services: Clients, insights: InsightsClient) -> Response:
    visitor = staff(request)
    today = local_date(services.clock(), services.default_time_zone)
    return await relayed_csv(request, insights, visitor, None, today, "/staff/dashboard")


@router.get("/sites/{site_id}/dashboard.csv")
async def site_csv(request: Request, services: Clients, insights: InsightsClient, site_id: str) -> Response:
    visitor = staff_at(request, site_id)
    site = await site_context(services, visitor, site_id)
    return await relayed_csv(request, insights, visitor, site_id, site.today, f"/staff/sites/{site_id}/dashboard")
