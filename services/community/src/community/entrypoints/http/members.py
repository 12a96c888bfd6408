"""Member organisations: staff register, search and change them; a member reads its own."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import Field

from community import views
from community.entrypoints.http.people import PersonIn
from community.entrypoints.http.scope import MAX_LIMIT, MembersService, Store, member_for, staff_member, tag
from community.views import member_read
from parkgrid.api.community import MemberPage, MemberRead
from parkgrid.contracts.common import Id, MemberKind, ProgrammeStage
from parkgrid.http.access import CallerOrService, Staff, at_site
from parkgrid.http.idempotency import command_id
from parkgrid.http.models import RequestModel
from parkgrid.http.preconditions import required_version
from parkgrid.http.problems import Conflict, problems
from parkgrid.refusals import Refused

router = APIRouter(prefix="/v1", tags=["members"])


class MemberIn(RequestModel):
    member_id: Id | None = None
    name: str = Field(min_length=1, max_length=200)
    kind: MemberKind
    sector: str = Field(min_length=1, max_length=100)
    home_site_id: Id
    stage: ProgrammeStage = ProgrammeStage.PRE_INCUBATION
    cohort: str | None = Field(None, max_length=50)
    started_on: date | None = None
    planned_end_on: date | None = None
    people: list[PersonIn] = Field(default_factory=list, max_length=100)


class MemberPatch(RequestModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    kind: MemberKind | None = None
    sector: str | None = Field(None, min_length=1, max_length=100)
    home_site_id: Id | None = None
    cohort: str | None = Field(None, max_length=50)
    planned_end_on: date | None = None


class StageIn(RequestModel):
    stage: ProgrammeStage
    cohort: str | None = Field(None, max_length=50)
    planned_end_on: date | None = None


class LeaveIn(RequestModel):
    reason: str | None = Field(None, max_length=500)
    on: date | None = None


@router.post("/members", status_code=201, response_model=MemberRead, responses=problems(403, 409))
async def register_member(
    body: MemberIn, request: Request, response: Response, principal: Staff, store: Store, members: MembersService
) -> MemberRead:
    if await store.sites.get(body.home_site_id) is None:
        raise Refused.invalid(f"there is no site {body.home_site_id}", field="home_site_id")
    at_site(principal, body.home_site_id)
    key = request.headers.get("idempotency-key")
    member_id = body.member_id or "member-" + command_id(f"community.member:{principal.subject}", key)[:18]
    people = [
        p.person("person-" + command_id(f"{member_id}:{i}:{p.email}", key)[:18]) for i, p in enumerate(body.people)
    ]
    member, version, created = await members.register(
        member_id,
        **body.model_dump(include={"name", "kind", "sector", "home_site_id", "stage", "cohort"}),
        started_on=body.started_on,
        planned_end_on=body.planned_end_on,
        people=people,
    )
    if not created and body.member_id is not None and key is None:
        raise Conflict(f"there is already a member {member_id}", field="member_id")
    response.headers["Location"] = f"/v1/members/{member_id}"
    tag(response, version)
    return member_read(member, version)


@router.get("/members", response_model=MemberPage, responses=problems(403))
async def search_members(
    principal: Staff,
    store: Store,
    q: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    site_id: Annotated[str | None, Query(max_length=100)] = None,
    stage: ProgrammeStage | None = None,
    cohort: Annotated[str | None, Query(max_length=50)] = None,
    kind: MemberKind | None = None,
    status: Annotated[str | None, Query(pattern="^(active|left)$")] = None,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
) -> MemberPage:
    """The front desk's search: by name (any part, any case), site, stage, cohort, kind."""
    return await views.search_members(
        store, q=q, site_id=site_id, stage=stage, cohort=cohort, kind=kind, status=status, cursor=cursor, limit=limit
    )


@router.get("/members/{member_id}", response_model=MemberRead, responses=problems(403, 404))
async def get_member(
    member_id: str, response: Response, principal: CallerOrService, members: MembersService
) -> MemberRead:
    member, version = await member_for(members, member_id, principal)
    tag(response, version)
    return member_read(member, version)


@router.patch("/members/{member_id}", response_model=MemberRead, responses=problems(403, 404, 409, 412, 428))
async def update_member(
    member_id: str,
    body: MemberPatch,
    response: Response,
    principal: Staff,
    members: MembersService,
    if_match: Annotated[str | None, Header()] = None,
) -> MemberRead:
    expected = required_version(if_match)
    await staff_member(members, member_id, principal)
    member, version = await members.update(member_id, body.model_dump(exclude_unset=True), expected)
    tag(response, version)
    return member_read(member, version)


@router.post("/members/{member_id}/stage", response_model=MemberRead, responses=problems(403, 404, 409))
async def change_stage(
    member_id: str, body: StageIn, response: Response, principal: Staff, members: MembersService
) -> MemberRead:
    await staff_member(members, member_id, principal)
    member, version = await members.change_stage(member_id, body.stage, body.cohort, body.planned_end_on)
    tag(response, version)
    return member_read(member, version)


@router.post("/members/{member_id}/leave", response_model=MemberRead, responses=problems(403, 404, 409))
async def member_leaves(
    member_id: str, response: Response, principal: Staff, members: MembersService, body: LeaveIn | None = None
) -> MemberRead:
    await staff_member(members, member_id, principal)
    body = body or LeaveIn()
    member, version = await members.leave(member_id, body.reason, body.on)
    tag(response, version)
    return member_read(member, version)
