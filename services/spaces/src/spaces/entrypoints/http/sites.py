"""Sites: registered and changed by admins, read by staff."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response
from pydantic import Field

from parkgrid.api.spaces import SiteList, SiteRead
from parkgrid.contracts.common import Closure, Id, SpaceKind, TimeZone, WeeklyWindow
from parkgrid.contracts.spaces import KindBuffers, SiteStatus
from parkgrid.http.access import Admin, Scope, Staff
from parkgrid.http.idempotency import command_id
from parkgrid.http.models import RequestModel, strict
from parkgrid.http.params import PathId
from parkgrid.http.preconditions import etag, required_version
from parkgrid.http.problems import problems
from parkgrid.inputs import Text
from spaces.domain.sites import Site
from spaces.entrypoints.http.deps import InventoryPart, Store, site_in_scope
from spaces.views import site_body

router = APIRouter(prefix="/v1", tags=["sites"])

WindowIn = strict(WeeklyWindow)
BuffersIn = strict(KindBuffers)
BUFFERS = (
    "Preparation and cleaning minutes by kind of space, for the site's spaces that set none of their own; "
    "a PATCH replaces the whole map (`{}`: no defaults)."
)
NO_SHOW_RELEASE = (
    "Minutes after its start a booking not checked in is released as a no-show by bookings (its seats "
    "and room freed for walk-ins); null: never before its session ends."
)
ReleaseMinutes = Annotated[int, Field(ge=5, le=240, description=NO_SHOW_RELEASE)]
Name = Annotated[Text, Field(min_length=1, max_length=200)]
City = Annotated[Text, Field(min_length=1, max_length=100)]


class ClosureIn(strict(Closure)):  # type: ignore[misc]
    """A closure as sent: its reason one line of text."""

    reason: Annotated[Text, Field(max_length=200)]


class SiteIn(RequestModel):
    site_id: Id | None = None
    name: Name
    city: City
    country: str = Field(pattern=r"^[A-Z]{2}$")
    time_zone: TimeZone
    opening_hours: list[WindowIn] = Field(max_length=50)  # type: ignore[valid-type]
    closures: list[ClosureIn] = Field(default_factory=list, max_length=500)  # type: ignore[valid-type]
    buffers: dict[SpaceKind, BuffersIn] = Field(default_factory=dict, description=BUFFERS)  # type: ignore[valid-type]
    no_show_release_minutes: ReleaseMinutes | None = None


class SitePatch(RequestModel):
    name: Name | None = None
    city: City | None = None
    time_zone: TimeZone | None = None
    opening_hours: list[WindowIn] | None = Field(None, max_length=50)  # type: ignore[valid-type]
    closures: list[ClosureIn] | None = Field(None, max_length=500)  # type: ignore[valid-type]
    status: SiteStatus | None = None
    buffers: dict[SpaceKind, BuffersIn] | None = Field(None, description=BUFFERS)  # type: ignore[valid-type]
    no_show_release_minutes: ReleaseMinutes | None = None


@router.post("/sites", status_code=201, response_model=SiteRead, responses=problems(403, 409))
async def register_site(
    body: SiteIn, request: Request, response: Response, principal: Admin, inventory: InventoryPart
) -> dict[str, object]:
    site_id = body.site_id or command_id(principal.subject, request.headers.get("idempotency-key"))
    site, version = await inventory.register_site(Site.from_document({**body.model_dump(), "site_id": site_id}))
    response.headers["Location"] = f"/v1/sites/{site_id}"
    response.headers["ETag"] = etag(version)
    return site_body(site, version)


@router.get("/sites", response_model=SiteList, responses=problems(403))
async def list_sites(principal: Staff, store: Store) -> dict[str, object]:
    """The caller's sites (every site for an admin)."""
    return {"items": [site_body(s, v) for s, v in await store.all_sites(Scope(principal).query(member_field=None))]}


@router.get("/sites/{site_id}", response_model=SiteRead, responses=problems(403, 404))
async def get_site(site_id: PathId, response: Response, principal: Staff, store: Store) -> dict[str, object]:
    found = await site_in_scope(store, principal, site_id)
    response.headers["ETag"] = etag(found[1])
    return site_body(*found)


@router.patch("/sites/{site_id}", response_model=SiteRead, responses=problems(403, 404, 412, 428))
async def update_site(
    site_id: PathId,
    body: SitePatch,
    response: Response,
    principal: Admin,
    inventory: InventoryPart,
    if_match: Annotated[str | None, Header()] = None,
) -> dict[str, object]:
    site, version = await inventory.update_site(
        site_id, required_version(if_match), body.model_dump(exclude_unset=True)
    )
    response.headers["ETag"] = etag(version)
    return site_body(site, version)
