"""The insights API under /v1: KPIs as JSON, CSV, and one SVG chart per KPI, for staff.

`from`/`to` are inclusive local dates (default: the last 30 days to today); `as_of` (a date
= the end of that day in UTC, or an RFC 3339 instant) shows the KPIs as they stood then;
`site_id` narrows to one site. KPIs are site data, seen by the kit's one rule (`Scope`):
admins and services see every site and, naming none, the network; a front desk its own
sites only (another `site_id` is 403; naming none, its sites together); members 403.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from insights.domain import charts
from insights.domain.facts import end_of_day
from insights.domain.kpis import BY_NAME, DEFINITIONS, Scope, rows
from insights.service_layer.kpis import Kpis
from parkgrid.api.insights import KpiReport
from parkgrid.contracts.common import Id
from parkgrid.http import access
from parkgrid.http.access import Scoped, StaffOrService, component
from parkgrid.http.problems import Forbidden, InvalidInput, NotFound, problems
from parkgrid.inputs import Day, in_calendar, in_calendar_instant

MAX_RANGE_DAYS = 3660
DEFAULT_RANGE_DAYS = 30

router = APIRouter(prefix="/v1", tags=["kpis"])
KpiQueries = Annotated[Kpis, component(Kpis)]


def parse_as_of(value: str | None) -> datetime:
    """`as_of` as an instant: a date is the end of that day (UTC), a date-time without offset is UTC.

    Either must lie within the network's calendar (`parkgrid.inputs`), like every date a client sends."""
    if value is None or not value.strip():
        return datetime.now(UTC)
    text = value.strip().replace(" ", "+")  # an unencoded "+01:00" arrives as " 01:00"
    try:
        if len(text) == 10:
            return end_of_day(in_calendar(date.fromisoformat(text)))
        moment = datetime.fromisoformat(text)
        return in_calendar_instant(moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC))
    except ValueError as exc:
        problem = str(exc) if str(exc).startswith(("a date", "an instant")) else AS_OF_FORMAT
        raise InvalidInput(f"as_of: {problem}", field="as_of") from None


AS_OF_FORMAT = "as_of must be a date (YYYY-MM-DD) or an RFC 3339 date-time"


def sites_seen(caller: access.Scope, site_id: str | None) -> tuple[str | None, frozenset[str] | None]:
    """The site (or sites) the caller's KPIs cover, by the kit's one rule of what a caller sees.

    A named site must be one the caller sees (403 otherwise: KPIs are the site's data); with
    none named, those who see everything get the network, a front desk its own sites."""
    if site_id is not None:
        if not caller.sees(site_id=site_id):
            raise Forbidden(f"you see the KPIs of your own sites only, not of {site_id}", field="site_id")
        return site_id, None
    return None, caller.sites


async def scope_of(
    principal: StaffOrService,
    caller: Scoped,
    site_id: Annotated[Id | None, Query(description="One site; else the network, or a desk's sites.")] = None,
    first: Annotated[Day | None, Query(alias="from", description="First local date, inclusive.")] = None,
    last: Annotated[Day | None, Query(alias="to", description="Last local date, inclusive.")] = None,
    as_of: Annotated[str | None, Query(description="The KPIs as they stood then (date or date-time).")] = None,
) -> Scope:
    site_id, sites = sites_seen(caller, site_id)
    last = last or datetime.now(UTC).date()
    first = first or last - timedelta(days=DEFAULT_RANGE_DAYS - 1)
    if first > last:
        raise InvalidInput("from must not be after to", field="from")
    if (last - first).days >= MAX_RANGE_DAYS:
        raise InvalidInput(f"a range covers at most {MAX_RANGE_DAYS} days", field="to")
    return Scope(first=first, last=last, as_of=parse_as_of(as_of), site_id=site_id, sites=sites)


ScopeQuery = Annotated[Scope, Depends(scope_of)]


def describe(scope: Scope) -> dict[str, Any]:
    return {
        "site_id": scope.site_id,
        "sites": sorted(scope.sites) if scope.sites is not None else None,
        "from": scope.first.isoformat(),
        "to": scope.last.isoformat(),
        "as_of": scope.as_of.isoformat(),
    }


@router.get("/kpis", response_model=KpiReport, responses=problems(403))
async def get_kpis(scope: ScopeQuery, queries: KpiQueries) -> dict[str, Any]:
    """Every KPI for the scope, with the units the charts use."""
    kpis = await queries.for_scope(scope)
    return {
        **describe(scope),
        "kpis": kpis,
        "definitions": [
            {"name": d.name, "unit": d.unit, "title": {"en": d.title_en, "fr": d.title_fr}} for d in DEFINITIONS
        ],
    }


@router.get(
    "/kpis.csv",
    response_class=Response,
    responses={**problems(403), 200: {"content": {"text/csv": {}}, "description": "One row per KPI value."}},
)
async def get_kpis_csv(scope: ScopeQuery, queries: KpiQueries) -> Response:
    """One row per KPI (and per breakdown key): site_id, from, to, as_of, kpi, dimension, value."""
    kpis = await queries.for_scope(scope)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["site_id", "from", "to", "as_of", "kpi", "dimension", "value"])
    head = [scope.label, scope.first.isoformat(), scope.last.isoformat(), scope.as_of.isoformat()]
    for kpi, dimension, value in rows(kpis):
        shown = "" if value is None else round(value, 6) if isinstance(value, float) else value
        writer.writerow([*head, kpi, dimension, shown])
    filename = f"kpis-{scope.label}-{scope.first}-{scope.last}.csv"
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/kpis/{kpi}.svg",
    response_class=Response,
    responses={**problems(403, 404), 200: {"content": {"image/svg+xml": {}}, "description": "An SVG bar chart."}},
)
async def get_kpi_chart(kpi: str, scope: ScopeQuery, queries: KpiQueries) -> Response:
    """One KPI as an SVG bar chart, to embed with <img src=...>."""
    if kpi not in BY_NAME:
        raise NotFound(f"no KPI named {kpi!r}; known: {', '.join(BY_NAME)}", field="kpi")
    kpis = await queries.for_scope(scope)
    subtitle = f"{scope.label} · {scope.first} → {scope.last} · as of {scope.as_of:%Y-%m-%d %H:%M} UTC"
    return Response(
        charts.render(kpi, kpis[kpi], subtitle),
        media_type="image/svg+xml",
        headers={"Cache-Control": "private, max-age=60"},
    )
