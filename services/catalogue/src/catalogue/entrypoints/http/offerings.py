"""Offerings one at a time: administrators write them, everyone signed in reads the published ones.

Writes need the admin role (403 for members and front-desk staff). Members and staff see
published offerings only; a draft or withdrawn offering is 404 to them. The ETag is the
offering's version; PUT, PATCH, publish and withdraw take it back in `If-Match`
(PUT/PATCH require it: 428 without, 412 when stale). Refusals of the domain and the
service layer are `Refused` and become problems in the kit's one handler.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Response
from pydantic import ValidationError

from catalogue.domain.offering import Offering, OfferingDetails
from catalogue.entrypoints.http.bodies import OfferingIn, OfferingPatch
from catalogue.entrypoints.http.deps import CatalogueHandlers
from catalogue.service_layer.handlers import Catalogue
from catalogue.views import offering_read
from parkgrid.api.catalogue import OfferingRead
from parkgrid.auth import CurrentPrincipal, Principal, Role
from parkgrid.contracts.catalogue import OfferingStatus
from parkgrid.http.access import Admin
from parkgrid.http.idempotency import command_id
from parkgrid.http.preconditions import etag, optional_version, required_version
from parkgrid.http.problems import InvalidInput, NotFound, problems

router = APIRouter(prefix="/v1", tags=["offerings"])
IfMatch = Annotated[str | None, Header()]


def details_of(data: dict[str, Any]) -> OfferingDetails:
    try:
        return OfferingDetails.model_validate(data)
    except ValidationError as exc:  # pragma: no cover - the edge models check the same
        error = exc.errors()[0]
        raise InvalidInput(error["msg"], field=".".join(map(str, error["loc"]))) from None


def answered(response: Response, offering: Offering, version: int) -> OfferingRead:
    response.headers["ETag"] = etag(version)
    return offering_read(offering, version)


def visible_statuses(principal: Principal) -> tuple[OfferingStatus, ...]:
    if principal.role == Role.ADMIN:
        return tuple(OfferingStatus)
    return (OfferingStatus.PUBLISHED,)


@router.post("/offerings", status_code=201, response_model=OfferingRead, responses=problems(403))
async def create_offering(
    body: OfferingIn,
    response: Response,
    principal: Admin,
    catalogue: CatalogueHandlers,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> OfferingRead:
    """Create a draft offering (nothing is published until it is)."""
    offering_id = command_id(f"catalogue.offering:{principal.subject}", idempotency_key)
    offering, version = await catalogue.create_offering(offering_id, details_of(body.model_dump()))
    response.headers["Location"] = f"/v1/offerings/{offering.offering_id}"
    return answered(response, offering, version)


Write = Callable[[str, Any], Awaitable[tuple[Offering, int]]]
"""A command of `Catalogue` on one offering: (offering id, expected version) -> (offering, version)."""


@dataclass(frozen=True)
class Revising:
    """An admin's change of one offering: the store, its If-Match, and the response to tag."""

    offering_id: str
    response: Response
    catalogue: Catalogue
    if_match: str | None

    async def answer(self, write: Write, *, version_required: bool) -> OfferingRead:
        version = required_version(self.if_match) if version_required else optional_version(self.if_match)
        offering, new_version = await write(self.offering_id, version)
        return answered(self.response, offering, new_version)


async def revising(
    offering_id: str, response: Response, principal: Admin, catalogue: CatalogueHandlers, if_match: IfMatch = None
) -> Revising:
    return Revising(offering_id, response, catalogue, if_match)


Revision = Annotated[Revising, Depends(revising)]


@router.put("/offerings/{offering_id}", response_model=OfferingRead, responses=problems(403, 404, 412, 428))
async def replace_offering(body: OfferingIn, change: Revision) -> OfferingRead:
    """Replace every detail of an offering (published in full unless it is a draft)."""
    details = details_of(body.model_dump())
    return await change.answer(
        lambda offering_id, version: change.catalogue.revise_offering(offering_id, version, lambda _: details),
        version_required=True,
    )


@router.patch("/offerings/{offering_id}", response_model=OfferingRead, responses=problems(403, 404, 412, 428))
async def change_offering(body: OfferingPatch, change: Revision) -> OfferingRead:
    """Replace the given fields of an offering."""
    changes = body.model_dump(exclude_unset=True)

    def revision(current: OfferingDetails) -> OfferingDetails:
        return details_of({**current.model_dump(), **changes})

    return await change.answer(
        lambda offering_id, version: change.catalogue.revise_offering(offering_id, version, revision),
        version_required=True,
    )


@router.post("/offerings/{offering_id}/publish", response_model=OfferingRead, responses=problems(403, 404, 409, 412))
async def publish_offering(change: Revision) -> OfferingRead:
    """Make the offering bookable (a withdrawn one too); its site must be known and open."""
    return await change.answer(change.catalogue.publish_offering, version_required=False)


@router.post("/offerings/{offering_id}/withdraw", response_model=OfferingRead, responses=problems(403, 404, 409, 412))
async def withdraw_offering(change: Revision) -> OfferingRead:
    """Stop bookings of a published offering; its history stays."""
    return await change.answer(change.catalogue.withdraw_offering, version_required=False)


@router.get("/offerings/{offering_id}", response_model=OfferingRead, responses=problems(404))
async def get_offering(
    offering_id: str, response: Response, principal: CurrentPrincipal, catalogue: CatalogueHandlers
) -> OfferingRead:
    """One offering; members and staff see it only while it is published."""
    offering, version = await catalogue.get(offering_id)
    if offering.status not in visible_statuses(principal):
        raise NotFound(f"there is no offering {offering_id}")
    return answered(response, offering, version)
