"""The catalogue's HTTP API under /v1: offerings for administrators to write and everyone to find.

Writes need the admin role (403 for members and front-desk staff). Members and staff see
published offerings only; a draft or withdrawn offering is 404 to them. The ETag is the
offering's version; PUT, PATCH, publish and withdraw take it back in `If-Match`
(PUT/PATCH require it: 428 without, 412 when stale).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from catalogue.adapters.members import Members
from catalogue.adapters.offerings import offering_of
from catalogue.adapters.search import SORTS, BadCursor, Search, find
from catalogue.domain.availability import MAX_RANGE_DAYS
from catalogue.domain.offering import Offering, OfferingDetails, OfferingRuleBroken, WrongState
from catalogue.service_layer.handlers import Catalogue, StaleVersion, UnknownOffering
from parkgrid.auth import CurrentPrincipal, Principal, Role, require_roles
from parkgrid.contracts import catalogue as contract
from parkgrid.contracts import common
from parkgrid.contracts.catalogue import OfferingCategory, OfferingStatus
from parkgrid.contracts.common import Id, MemberKind, Mode, ProgrammeStage, TimeZone
from parkgrid.http.idempotency import command_id
from parkgrid.http.preconditions import etag, optional_version, required_version
from parkgrid.http.problems import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionFailed,
)

MAX_LIMIT = 100
_FORBID = ConfigDict(frozen=True, extra="forbid")

# The contract's value types tolerate unknown fields (subscribers must); a request must not.


class TextIn(common.LocalizedText):
    model_config = _FORBID


class ProviderIn(contract.Provider):
    model_config = _FORBID


class MoneyIn(common.Money):
    model_config = _FORBID


class EligibilityIn(common.Eligibility):
    model_config = _FORBID


class LimitIn(contract.PerMemberLimit):
    model_config = _FORBID


class RulesIn(contract.BookingRules):
    model_config = _FORBID
    per_member_limit: LimitIn | None = None


class WindowIn(common.WeeklyWindow):
    model_config = _FORBID


class ClosureIn(common.Closure):
    model_config = _FORBID


class SpaceIn(common.SpaceRequirement):
    model_config = _FORBID


class OfferingIn(BaseModel):
    """An offering as an administrator writes it (POST and PUT)."""

    model_config = ConfigDict(extra="forbid")

    site_id: Id | None = None
    category: OfferingCategory
    title: TextIn
    description: TextIn
    provider: ProviderIn
    mode: Mode
    session_minutes: int = Field(ge=5, le=24 * 60)
    seats_per_session: int = Field(ge=1, le=2000)
    eligibility: EligibilityIn = Field(default_factory=EligibilityIn)
    price: MoneyIn | None = None
    credits: int | None = Field(None, ge=0)
    rules: RulesIn = Field(default_factory=RulesIn)
    time_zone: TimeZone | None = None
    availability: list[WindowIn] = Field(default_factory=list, max_length=70)
    closures: list[ClosureIn] = Field(default_factory=list, max_length=400)
    space_requirement: SpaceIn | None = None


class OfferingPatch(BaseModel):
    """Some fields of an offering (PATCH): each given field replaces the current one."""

    model_config = ConfigDict(extra="forbid")

    site_id: Id | None = None
    category: OfferingCategory | None = None
    title: TextIn | None = None
    description: TextIn | None = None
    provider: ProviderIn | None = None
    mode: Mode | None = None
    session_minutes: int | None = Field(None, ge=5, le=24 * 60)
    seats_per_session: int | None = Field(None, ge=1, le=2000)
    eligibility: EligibilityIn | None = None
    price: MoneyIn | None = None
    credits: int | None = Field(None, ge=0)
    rules: RulesIn | None = None
    time_zone: TimeZone | None = None
    availability: list[WindowIn] | None = Field(None, max_length=70)
    closures: list[ClosureIn] | None = Field(None, max_length=400)
    space_requirement: SpaceIn | None = None


Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]


def catalogue_of(request: Request) -> Catalogue:
    service: Catalogue = request.app.state.catalogue
    return service


def members_of(request: Request) -> Members:
    members: Members = request.app.state.members
    return members


async def eligibility_of(
    request: Request, principal: Principal, member_id: str | None, eligible: bool | None
) -> tuple[str, str] | None:
    """The (kind, stage) a search is narrowed to, or None; raises for unknown members.

    `member_id` names the organisation; a member asking `eligible=true` means their own.
    A member who left yields `("", "")`: no offering is eligible for them."""
    if member_id is None and eligible:
        if principal.role != Role.MEMBER or principal.member_id is None:
            raise InvalidInput("eligible=true needs member_id (or a member's token)", field="member_id")
        member_id = principal.member_id
    if member_id is None:
        return None
    if not principal.may_act_for_member(member_id):
        raise Forbidden("members see eligibility for their own organisation only", field="member_id")
    member = await members_of(request).get(member_id)
    if member is None:
        raise InvalidInput(f"there is no member organisation {member_id}", field="member_id")
    if member.left:
        return ("", "")
    return (member.kind, member.stage)


def view(offering: Offering, version: int) -> dict[str, Any]:
    return {
        "id": offering.offering_id,
        "version": version,
        **offering.snapshot(),
        "created_at": offering.created_at.isoformat(),
        "updated_at": offering.updated_at.isoformat(),
    }


def details_of(data: dict[str, Any]) -> OfferingDetails:
    try:
        return OfferingDetails.model_validate(data)
    except ValidationError as exc:  # pragma: no cover - the edge models check the same
        error = exc.errors()[0]
        raise InvalidInput(error["msg"], field=".".join(map(str, error["loc"]))) from None


def answered(response: Response, offering: Offering, version: int) -> dict[str, Any]:
    response.headers["ETag"] = etag(version)
    return view(offering, version)


async def run(command: Any) -> tuple[Offering, int]:
    """Map the domain's refusals to problems."""
    try:
        result: tuple[Offering, int] = await command
        return result
    except OfferingRuleBroken as exc:
        raise InvalidInput(exc.message, field=exc.field) from None
    except UnknownOffering as exc:
        raise NotFound(f"there is no offering {exc}") from None
    except StaleVersion as exc:
        raise PreconditionFailed(str(exc), field="If-Match") from None
    except WrongState as exc:
        raise Conflict(str(exc)) from None


router = APIRouter(prefix="/v1", tags=["offerings"])


@router.post("/offerings", status_code=201)
async def create_offering(
    body: OfferingIn,
    request: Request,
    response: Response,
    principal: Admin,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Create a draft offering (nothing is published until it is)."""
    offering_id = command_id(f"catalogue.offering:{principal.subject}", idempotency_key)
    details = details_of(body.model_dump())
    offering, version = await run(catalogue_of(request).create_offering(offering_id, details))
    response.headers["Location"] = f"/v1/offerings/{offering.offering_id}"
    return answered(response, offering, version)


@router.put("/offerings/{offering_id}")
async def replace_offering(
    offering_id: str,
    body: OfferingIn,
    request: Request,
    response: Response,
    principal: Admin,
    if_match: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    version = required_version(if_match)
    assert version is not None
    details = details_of(body.model_dump())
    offering, new_version = await run(catalogue_of(request).revise_offering(offering_id, version, lambda _: details))
    return answered(response, offering, new_version)


@router.patch("/offerings/{offering_id}")
async def change_offering(
    offering_id: str,
    body: OfferingPatch,
    request: Request,
    response: Response,
    principal: Admin,
    if_match: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    version = required_version(if_match)
    assert version is not None
    changes = body.model_dump(exclude_unset=True)

    def change(current: OfferingDetails) -> OfferingDetails:
        return details_of({**current.model_dump(), **changes})

    offering, new_version = await run(catalogue_of(request).revise_offering(offering_id, version, change))
    return answered(response, offering, new_version)


@router.post("/offerings/{offering_id}/publish")
async def publish_offering(
    offering_id: str,
    request: Request,
    response: Response,
    principal: Admin,
    if_match: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    version = optional_version(if_match)
    offering, new_version = await run(catalogue_of(request).publish_offering(offering_id, version))
    return answered(response, offering, new_version)


@router.post("/offerings/{offering_id}/withdraw")
async def withdraw_offering(
    offering_id: str,
    request: Request,
    response: Response,
    principal: Admin,
    if_match: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    version = optional_version(if_match)
    offering, new_version = await run(catalogue_of(request).withdraw_offering(offering_id, version))
    return answered(response, offering, new_version)


def visible_statuses(principal: Principal) -> tuple[OfferingStatus, ...]:
    if principal.role == Role.ADMIN:
        return tuple(OfferingStatus)
    return (OfferingStatus.PUBLISHED,)


@router.get("/offerings/{offering_id}")
async def get_offering(
    offering_id: str, request: Request, response: Response, principal: CurrentPrincipal
) -> dict[str, Any]:
    offering, version = await run(catalogue_of(request).get(offering_id))
    if offering.status not in visible_statuses(principal):
        raise NotFound(f"there is no offering {offering_id}")
    return answered(response, offering, version)


@router.get("/offerings")
async def list_offerings(
    request: Request,
    principal: CurrentPrincipal,
    site: Annotated[str | None, Query(description="A site id, or `network` for network-wide offerings.")] = None,
    category: OfferingCategory | None = None,
    mode: Mode | None = None,
    member_kind: Annotated[MemberKind | None, Query(description="Only offerings this kind may use.")] = None,
    stage: Annotated[ProgrammeStage | None, Query(description="Only offerings open at this stage.")] = None,
    member_id: Annotated[
        str | None, Query(min_length=1, max_length=100, description="Only offerings this member organisation may use.")
    ] = None,
    eligible: Annotated[
        bool | None, Query(description="With a member's token: only offerings their organisation may use.")
    ] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=200, description="Free text, fr/en/ar.")] = None,
    available_from: Annotated[date | None, Query(description="Local date; with available_to.")] = None,
    available_to: date | None = None,
    status: Annotated[OfferingStatus | None, Query(description="Admins only: drafts and withdrawn too.")] = None,
    sort: Literal["title", "-title", "created", "-created"] = "title",
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    cursor: str | None = None,
) -> dict[str, Any]:
    """Find offerings; `next_cursor` continues the same search (same filters and sort)."""
    if (available_from is None) != (available_to is None):
        field = "available_to" if available_to is None else "available_from"
        raise InvalidInput("give both available_from and available_to", field=field)
    if available_from is not None and available_to is not None:
        if available_to < available_from:
            raise InvalidInput("available_to is before available_from", field="available_to")
        if (available_to - available_from).days > MAX_RANGE_DAYS:
            raise InvalidInput(f"the range spans at most {MAX_RANGE_DAYS} days", field="available_to")
    eligibility = await eligibility_of(request, principal, member_id, eligible)
    if eligibility == ("", ""):
        return {"items": [], "next_cursor": None}
    statuses = visible_statuses(principal)
    if status is not None:
        statuses = tuple(s for s in statuses if s == status)
    search = Search(
        statuses=statuses,
        site=site,
        category=category.value if category else None,
        mode=mode.value if mode else None,
        member_kind=member_kind.value if member_kind else None,
        stage=stage.value if stage else None,
        eligible_kind=eligibility[0] if eligibility else None,
        eligible_stage=eligibility[1] if eligibility else None,
        text=q,
        available_from=available_from,
        available_to=available_to,
        sort=sort if sort in SORTS else "title",
        limit=limit,
        cursor=cursor,
    )
    try:
        offerings = catalogue_of(request).offerings
        docs, next_cursor = await find(offerings.collection, offerings.search, search)
    except BadCursor as exc:
        raise InvalidInput(str(exc), field="cursor") from None
    items = [view(offering_of(doc), doc["version"]) for doc in docs]
    return {"items": items, "next_cursor": next_cursor}
