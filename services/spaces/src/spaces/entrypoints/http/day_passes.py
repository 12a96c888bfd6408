"""Day passes: a member's day in a hot-desk area, within its places."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Response

from parkgrid.api.spaces import DayPassRead
from parkgrid.auth import Role
from parkgrid.contracts.common import Id
from parkgrid.http.access import Caller
from parkgrid.http.models import RequestModel
from parkgrid.http.problems import problems
from parkgrid.refusals import Refused
from spaces.entrypoints.http.deps import DayPassesPart, Store, named_site
from spaces.service_layer.day_passes import CheckIn
from spaces.views import public

router = APIRouter(prefix="/v1", tags=["day passes"])


class DayPassIn(RequestModel):
    site_id: Id
    space_id: Id
    member_id: Id
    person_id: Id
    day: date


@router.post("/day-passes", status_code=201, response_model=DayPassRead, responses=problems(403, 409))
async def check_in(
    body: DayPassIn, response: Response, principal: Caller, store: Store, passes: DayPassesPart
) -> dict[str, object]:
    """201 with a new pass; 200 with the person's pass when they had it already."""
    if not principal.may_act_for_member(body.member_id) or (
        principal.role == Role.MEMBER and principal.person_id not in (None, body.person_id)
    ):
        raise Refused.forbidden("members check in only themselves")
    await named_site(store, principal, body.site_id)
    issued, new = await passes.issue(CheckIn(body.site_id, body.space_id, body.member_id, body.person_id, body.day))
    if not new:
        response.status_code = 200
    response.headers["Location"] = f"/v1/day-passes/{issued['day_pass_id']}"
    return public(issued)
