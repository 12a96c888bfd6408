"""Spaces' visitors as the web app calls them: a member's guests from a day on, a site's day for
the desk, inviting (with the form's Idempotency-Key: a double submit is one visit) and the steps
of a visit (arrive, leave, cancel). Answers are parsed into `parkgrid.api.spaces`' read models."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from frontdesk.adapters.member_calls import command
from frontdesk.adapters.services import Spaces
from parkgrid.api.spaces import VisitList, VisitRead

STEPS = ("arrive", "leave", "cancel")


async def guests_of(spaces: Spaces, token: str, member_id: str, first: date) -> VisitList:
    return await spaces.read(VisitList, "/v1/visits", token, member_id=member_id, **{"from": first.isoformat()})


async def expected_at(spaces: Spaces, token: str, site_id: str, day: date) -> VisitList:
    return await spaces.read(VisitList, f"/v1/sites/{site_id}/visits", token, date=day.isoformat())


async def visit(spaces: Spaces, token: str, visit_id: str) -> VisitRead:
    return await spaces.read(VisitRead, f"/v1/visits/{visit_id}", token)


async def invite(spaces: Spaces, token: str, body: Mapping[str, Any], key: str | None) -> VisitRead:
    path = "/v1/visits"
    return spaces.parse(VisitRead, await command(spaces, path, token, body, key), path)


async def step(spaces: Spaces, token: str, visit_id: str, name: str) -> VisitRead:
    """`arrive`, `leave` or `cancel` (a step the visit made already answers it as it is)."""
    path = f"/v1/visits/{visit_id}/{name}"
    return spaces.parse(VisitRead, await command(spaces, path, token, {}), path)
