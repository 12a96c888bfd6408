"""The audit trail for admins (issue 22, item 4): who changed what, when, read from insights'
`GET /v1/audit` with the admin's own token.

A GET form filters by object, actor and kind; each change shows who made it (a person by role,
or a service's own work), when (the network's zone), and the fields it changed, before and
after; "Older changes" follows insights' cursor. Object ids and actors link to their own trail.
"""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from frontdesk.adapters.insights import AuditQuery, Insights
from frontdesk.entrypoints.http.pages import Clients, page
from frontdesk.entrypoints.http.panels import attempt
from frontdesk.entrypoints.http.visitors import NotAllowed, visitor_of
from parkgrid.auth import Role
from parkgrid.http.access import component

router = APIRouter(prefix="/staff")

InsightsClient = Annotated[Insights, component(Insights)]
KINDS = ("offering", "site", "space", "residency", "member", "event")


@router.get("/audit", response_class=HTMLResponse)
async def audit_trail(request: Request, services: Clients, insights: InsightsClient) -> HTMLResponse:
    visitor = visitor_of(request)
    if visitor.principal.role != Role.ADMIN:
        raise NotAllowed("the audit trail is for admins")
    asked = {name: (request.query_params.get(name) or "").strip() or None for name in AuditQuery.FILTERS}
    kind = asked["kind"] if asked["kind"] in KINDS else None
    query = AuditQuery(asked["object_id"], asked["actor"], kind, request.query_params.get("cursor") or None)
    trail = await attempt(insights.audit(visitor.token, query))
    zone = ZoneInfo(services.default_time_zone)
    return page(
        request,
        "audit.html",
        visitor,
        status_code=200 if trail.ok or trail.unavailable else 422,
        trail=trail,
        query=query,
        kinds=KINDS,
        local=lambda moment: moment.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        actor_of=actor_of,
        older=query.older(trail.data.next_cursor) if trail.data else None,
    )


def actor_of(actor: str | None) -> tuple[str, str]:
    """An event's actor as (role, who): `admin:a-1` → ("admin", "a-1"); none recorded → ("", "")."""
    if not actor or ":" not in actor:
        return "", actor or ""
    role, who = actor.split(":", 1)
    return role, who
