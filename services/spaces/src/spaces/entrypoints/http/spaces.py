"""Spaces of a site: added, changed and retired by admins, searched and read by staff."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import BeforeValidator, Field

from parkgrid.api.spaces import SpaceList, SpaceRead
from parkgrid.contracts.common import Feature, Id, SpaceKind
from parkgrid.contracts.spaces import SpaceFeature
from parkgrid.http.access import Admin, Scope, Staff
from parkgrid.http.idempotency import command_id
from parkgrid.http.models import RequestModel
from parkgrid.http.params import PathId
from parkgrid.http.preconditions import etag, required_version
from parkgrid.http.problems import problems
from parkgrid.inputs import Text
from parkgrid.refusals import Refused
from spaces.domain.sites import Space
from spaces.entrypoints.http.deps import InventoryPart, Store, site_in_scope
from spaces.views import space_body

router = APIRouter(prefix="/v1", tags=["spaces"])

Name = Annotated[Text, Field(min_length=1, max_length=200)]
Floor = Annotated[Text, Field(max_length=20)]
FEATURES = "From the one vocabulary of space features (`SpaceFeature`); anything else is a 422."
BEFORE = "Preparation before each reservation (minutes); null: `buffer_minutes`, else the site's default for its kind."
AFTER = "Cleaning after each reservation (minutes); null: `buffer_minutes`, else the site's default for its kind."
BOTH = "The same time before and after (old clients' one setting); `buffer_before_minutes`/`_after_` win over it."
Minutes = Annotated[int, Field(ge=0, le=240)]


def _in_vocabulary(value: object) -> object:
    """The problem names the feature that is not in the vocabulary, and the vocabulary."""
    if isinstance(value, str) and value not in SpaceFeature.__members__.values():
        raise ValueError(f"{value!r} is not a space feature: one of {', '.join(SpaceFeature)}")
    return value


DeclaredFeature = Annotated[SpaceFeature, BeforeValidator(_in_vocabulary)]


class SpaceIn(RequestModel):
    space_id: Id | None = None
    name: Name
    kind: SpaceKind
    capacity: int = Field(ge=1, le=2000)
    floor: Floor | None = None
    features: list[DeclaredFeature] = Field(default_factory=list, max_length=30, description=FEATURES)
    buffer_minutes: int = Field(0, ge=0, le=240, description=BOTH)
    buffer_before_minutes: Minutes | None = Field(None, description=BEFORE)
    buffer_after_minutes: Minutes | None = Field(None, description=AFTER)


class SpacePatch(RequestModel):
    name: Name | None = None
    capacity: int | None = Field(None, ge=1, le=2000)
    floor: Floor | None = None
    features: list[DeclaredFeature] | None = Field(None, max_length=30, description=FEATURES)
    buffer_minutes: int | None = Field(None, ge=0, le=240, description=BOTH)
    buffer_before_minutes: Minutes | None = Field(None, description=BEFORE + " Send null to fall back.")
    buffer_after_minutes: Minutes | None = Field(None, description=AFTER + " Send null to fall back.")


@router.post("/sites/{site_id}/spaces", status_code=201, response_model=SpaceRead, responses=problems(403, 404, 409))
async def add_space(
    site_id: PathId, body: SpaceIn, request: Request, response: Response, principal: Admin, inventory: InventoryPart
) -> dict[str, object]:
    space_id = body.space_id or command_id(principal.subject, request.headers.get("idempotency-key"))
    space, version = await inventory.add_space(
        Space.from_document({**body.model_dump(), "space_id": space_id, "site_id": site_id})
    )
    response.headers["Location"] = f"/v1/spaces/{space_id}"
    response.headers["ETag"] = etag(version)
    return space_body(space, version)


@router.get("/sites/{site_id}/spaces", response_model=SpaceList, responses=problems(403, 404))
async def search_spaces(
    site_id: PathId,
    principal: Staff,
    store: Store,
    kind: SpaceKind | None = None,
    min_capacity: Annotated[int | None, Query(ge=1, le=2000)] = None,
    feature: Annotated[list[Feature] | None, Query(max_length=30)] = None,
) -> dict[str, object]:
    """The site's spaces; another desk's site is not found (404)."""
    await site_in_scope(store, principal, site_id)
    found = await store.spaces_of(site_id, kind=kind, min_capacity=min_capacity, features=feature)
    return {"items": [space_body(s, v) for s, v in found]}


@router.get("/spaces/{space_id}", response_model=SpaceRead, responses=problems(403, 404))
async def get_space(space_id: PathId, response: Response, principal: Staff, store: Store) -> dict[str, object]:
    found = await store.space(space_id)
    if found is None:
        raise Refused.not_found(f"there is no space {space_id}")
    Scope(principal).require(f"space {space_id}", site_id=found[0].site_id)
    response.headers["ETag"] = etag(found[1])
    return space_body(*found)


@router.patch("/spaces/{space_id}", response_model=SpaceRead, responses=problems(403, 404, 412, 428))
async def update_space(
    space_id: PathId,
    body: SpacePatch,
    response: Response,
    principal: Admin,
    inventory: InventoryPart,
    if_match: Annotated[str | None, Header()] = None,
) -> dict[str, object]:
    space, version = await inventory.update_space(
        space_id, required_version(if_match), body.model_dump(exclude_unset=True)
    )
    response.headers["ETag"] = etag(version)
    return space_body(space, version)


@router.post("/spaces/{space_id}/retire", response_model=SpaceRead, responses=problems(403, 404))
async def retire_space(
    space_id: PathId, response: Response, principal: Admin, inventory: InventoryPart
) -> dict[str, object]:
    space, version = await inventory.retire_space(space_id)
    response.headers["ETag"] = etag(version)
    return space_body(space, version)
