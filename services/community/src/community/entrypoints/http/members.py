"""Member organisations: staff register, search and change them; a member reads its own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import Field

from community import views
from community.adapters.stores import CommunityStore
from community.entrypoints.http.inputs import Cohort, Label, Name, Reason
from community.entrypoints.http.people import PersonIn
from community.entrypoints.http.scope import MAX_LIMIT, IfMatch, MembersService, Store, member_for, members_seen, tag
from community.views import member_read
from parkgrid.api.community import MemberPage, MemberRead
from parkgrid.auth import Principal
from parkgrid.contracts.common import Id, MemberKind, ProgrammeStage
from parkgrid.http.access import CallerOrService, Staff, at_site
from parkgrid.http.idempotency import command_id
from parkgrid.http.models import RequestModel
from parkgrid.http.preconditions import required_version
from parkgrid.http.problems import Conflict, problems
from parkgrid.inputs import Day
from parkgrid.refusals import Refused

router = APIRouter(prefix="/v1", tags=["members"])


class MemberIn(RequestModel):
    member_id: Id | None = None
    name: Name
    kind: MemberKind
    sector: Label
    home_site_id: Id
    stage: ProgrammeStage = ProgrammeStage.PRE_INCUBATION
    cohort: Cohort | None = None
    started_on: Day | None = None
    planned_end_on: Day | None = None
    people: list[PersonIn] = Field(default_factory=list, max_length=100)


class MemberPatch(RequestModel):
    name: Name | None = None
    kind: MemberKind | None = None
    sector: Label | None = None
    home_site_id: Id | None = None
    cohort: Cohort | None = None
    planned_end_on: Day | None = None


class StageIn(RequestModel):
    stage: ProgrammeStage
    cohort: Cohort | None = None
    planned_end_on: Day | None = None


class LeaveIn(RequestModel):
    reason: Reason | None = None
    on: Day | None = None


async def home_site(store: CommunityStore, principal: Principal, site_id: str) -> None:
    """A home site the store knows (422 on `home_site_id`) and the front desk works at (403)."""
    if await store.sites.get(site_id) is None:
        raise Refused.invalid(f"there is no site {site_id}", field="home_site_id")
    at_site(principal, site_id)


@router.post("/members", status_code=201, response_model=MemberRead, responses=problems(403, 409))
async def register_member(
    body: MemberIn, request: Request, response: Response, principal: Staff, store: Store, members: MembersService
) -> MemberRead:
    await home_site(store, principal, body.home_site_id)
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
    q: Annotated[Name | None, Query()] = None,
    site_id: Annotated[Id | None, Query()] = None,
    stage: ProgrammeStage | None = None,
    cohort: Annotated[Cohort | None, Query()] = None,
    kind: MemberKind | None = None,
    status: Annotated[str | None, Query(pattern="^(active|left)$")] = None,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
) -> MemberPage:
    """The front desk's search: by name (any part, any case), site, stage, cohort, kind; a front
    desk finds the organisations at home at its sites (naming another site is 403)."""
    if site_id is not None:
        at_site(principal, site_id)
    return await views.search_members(
        store,
        within=members_seen(principal),
        q=q,
        site_id=site_id,
        stage=stage,
        cohort=cohort,
        kind=kind,
        status=status,
        cursor=cursor,
        limit=limit,
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
    store: Store,
    members: MembersService,
    if_match: IfMatch = None,
) -> MemberRead:
    expected = required_version(if_match)
    await member_for(members, member_id, principal)
    if body.home_site_id is not None:
        await home_site(store, principal, body.home_site_id)
    member, version = await members.update(member_id, body.model_dump(exclude_unset=True), expected)
    tag(response, version)
    return member_read(member, version)


@router.post("/members/{member_id}/stage", response_model=MemberRead, responses=problems(403, 404, 409))
async def change_stage(
    member_id: str, body: StageIn, response: Response, principal: Staff, members: MembersService
) -> MemberRead:
    await member_for(members, member_id, principal)
    member, version = await members.change_stage(member_id, body.stage, body.cohort, body.planned_end_on)
    tag(response, version)
    return member_read(member, version)


@router.post("/members/{member_id}/leave", response_model=MemberRead, responses=problems(403, 404, 409))
async def member_leaves(
    member_id: str, response: Response, principal: Staff, members: MembersService, body: LeaveIn | None = None
) -> MemberRead:
    await member_for(members, member_id, principal)
    body = body or LeaveIn()
    member, version = await members.leave(member_id, body.reason, body.on)
    tag(response, version)
    return member_read(member, version)
