"""The audit trail under /v1/audit, for admins: who changed what, when, newest first.

By object (`object_id`: an offering's, site's, space's, residency's, member's or event's id),
by actor (`actor`: `<role>:<subject>`, or `service:<name>`), by kind, or all of them; each
change lists the fields it changed with their values before and after.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from insights.adapters.audit import trail
from insights.adapters.projection import InsightsStore, aware
from insights.domain.audit import kind_of
from parkgrid.api.insights import AuditChange, AuditEntry, AuditPage
from parkgrid.contracts.common import Id
from parkgrid.http.access import Admin, component
from parkgrid.http.problems import problems

router = APIRouter(prefix="/v1", tags=["audit"])
Store = Annotated[InsightsStore, component(InsightsStore)]
Kind = Literal["offering", "site", "space", "residency", "member", "event"]
"""`insights.domain.audit.KINDS`, spelled out for the OpenAPI (a unit test keeps them equal)."""


@router.get("/audit", response_model=AuditPage, responses=problems(403, 422))
async def audit_trail(
    principal: Admin,
    store: Store,
    object_id: Annotated[Id | None, Query()] = None,
    actor: Annotated[str | None, Query(max_length=200, pattern=r"^[a-z_]+:\S+$")] = None,
    kind: Kind | None = None,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> AuditPage:
    """Changes newest first; `next_cursor` pages to older ones."""
    found, following = await trail(store, subject=object_id, actor=actor, kind=kind, cursor=cursor, limit=limit)
    return AuditPage(
        items=[
            AuditEntry(
                event_id=fact["_id"],
                type=fact["type"],
                kind=kind_of(fact["type"]),
                object_id=fact["subject"],
                time=aware(fact["time"]),
                actor=fact.get("actor"),
                changes=[AuditChange(field=c.field, before=c.before, after=c.after) for c in changed],
            )
            for fact, changed in found
        ],
        next_cursor=following,
    )
