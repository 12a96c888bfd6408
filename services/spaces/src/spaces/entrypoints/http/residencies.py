"""Residencies: a member organisation's office or desks, started, extended, moved and ended by staff."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response
from pydantic import Field

from parkgrid.api.spaces import ResidencyRead
from parkgrid.auth import Principal
from parkgrid.contracts.common import Actor, Id
from parkgrid.http.access import Caller, Staff
from parkgrid.http.idempotency import command_id
from parkgrid.http.models import RequestModel
from parkgrid.http.params import PathId
from parkgrid.http.problems import problems
from parkgrid.inputs import Day, Text
from parkgrid.store import Document
from spaces.entrypoints.http.deps import Members, ResidenciesPart, Store, in_scope, named_site
from spaces.service_layer.residencies import Allocation, Move, Residencies
from spaces.views import residency_body

router = APIRouter(prefix="/v1", tags=["residencies"])


class ResidencyIn(RequestModel):
    member_id: Id
    site_id: Id
    space_id: Id
    starts_on: Day
    ends_on: Day | None = None


class ExtensionIn(RequestModel):
    ends_on: Day


class EndIn(RequestModel):
    ends_on: Day | None = None
    reason: Annotated[Text, Field(max_length=500)] | None = None


class MoveIn(RequestModel):
    space_id: Id
    site_id: Id | None = Field(None, description="The target site; the residency's own by default.")
    moves_on: Day = Field(description="First day in the new space.")


async def residency_for(residencies: Residencies, residency_id: str, principal: Principal) -> Document:
    """The residency, if the caller may see it (their organisation's, or at their site)."""
    return in_scope(await residencies.get(residency_id), principal, f"residency {residency_id}")


@router.post("/residencies", status_code=201, response_model=ResidencyRead, responses=problems(403, 409))
async def start_residency(
    body: ResidencyIn,
    request: Request,
    response: Response,
    principal: Staff,
    store: Store,
    residencies: ResidenciesPart,
    members: Members,
) -> dict[str, object]:
    """201 when started now; 200 with the residency when the same request was seen before."""
    await named_site(store, principal, body.site_id)
    residency_id = command_id(principal.subject, request.headers.get("idempotency-key"))
    doc, new = await residencies.start(
        Allocation(
            residency_id=residency_id,
            member_id=body.member_id,
            site_id=body.site_id,
            space_id=body.space_id,
            starts_on=body.starts_on,
            ends_on=body.ends_on,
            allocated_by=Actor(role=principal.role.value, subject=principal.subject),
        )
    )
    response.headers["Location"] = f"/v1/residencies/{residency_id}"
    if not new:
        response.status_code = 200
    return await residency_body(members, doc)


@router.get("/residencies/{residency_id}", response_model=ResidencyRead, responses=problems(403, 404))
async def get_residency(
    residency_id: PathId, principal: Caller, residencies: ResidenciesPart, members: Members
) -> dict[str, object]:
    return await residency_body(members, await residency_for(residencies, residency_id, principal))


@router.post("/residencies/{residency_id}/extend", response_model=ResidencyRead, responses=problems(403, 404, 409))
async def extend_residency(
    residency_id: PathId, body: ExtensionIn, principal: Staff, residencies: ResidenciesPart, members: Members
) -> dict[str, object]:
    await residency_for(residencies, residency_id, principal)
    return await residency_body(members, await residencies.extend(residency_id, body.ends_on))


@router.post("/residencies/{residency_id}/end", response_model=ResidencyRead, responses=problems(403, 404))
async def end_residency(
    residency_id: PathId, body: EndIn, principal: Staff, residencies: ResidenciesPart, members: Members
) -> dict[str, object]:
    """Ends on `ends_on`, today at the residency's site by default; an ended residency stays as it is."""
    await residency_for(residencies, residency_id, principal)
    return await residency_body(members, await residencies.end(residency_id, body.ends_on, body.reason))


@router.post("/residencies/{residency_id}/move", response_model=ResidencyRead, responses=problems(403, 404, 409))
async def move_residency(
    residency_id: PathId,
    body: MoveIn,
    principal: Staff,
    store: Store,
    residencies: ResidenciesPart,
    members: Members,
) -> dict[str, object]:
    doc = await residency_for(residencies, residency_id, principal)
    site_id = body.site_id or doc["site_id"]
    await named_site(store, principal, site_id)
    moved = await residencies.move(Move(residency_id, site_id, body.space_id, body.moves_on))
    return await residency_body(members, moved)
