"""Visitors: a member registers a guest for a day at a site; the site's desk sees the day's
expected guests and checks them in and out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import Field

from parkgrid.api.spaces import VisitList, VisitRead
from parkgrid.auth import Principal, Role
from parkgrid.contracts.common import ID_PATTERN, Actor, Id, LocalTime
from parkgrid.http.access import Caller, Scope, Staff, acts_for, component
from parkgrid.http.idempotency import command_id
from parkgrid.http.models import RequestModel
from parkgrid.http.params import PathId
from parkgrid.http.problems import problems
from parkgrid.inputs import Day, Text
from parkgrid.refusals import Refusal, Refused
from parkgrid.store import Document
from spaces.adapters.visits import VisitStore
from spaces.domain.visits import Visit
from spaces.entrypoints.http.deps import Members, Store, in_scope, named_site, site_in_scope
from spaces.service_layer.visits import Visits
from spaces.views import public

router = APIRouter(prefix="/v1", tags=["visitors"])

VisitsPart = Annotated[Visits, component(Visits)]
VisitRecords = Annotated[VisitStore, component(VisitStore)]
Name = Annotated[Text, Field(min_length=1, max_length=200)]


class VisitIn(RequestModel):
    site_id: Id
    day: Day = Field(description="The day of the visit, on the site's clock.")
    member_id: Id = Field(description="The host organisation.")
    host_person_id: Id | None = Field(None, description="The host; a member's token's own person by default.")
    guest_name: Name = Field(description="Personal data: kept for a limited time after the day.")
    guest_company: Annotated[Text, Field(max_length=200)] | None = None
    expected_at: LocalTime | None = None


def actor(principal: Principal) -> Actor:
    return Actor(role=principal.role.value, subject=principal.subject)


def host_of(principal: Principal, body: VisitIn) -> str:
    """Who invites: a member invites as their own person; the desk or an admin names the host."""
    if principal.role == Role.MEMBER and principal.person_id is not None:
        if body.host_person_id not in (None, principal.person_id):
            raise Refused(Refusal.FORBIDDEN, "members invite guests as themselves", field="host_person_id")
        return principal.person_id
    if body.host_person_id is None:
        raise Refused.invalid("name the person who invites the guest", field="host_person_id")
    return body.host_person_id


async def with_names(members: Members, docs: list[Document]) -> list[dict[str, object]]:
    names = await members.names({d["member_id"] for d in docs})
    return [{**public(d), "member_name": names.get(d["member_id"])} for d in docs]


async def visit_for(records: VisitStore, visit_id: str, principal: Principal) -> Document:
    """The visit, if the caller sees it (their organisation's, or at their site); else 404."""
    return in_scope(await records.visits.get(visit_id), principal, f"visit {visit_id}")


@router.post("/visits", status_code=201, response_model=VisitRead, responses=problems(403, 409))
async def register_visit(
    body: VisitIn, request: Request, response: Response, principal: Caller, store: Store, visits: VisitsPart
) -> dict[str, object]:
    """201 with the visit; 200 with the same visit for a repeated Idempotency-Key."""
    acts_for(principal, body.member_id, "members invite guests only for their own organisation", field="member_id")
    site = await named_site(store, principal, body.site_id)
    host = host_of(principal, body)
    visit_id = command_id(principal.subject, request.headers.get("idempotency-key"))
    doc, new = await visits.register(
        site,
        Visit(
            visit_id=visit_id,
            site_id=site.site_id,
            day=body.day,
            time_zone=site.time_zone,
            expected_at=body.expected_at,
            member_id=body.member_id,
            host_person_id=host,
            guest_name=body.guest_name,
            guest_company=body.guest_company or None,
            registered_by=actor(principal),
        ),
    )
    if not new:
        response.status_code = 200
    response.headers["Location"] = f"/v1/visits/{visit_id}"
    return public(doc)


@router.get("/visits", response_model=VisitList, responses=problems(403))
async def visits_seen(
    principal: Caller,
    records: VisitRecords,
    members: Members,
    member_id: Annotated[str | None, Query(min_length=1, max_length=100, pattern=ID_PATTERN)] = None,
    first: Annotated[Day | None, Query(alias="from", description="From this day on (inclusive).")] = None,
) -> dict[str, object]:
    """The visits the caller sees (a member: its organisation's; a desk: its sites'), of one
    organisation if `member_id` says so, from a day on; by day and expected time, at most 200."""
    if member_id is not None:
        acts_for(principal, member_id, "members see only their own organisation's guests", field="query.member_id")
    narrowed = {**Scope(principal).query(), **({"member_id": member_id} if member_id else {})}
    return {"items": await with_names(members, await records.listed(narrowed, first=first))}


@router.get("/sites/{site_id}/visits", response_model=VisitList, responses=problems(403, 404))
async def expected_at_site(
    site_id: PathId,
    principal: Staff,
    store: Store,
    records: VisitRecords,
    visits: VisitsPart,
    members: Members,
    on: Annotated[Day | None, Query(alias="date", description="The site's local day; today by default.")] = None,
) -> dict[str, object]:
    """The desk's view: every visit of the site's day (expected, arrived, left, cancelled)."""
    site, _ = await site_in_scope(store, principal, site_id)
    day = on or visits.today_at(site)
    docs = await records.listed({"site_id": site_id}, first=day, last=day)
    return {"items": await with_names(members, docs)}


@router.get("/visits/{visit_id}", response_model=VisitRead, responses=problems(404))
async def get_visit(visit_id: PathId, principal: Caller, records: VisitRecords, members: Members) -> dict[str, object]:
    return (await with_names(members, [await visit_for(records, visit_id, principal)]))[0]


@router.post("/visits/{visit_id}/arrive", response_model=VisitRead, responses=problems(403, 404, 409))
async def arrive(visit_id: PathId, principal: Staff, records: VisitRecords, visits: VisitsPart) -> dict[str, object]:
    """The desk checks the guest in, on the visit's day; the host is told (insights mails them).
    Checked in already: the visit as it is, and nothing said twice."""
    await visit_for(records, visit_id, principal)
    return public(await visits.arrive(visit_id))


@router.post("/visits/{visit_id}/leave", response_model=VisitRead, responses=problems(403, 404, 409))
async def leave(visit_id: PathId, principal: Staff, records: VisitRecords, visits: VisitsPart) -> dict[str, object]:
    """The desk checks the guest out."""
    await visit_for(records, visit_id, principal)
    return public(await visits.leave(visit_id))


@router.post("/visits/{visit_id}/cancel", response_model=VisitRead, responses=problems(404, 409))
async def cancel(visit_id: PathId, principal: Caller, records: VisitRecords, visits: VisitsPart) -> dict[str, object]:
    """The host organisation or the desk calls the visit off while the guest is still expected."""
    await visit_for(records, visit_id, principal)
    return public(await visits.cancel(visit_id, actor(principal)))
