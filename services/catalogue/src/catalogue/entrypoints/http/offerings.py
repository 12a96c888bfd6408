"""Offerings one at a time: administrators write them, everyone signed in reads the published ones.

Writes need the admin role (403 for members and front-desk staff). Members and staff see
published offerings only; a draft or withdrawn offering is 404 to them. The ETag is the
offering's version; PUT, PATCH, publish and withdraw take it back in `If-Match`
(PUT/PATCH require it: 428 without, 412 when stale). Refusals of the domain and the
service layer are `Refused` and become problems in the kit's one handler.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Response
from pydantic import ValidationError

from catalogue.domain.offering import Offering, OfferingDetails
from catalogue.entrypoints.http.bodies import OfferingIn, OfferingPatch
from catalogue.entrypoints.http.deps import CatalogueHandlers
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


@router.put("/offerings/{offering_id}", response_model=OfferingRead, responses=problems(403, 404, 412, 428))
async def replace_offering(
    offering_id: str,
    body: OfferingIn,
    response: Response,
    principal: Admin,
    catalogue: CatalogueHandlers,
    if_match: IfMatch = None,
) -> OfferingRead:
    """Replace every detail of an offering (published in full unless it is a draft)."""
    version = required_version(if_match)
    details = details_of(body.model_dump())
    offering, new_version = await catalogue.revise_offering(offering_id, version, lambda _: details)
    return answered(response, offering, new_version)


@router.patch("/offerings/{offering_id}", response_model=OfferingRead, responses=problems(403, 404, 412, 428))
async def change_offering(
    offering_id: str,
    body: OfferingPatch,
    response: Response,
    principal: Admin,
    catalogue: CatalogueHandlers,
    if_match: IfMatch = None,
) -> OfferingRead:
    """Replace the given fields of an offering."""
    version = required_version(if_match)
    changes = body.model_dump(exclude_unset=True)

    def revision(current: OfferingDetails) -> OfferingDetails:
        return details_of({**current.model_dump(), **changes})

    offering, new_version = await catalogue.revise_offering(offering_id, version, revision)
    return answered(response, offering, new_version)


@router.post("/offerings/{offering_id}/publish", response_model=OfferingRead, responses=problems(403, 404, 409, 412))
async def publish_offering(
    offering_id: str, response: Response, principal: Admin, catalogue: CatalogueHandlers, if_match: IfMatch = None
) -> OfferingRead:
    """Make the offering bookable (a withdrawn one too); its site must be known and open."""
    offering, new_version = await catalogue.publish_offering(offering_id, optional_version(if_match))
    return answered(response, offering, new_version)


@router.post("/offerings/{offering_id}/withdraw", response_model=OfferingRead, responses=problems(403, 404, 409, 412))
async def withdraw_offering(
    offering_id: str, response: Response, principal: Admin, catalogue: CatalogueHandlers, if_match: IfMatch = None
) -> OfferingRead:
    """Stop bookings of a published offering; its history stays."""
    offering, new_version = await catalogue.withdraw_offering(offering_id, optional_version(if_match))
    return answered(response, offering, new_version)


@router.get("/offerings/{offering_id}", response_model=OfferingRead, responses=problems(404))
async def get_offering(
    offering_id: str, response: Response, principal: CurrentPrincipal, catalogue: CatalogueHandlers
) -> OfferingRead:
    """One offering; members and staff see it only while it is published."""
    offering, version = await catalogue.get(offering_id)
    if offering.status not in visible_statuses(principal):
        raise NotFound(f"there is no offering {offering_id}")
    return answered(response, offering, version)
