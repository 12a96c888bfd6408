"""Spaces' visitors as the web app calls them: a member's guests from a day on, a site's day for
the desk, inviting (with the form's Idempotency-Key: a double submit is one visit) and the steps
of a visit (arrive, leave, cancel). Answers are parsed into `parkgrid.api.spaces`' read models."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from frontdesk.adapters.commands import command
from frontdesk.adapters.services import Spaces
from parkgrid.api.spaces import VisitList, VisitRead

STEPS = ("arrive", "leave", "cancel")


async def guests_of(spaces: Spaces, token: str, member_id: str, first: date) -> VisitList:
    return await spaces.read(VisitList, "/v1/visits", token, member_id=member_id, **{"from": first.isoformat()})


async def expected_at(spaces: Spaces, token: str, site_id: str, day: date) -> VisitList:
    return await spaces.read(VisitList, f"/v1/sites/{site_id}/visits", token, date=day.isoformat())


async def visit(spaces: Spaces, token: str, visit_id: str) -> VisitRead:
    return await spaces.read(VisitRead, f"/v1/visits/{visit_id}", token)


async def invite(
    spaces: Spaces, token: str, member_id: str, form: Mapping[str, str], key: str | None, **chosen: str
) -> VisitRead:
    """A guest as the form says (site, day, name, company, time; the host for the desk), for
    `member_id`; what the page decides itself (the desk's site) in `chosen`. Empty optional fields
    are sent as none."""
    body: dict[str, Any] = {
        "site_id": form.get("site_id", ""),
        "member_id": member_id,
        "day": form.get("day", ""),
        "guest_name": form.get("guest_name", ""),
        "guest_company": form.get("guest_company") or None,
        "expected_at": form.get("expected_at") or None,
        **({"host_person_id": form["host_person_id"]} if "host_person_id" in form else {}),
        **chosen,
    }
    path = "/v1/visits"
    return spaces.parse(VisitRead, await command(spaces, path, token, body, key), path)


async def step(spaces: Spaces, token: str, visit_id: str, name: str) -> VisitRead:
    """`arrive`, `leave` or `cancel` (a step the visit made already answers it as it is)."""
    path = f"/v1/visits/{visit_id}/{name}"
    return spaces.parse(VisitRead, await command(spaces, path, token, {}), path)
