"""Day passes: a member's day in a hot-desk area, within its places."""

from __future__ import annotations

from fastapi import APIRouter, Response

from parkgrid.api.spaces import DayPassRead
from parkgrid.auth import Role
from parkgrid.contracts.common import Id
from parkgrid.http.access import Caller, acts_for
from parkgrid.http.models import RequestModel
from parkgrid.http.params import PathId
from parkgrid.http.problems import problems
from parkgrid.inputs import Day
from parkgrid.refusals import Refused
from spaces.entrypoints.http.deps import DayPassCounts, DayPassesPart, Store, in_scope, named_site
from spaces.service_layer.day_passes import CheckIn
from spaces.views import public

router = APIRouter(prefix="/v1", tags=["day passes"])


class DayPassIn(RequestModel):
    site_id: Id
    space_id: Id
    member_id: Id
    person_id: Id
    day: Day


@router.post("/day-passes", status_code=201, response_model=DayPassRead, responses=problems(403, 409))
async def check_in(
    body: DayPassIn, response: Response, principal: Caller, store: Store, passes: DayPassesPart
) -> dict[str, object]:
    """201 with a new pass; 200 with the person's pass when they had it already."""
    acts_for(principal, body.member_id, "members check in only themselves", field="member_id")
    if principal.role == Role.MEMBER and principal.person_id not in (None, body.person_id):
        raise Refused.forbidden("members check in only themselves")
    await named_site(store, principal, body.site_id)
    issued, new = await passes.issue(CheckIn(body.site_id, body.space_id, body.member_id, body.person_id, body.day))
    if not new:
        response.status_code = 200
    response.headers["Location"] = f"/v1/day-passes/{issued['day_pass_id']}"
    return public(issued)


@router.get("/day-passes/{day_pass_id}", response_model=DayPassRead, responses=problems(403, 404))
async def get_day_pass(day_pass_id: PathId, principal: Caller, counts: DayPassCounts) -> dict[str, object]:
    """A pass of the caller's organisation, or (for a front desk) of its sites; any other is not found."""
    return public(in_scope(await counts.passes.get(day_pass_id), principal, f"day pass {day_pass_id}"))
