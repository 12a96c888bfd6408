"""People of a member organisation: they join and leave (kept among `former_people`), and an
admin erases one at their request (nothing of them kept but their id)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from community.entrypoints.http.inputs import Label, Name
from community.entrypoints.http.scope import MembersService, member_for, tag
from community.views import member_read
from parkgrid.api.community import MemberRead, MemberWithPersonRead
from parkgrid.contracts.common import Email, Id, Language
from parkgrid.contracts.community import Person
from parkgrid.http.access import Admin, Staff
from parkgrid.http.idempotency import command_id
from parkgrid.http.models import RequestModel
from parkgrid.http.problems import problems

router = APIRouter(prefix="/v1", tags=["members"])


class PersonIn(RequestModel):
    person_id: Id | None = None
    name: Name
    email: Email
    role: Label
    language: Language = Language.FR

    def person(self, default_id: str) -> Person:
        return Person(
            person_id=self.person_id or default_id,
            name=self.name,
            email=self.email,
            role=self.role,
            language=self.language,
        )


@router.post(
    "/members/{member_id}/people",
    status_code=201,
    response_model=MemberWithPersonRead,
    responses=problems(403, 404, 409),
)
async def add_person(
    member_id: str, body: PersonIn, request: Request, response: Response, principal: Staff, members: MembersService
) -> MemberWithPersonRead:
    await member_for(members, member_id, principal)
    key = request.headers.get("idempotency-key")
    person = body.person("person-" + command_id(f"{member_id}:{body.email}", key)[:18])
    member, version = await members.add_person(member_id, person)
    response.headers["Location"] = f"/v1/members/{member_id}"
    tag(response, version)
    return MemberWithPersonRead(**member_read(member, version).model_dump(), person=person)


@router.post(
    "/members/{member_id}/people/{person_id}/leave", response_model=MemberRead, responses=problems(403, 404, 409)
)
async def person_leaves(
    member_id: str, person_id: str, response: Response, principal: Staff, members: MembersService
) -> MemberRead:
    await member_for(members, member_id, principal)
    member, version = await members.remove_person(member_id, person_id)
    tag(response, version)
    return member_read(member, version)


@router.post(
    "/members/{member_id}/people/{person_id}/erase",
    response_model=MemberRead,
    responses=problems(403, 404, 409),
)
async def erase_person(
    member_id: str, person_id: str, response: Response, principal: Admin, members: MembersService
) -> MemberRead:
    """Erase someone at their request: community forgets them and publishes
    `community.member.person_erased`, on which every service forgets its copies. Erasing an
    erased person changes nothing (200, same version)."""
    await member_for(members, member_id, principal)
    member, version = await members.erase_person(member_id, person_id)
    tag(response, version)
    return member_read(member, version)


@router.post("/members/{member_id}/erase", response_model=MemberRead, responses=problems(403, 404, 409))
async def erase_everyone(member_id: str, response: Response, principal: Admin, members: MembersService) -> MemberRead:
    """An organisation that left asks to be forgotten: each of its people is erased
    (`person_erased` for each); the organisation itself (a legal entity) stays, with its name.
    While it is in the programme: 409."""
    await member_for(members, member_id, principal)
    member, version = await members.erase_everyone(member_id)
    tag(response, version)
    return member_read(member, version)
