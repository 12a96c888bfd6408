"""The insights API under /v1: KPIs as JSON, CSV, and one SVG chart per KPI, for staff.

`from`/`to` are inclusive local dates (default: the last 30 days to today); `as_of` (a date
= the end of that day in UTC, or an RFC 3339 instant) shows the KPIs as they stood then;
`site_id` narrows to one site (default: the whole network). Admins and services see every
site and the network; front-desk staff only their own sites (403 otherwise); members 403.
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
from parkgrid.auth import Role
from parkgrid.contracts.common import Id
from parkgrid.http.access import StaffOrService, component
from parkgrid.http.problems import Forbidden, InvalidInput, NotFound, problems

MAX_RANGE_DAYS = 3660
DEFAULT_RANGE_DAYS = 30

router = APIRouter(prefix="/v1", tags=["kpis"])
KpiQueries = Annotated[Kpis, component(Kpis)]


def parse_as_of(value: str | None) -> datetime:
    if value is None or not value.strip():
        return datetime.now(UTC)
    text = value.strip().replace(" ", "+")  # an unencoded "+01:00" arrives as " 01:00"
    try:
        if len(text) == 10:
            return end_of_day(date.fromisoformat(text))
        moment: datetime = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput("as_of must be a date (YYYY-MM-DD) or an RFC 3339 date-time", field="as_of") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def scope_of(
    principal: StaffOrService,
    site_id: Annotated[Id | None, Query(description="One site; the whole network when absent.")] = None,
    first: Annotated[date | None, Query(alias="from", description="First local date, inclusive.")] = None,
    last: Annotated[date | None, Query(alias="to", description="Last local date, inclusive.")] = None,
    as_of: Annotated[str | None, Query(description="The KPIs as they stood then (date or date-time).")] = None,
) -> Scope:
    if principal.role == Role.FRONT_DESK and (site_id is None or not principal.may_act_at_site(site_id)):
        raise Forbidden("front-desk staff see the KPIs of their own sites: name one in site_id", field="site_id")
    last = last or datetime.now(UTC).date()
    first = first or last - timedelta(days=DEFAULT_RANGE_DAYS - 1)
    if first > last:
        raise InvalidInput("from must not be after to", field="from")
    if (last - first).days >= MAX_RANGE_DAYS:
        raise InvalidInput(f"a range covers at most {MAX_RANGE_DAYS} days", field="to")
    return Scope(first=first, last=last, as_of=parse_as_of(as_of), site_id=site_id)


ScopeQuery = Annotated[Scope, Depends(scope_of)]


def describe(scope: Scope) -> dict[str, Any]:
    return {
        "site_id": scope.site_id,
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
    head = [scope.site_id or "network", scope.first.isoformat(), scope.last.isoformat(), scope.as_of.isoformat()]
    for kpi, dimension, value in rows(kpis):
        shown = "" if value is None else round(value, 6) if isinstance(value, float) else value
        writer.writerow([*head, kpi, dimension, shown])
    filename = f"kpis-{scope.site_id or 'network'}-{scope.first}-{scope.last}.csv"
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
    subtitle = f"{scope.site_id or 'network'} · {scope.first} → {scope.last} · as of {scope.as_of:%Y-%m-%d %H:%M} UTC"
    return Response(
        charts.render(kpi, kpis[kpi], subtitle),
        media_type="image/svg+xml",
        headers={"Cache-Control": "private, max-age=60"},
    )
