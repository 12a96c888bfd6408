"""HTTP API of spaces: the inventory (admin), staff reservations, residencies and the office
waitlist, day passes, and a site's occupancy (a day, or a report over a range of days)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from parkgrid.auth import Principal, Role, require_roles
from parkgrid.contracts.common import Actor, Closure, Feature, Id, SpaceKind, SpaceRequirement, TimeRange, WeeklyWindow
from parkgrid.contracts.spaces import Requester, SiteSnapshot, SiteStatus, SpaceSnapshot
from parkgrid.http.idempotency import command_id
from parkgrid.http.params import PathId
from parkgrid.http.preconditions import etag, required_version
from parkgrid.http.problems import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionFailed,
)
from parkgrid.outbox import AlreadyExists, VersionConflict
from parkgrid.store import Document
from spaces.adapters.day_passes import DayPassStore
from spaces.adapters.members import Members
from spaces.adapters.stores import SpacesStore, stays_of
from spaces.adapters.waitlist import ticket_of
from spaces.domain.model import LONGEST_RESERVATION
from spaces.domain.occupancy import invalid_report_range
from spaces.domain.stays import stay_on
from spaces.domain.waitlist import WaitlistRefused, position_of
from spaces.service_layer.day_passes import CheckIn, DayPasses, DayPassRefused
from spaces.service_layer.handlers import Inventory, ReservationRequest, Reservations, UnknownSite, UnknownSpace
from spaces.service_layer.occupancy import site_report
from spaces.service_layer.residencies import Allocation, Move, Residencies, ResidencyRefused
from spaces.service_layer.waitlist import Offering, Waitlist

Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]
Staff = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.FRONT_DESK))]
Caller = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.FRONT_DESK, Role.MEMBER))]

# --- models at the edge: unknown fields are refused ------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WindowIn(WeeklyWindow):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ClosureIn(Closure):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not an IANA time zone") from None
    return value


class SiteIn(_Strict):
    site_id: Id | None = None
    name: str = Field(min_length=1, max_length=200)
    city: str = Field(min_length=1, max_length=100)
    country: str = Field(pattern=r"^[A-Z]{2}$")
    time_zone: str = Field(min_length=3, max_length=64)
    opening_hours: list[WindowIn] = Field(max_length=50)
    closures: list[ClosureIn] = Field(default_factory=list, max_length=500)

    _tz = field_validator("time_zone")(_zone)


class SitePatch(_Strict):
    name: str | None = Field(None, min_length=1, max_length=200)
    city: str | None = Field(None, min_length=1, max_length=100)
    time_zone: str | None = Field(None, min_length=3, max_length=64)
    opening_hours: list[WindowIn] | None = Field(None, max_length=50)
    closures: list[ClosureIn] | None = Field(None, max_length=500)
    status: SiteStatus | None = None

    @field_validator("time_zone")
    @classmethod
    def _tz(cls, value: str | None) -> str | None:
        return None if value is None else _zone(value)


class SpaceIn(_Strict):
    space_id: Id | None = None
    name: str = Field(min_length=1, max_length=200)
    kind: SpaceKind
    capacity: int = Field(ge=1, le=2000)
    floor: str | None = Field(None, max_length=20)
    features: list[Feature] = Field(default_factory=list, max_length=30)
    buffer_minutes: int = Field(0, ge=0, le=240)


class SpacePatch(_Strict):
    name: str | None = Field(None, min_length=1, max_length=200)
    capacity: int | None = Field(None, ge=1, le=2000)
    floor: str | None = Field(None, max_length=20)
    features: list[Feature] | None = Field(None, max_length=30)
    buffer_minutes: int | None = Field(None, ge=0, le=240)


class RequirementIn(_Strict):
    kind: SpaceKind
    seats: int = Field(ge=1, le=2000)
    features: list[Feature] = Field(default_factory=list, max_length=30)


class TimeRangeIn(_Strict):
    starts_at: AwareDatetime
    ends_at: AwareDatetime

    @model_validator(mode="after")
    def _sensible(self) -> TimeRangeIn:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if self.ends_at - self.starts_at > LONGEST_RESERVATION:
            raise ValueError(f"a reservation lasts at most {LONGEST_RESERVATION.days} days")
        return self


class ResidencyIn(_Strict):
    member_id: Id
    site_id: Id
    space_id: Id
    starts_on: date
    ends_on: date | None = None


class ExtensionIn(_Strict):
    ends_on: date


class EndIn(_Strict):
    ends_on: date | None = None
    reason: str | None = Field(None, max_length=500)


class MoveIn(_Strict):
    space_id: Id
    site_id: Id | None = Field(None, description="The target site; the residency's own by default.")
    moves_on: date = Field(description="First day in the new space.")


class WaitlistJoinIn(_Strict):
    site_id: Id
    member_id: Id
    seats: int = Field(ge=1, le=200, description="The office size waited for.")


class OfferIn(_Strict):
    space_id: Id
    starts_on: date
    ends_on: date | None = None
    seats: int | None = Field(None, ge=1, le=200, description="The line served; the office's size by default.")


class AnswerIn(_Strict):
    reason: str | None = Field(None, max_length=500)


class DayPassIn(_Strict):
    site_id: Id
    space_id: Id
    member_id: Id
    person_id: Id
    day: date


class ReservationIn(_Strict):
    site_id: Id
    requirement: RequirementIn
    time: TimeRangeIn
    member_id: Id | None = None
    reference_id: Id | None = None


# --- helpers -------------------------------------------------------------------------


def _store(request: Request) -> SpacesStore:
    store: SpacesStore = request.app.state.spaces_store
    return store


def _inventory(request: Request) -> Inventory:
    inventory: Inventory = request.app.state.inventory
    return inventory


def _reservations(request: Request) -> Reservations:
    reservations: Reservations = request.app.state.reservations
    return reservations


def _etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag(version)


def _site_body(site: SiteSnapshot, version: int) -> dict[str, Any]:
    return {**site.model_dump(mode="json"), "version": version}


def _space_body(space: SpaceSnapshot, version: int) -> dict[str, Any]:
    return {**space.model_dump(mode="json"), "version": version}


def _reservation_body(doc: Document, zone: str | None = None) -> dict[str, Any]:
    body = {k: v for k, v in doc.items() if not k.startswith("outbox") and k != "_id"}
    starts, ends = doc["time"]["starts_at"], doc["time"]["ends_at"]
    if isinstance(starts, datetime) and isinstance(ends, datetime):
        body["time"] = {"starts_at": starts.isoformat(), "ends_at": ends.isoformat()}
        if zone:
            tz = ZoneInfo(zone)
            body["local_time"] = {
                "starts_at": starts.astimezone(tz).isoformat(),
                "ends_at": ends.astimezone(tz).isoformat(),
                "time_zone": zone,
            }
    return body


def _public(doc: Document) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if not k.startswith("outbox") and k not in ("_id",)}


def build_router() -> APIRouter:
    router = APIRouter(prefix="/v1")

    # --- sites -----------------------------------------------------------------------

    @router.post("/sites", status_code=201)
    async def register_site(body: SiteIn, request: Request, response: Response, principal: Admin) -> dict[str, Any]:
        site_id = body.site_id or command_id(principal.subject, request.headers.get("idempotency-key"))
        site = SiteSnapshot.model_validate({**body.model_dump(), "site_id": site_id})
        try:
            site, version = await _inventory(request).register_site(site)
        except AlreadyExists:
            raise Conflict(f"there is already a site {site_id}", field="site_id") from None
        response.headers["Location"] = f"/v1/sites/{site_id}"
        _etag(response, version)
        return _site_body(site, version)

    @router.get("/sites")
    async def list_sites(request: Request, principal: Staff) -> dict[str, Any]:
        sites = await _store(request).all_sites()
        return {"items": [_site_body(SiteSnapshot.model_validate(s.__dict__), v) for s, v in sites]}

    @router.get("/sites/{site_id}")
    async def get_site(site_id: PathId, request: Request, response: Response, principal: Staff) -> dict[str, Any]:
        found = await _store(request).site(site_id)
        if found is None:
            raise NotFound(f"there is no site {site_id}")
        site, version = found
        _etag(response, version)
        return _site_body(SiteSnapshot.model_validate(site.__dict__), version)

    @router.patch("/sites/{site_id}")
    async def update_site(
        site_id: PathId,
        body: SitePatch,
        request: Request,
        response: Response,
        principal: Admin,
        if_match: Annotated[str | None, Header()] = None,
    ) -> dict[str, Any]:
        expected = required_version(if_match)
        try:
            site, version = await _inventory(request).update_site(
                site_id, expected, body.model_dump(exclude_unset=True)
            )
        except UnknownSite:
            raise NotFound(f"there is no site {site_id}") from None
        except VersionConflict:
            raise PreconditionFailed("the site changed since you read it; read it again") from None
        _etag(response, version)
        return _site_body(site, version)

    # --- spaces ----------------------------------------------------------------------

    @router.post("/sites/{site_id}/spaces", status_code=201)
    async def add_space(
        site_id: PathId, body: SpaceIn, request: Request, response: Response, principal: Admin
    ) -> dict[str, Any]:
        space_id = body.space_id or command_id(principal.subject, request.headers.get("idempotency-key"))
        space = SpaceSnapshot.model_validate({**body.model_dump(), "space_id": space_id, "site_id": site_id})
        try:
            space, version = await _inventory(request).add_space(space)
        except UnknownSite:
            raise NotFound(f"there is no site {site_id}") from None
        except AlreadyExists:
            raise Conflict(f"there is already a space {space_id}", field="space_id") from None
        response.headers["Location"] = f"/v1/spaces/{space_id}"
        _etag(response, version)
        return _space_body(space, version)

    @router.get("/sites/{site_id}/spaces")
    async def search_spaces(
        site_id: PathId,
        request: Request,
        principal: Staff,
        kind: SpaceKind | None = None,
        min_capacity: Annotated[int | None, Query(ge=1, le=2000)] = None,
        feature: Annotated[list[str] | None, Query()] = None,
    ) -> dict[str, Any]:
        store = _store(request)
        if await store.site(site_id) is None:
            raise NotFound(f"there is no site {site_id}")
        found = await store.spaces_of(site_id, kind=kind, min_capacity=min_capacity, features=feature)
        return {"items": [_space_body(SpaceSnapshot.model_validate(s.__dict__), v) for s, v in found]}

    @router.get("/spaces/{space_id}")
    async def get_space(space_id: PathId, request: Request, response: Response, principal: Staff) -> dict[str, Any]:
        found = await _store(request).space(space_id)
        if found is None:
            raise NotFound(f"there is no space {space_id}")
        space, version = found
        _etag(response, version)
        return _space_body(SpaceSnapshot.model_validate(space.__dict__), version)

    @router.patch("/spaces/{space_id}")
    async def update_space(
        space_id: PathId,
        body: SpacePatch,
        request: Request,
        response: Response,
        principal: Admin,
        if_match: Annotated[str | None, Header()] = None,
    ) -> dict[str, Any]:
        expected = required_version(if_match)
        try:
            space, version = await _inventory(request).update_space(
                space_id, expected, body.model_dump(exclude_unset=True)
            )
        except UnknownSpace:
            raise NotFound(f"there is no space {space_id}") from None
        except VersionConflict:
            raise PreconditionFailed("the space changed since you read it; read it again") from None
        _etag(response, version)
        return _space_body(space, version)

    @router.post("/spaces/{space_id}/retire")
    async def retire_space(space_id: PathId, request: Request, response: Response, principal: Admin) -> dict[str, Any]:
        try:
            space, version = await _inventory(request).retire_space(space_id)
        except UnknownSpace:
            raise NotFound(f"there is no space {space_id}") from None
        _etag(response, version)
        return _space_body(space, version)

    # --- reservations ----------------------------------------------------------------

    @router.post("/reservations", status_code=201)
    async def reserve(body: ReservationIn, request: Request, response: Response, principal: Staff) -> dict[str, Any]:
        found = await _store(request).site(body.site_id)
        if found is None:
            raise InvalidInput(f"there is no site {body.site_id}", field="site_id")
        if not principal.may_act_at_site(body.site_id):
            raise Forbidden(f"you do not work at {body.site_id}")
        request_id = command_id(principal.subject, request.headers.get("idempotency-key"))
        doc = await _reservations(request).reserve(
            ReservationRequest(
                request_id=request_id,
                requested_by=Requester.STAFF,
                reference_id=body.reference_id or request_id,
                site_id=body.site_id,
                requirement=SpaceRequirement.model_validate(body.requirement.model_dump()),
                time=TimeRange(starts_at=body.time.starts_at, ends_at=body.time.ends_at),
                member_id=body.member_id,
            )
        )
        response.headers["Location"] = f"/v1/reservations/{request_id}"
        return _reservation_body(doc, found[0].time_zone)

    @router.get("/reservations/{reservation_id}")
    async def get_reservation(reservation_id: PathId, request: Request, principal: Staff) -> dict[str, Any]:
        doc = await _reservations(request).get(reservation_id)
        if doc is None or not principal.may_act_at_site(doc["site_id"]):
            raise NotFound(f"there is no reservation {reservation_id}")
        found = await _store(request).site(doc["site_id"])
        return _reservation_body(doc, found[0].time_zone if found else None)

    @router.post("/reservations/{reservation_id}/release")
    async def release(reservation_id: PathId, request: Request, principal: Staff) -> dict[str, Any]:
        doc = await _reservations(request).get(reservation_id)
        if doc is None or not principal.may_act_at_site(doc["site_id"]):
            raise NotFound(f"there is no reservation {reservation_id}")
        released = await _reservations(request).release(reservation_id)
        assert released is not None
        return _reservation_body(released)

    # --- residencies -----------------------------------------------------------------

    def residencies(request: Request) -> Residencies:
        service: Residencies = request.app.state.residencies
        return service

    async def residency_body(request: Request, doc: Document) -> dict[str, Any]:
        members: Members = request.app.state.members
        member = await members.get(doc["member_id"])
        return {**_public(doc), "member_name": member.name if member else None}

    def refused(exc: ResidencyRefused) -> Exception:
        if exc.taken:
            return Conflict(exc.detail)
        return InvalidInput(exc.detail, field=exc.field)

    @router.post("/residencies", status_code=201)
    async def start_residency(
        body: ResidencyIn, request: Request, response: Response, principal: Staff
    ) -> dict[str, Any]:
        if await _store(request).site(body.site_id) is None:
            raise InvalidInput(f"there is no site {body.site_id}", field="site_id")
        if not principal.may_act_at_site(body.site_id):
            raise Forbidden(f"you do not work at {body.site_id}")
        residency_id = command_id(principal.subject, request.headers.get("idempotency-key"))
        try:
            doc, new = await residencies(request).start(
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
        except ResidencyRefused as exc:
            raise refused(exc) from None
        response.headers["Location"] = f"/v1/residencies/{residency_id}"
        if not new:
            response.status_code = 200
        return await residency_body(request, doc)

    async def residency_for(request: Request, residency_id: PathId, principal: Principal) -> Document:
        doc = await residencies(request).get(residency_id)
        if (
            doc is None
            or not principal.may_act_for_member(doc["member_id"])
            or not principal.may_act_at_site(doc["site_id"])
        ):
            raise NotFound(f"there is no residency {residency_id}")
        return doc

    @router.get("/residencies/{residency_id}")
    async def get_residency(residency_id: PathId, request: Request, principal: Caller) -> dict[str, Any]:
        return await residency_body(request, await residency_for(request, residency_id, principal))

    @router.post("/residencies/{residency_id}/extend")
    async def extend_residency(
        residency_id: PathId, body: ExtensionIn, request: Request, principal: Staff
    ) -> dict[str, Any]:
        await residency_for(request, residency_id, principal)
        try:
            return await residency_body(request, await residencies(request).extend(residency_id, body.ends_on))
        except ResidencyRefused as exc:
            raise refused(exc) from None

    @router.post("/residencies/{residency_id}/end")
    async def end_residency(residency_id: PathId, body: EndIn, request: Request, principal: Staff) -> dict[str, Any]:
        await residency_for(request, residency_id, principal)
        on = body.ends_on or datetime.now(ZoneInfo("Africa/Casablanca")).date()
        return await residency_body(request, await residencies(request).end(residency_id, on, body.reason))

    @router.post("/residencies/{residency_id}/move")
    async def move_residency(residency_id: PathId, body: MoveIn, request: Request, principal: Staff) -> dict[str, Any]:
        doc = await residency_for(request, residency_id, principal)
        site_id = body.site_id or doc["site_id"]
        if await _store(request).site(site_id) is None:
            raise InvalidInput(f"there is no site {site_id}", field="site_id")
        if not principal.may_act_at_site(site_id):
            raise Forbidden(f"you do not work at {site_id}")
        try:
            moved = await residencies(request).move(Move(residency_id, site_id, body.space_id, body.moves_on))
        except ResidencyRefused as exc:
            raise refused(exc) from None
        return await residency_body(request, moved)

    # --- office waitlist -------------------------------------------------------------

    def waitlist(request: Request) -> Waitlist:
        service: Waitlist = request.app.state.waitlist
        return service

    def entry_body(doc: Document, position: int | None = None) -> dict[str, Any]:
        body = {k: v for k, v in _public(doc).items() if k != "ticket"}
        body["position"] = position
        return body

    async def placed(request: Request, doc: Document) -> dict[str, Any]:
        """The entry with its place in its line now."""
        line = await waitlist(request).waitlist.line(doc["site_id"], doc["seats"])
        return entry_body(doc, position_of(doc["entry_id"], [ticket_of(d) for d in line]))

    def waitlist_refused(exc: WaitlistRefused) -> Exception:
        return Conflict(exc.detail) if exc.conflict else InvalidInput(exc.detail, field=exc.field)

    async def entry_for(request: Request, entry_id: PathId, principal: Principal) -> Document:
        doc = await waitlist(request).get(entry_id)
        if (
            doc is None
            or not principal.may_act_for_member(doc["member_id"])
            or not principal.may_act_at_site(doc["site_id"])
        ):
            raise NotFound(f"there is no waitlist entry {entry_id}")
        return doc

    @router.post("/office-waitlist", status_code=201)
    async def join_waitlist(
        body: WaitlistJoinIn, request: Request, response: Response, principal: Caller
    ) -> dict[str, Any]:
        if not principal.may_act_for_member(body.member_id):
            raise Forbidden("members put only their own organisation in line")
        if await _store(request).site(body.site_id) is None:
            raise InvalidInput(f"there is no site {body.site_id}", field="site_id")
        if not principal.may_act_at_site(body.site_id):
            raise Forbidden(f"you do not work at {body.site_id}")
        try:
            doc, new = await waitlist(request).join(body.site_id, body.member_id, body.seats)
        except WaitlistRefused as exc:
            raise waitlist_refused(exc) from None
        if not new:
            response.status_code = 200
        response.headers["Location"] = f"/v1/office-waitlist/{doc['entry_id']}"
        return await placed(request, doc)

    @router.get("/office-waitlist")
    async def member_entries(
        request: Request, principal: Caller, member_id: Annotated[str, Query(min_length=1, max_length=100)]
    ) -> dict[str, Any]:
        if not principal.may_act_for_member(member_id):
            raise Forbidden("members see only their own organisation's entries")
        docs = await waitlist(request).waitlist.of_member(member_id)
        return {
            "items": [await placed(request, d) for d in docs if principal.may_act_at_site(d["site_id"])],
            "next_cursor": None,
        }

    @router.get("/office-waitlist/{entry_id}")
    async def get_entry(entry_id: PathId, request: Request, principal: Caller) -> dict[str, Any]:
        return await placed(request, await entry_for(request, entry_id, principal))

    @router.get("/sites/{site_id}/office-waitlist")
    async def site_waitlist(site_id: PathId, request: Request, principal: Staff) -> dict[str, Any]:
        """The front desk's view: every open entry of the site, line by line (office size), in order."""
        if await _store(request).site(site_id) is None or not principal.may_act_at_site(site_id):
            raise NotFound(f"there is no site {site_id}")
        docs = await waitlist(request).line_of_site(site_id)
        members: Members = request.app.state.members
        names = await members.names({d["member_id"] for d in docs})
        return {
            "items": [{**entry_body(d, d["position"]), "member_name": names.get(d["member_id"])} for d in docs],
            "next_cursor": None,
        }

    @router.post("/sites/{site_id}/office-waitlist/offers", status_code=201)
    async def offer_office(site_id: PathId, body: OfferIn, request: Request, principal: Staff) -> dict[str, Any]:
        """An office freed up: offer it to the first in line of its size (or of `seats`)."""
        if await _store(request).site(site_id) is None or not principal.may_act_at_site(site_id):
            raise NotFound(f"there is no site {site_id}")
        try:
            doc = await waitlist(request).offer(
                Offering(
                    site_id=site_id,
                    space_id=body.space_id,
                    starts_on=body.starts_on,
                    ends_on=body.ends_on,
                    offered_by=Actor(role=principal.role.value, subject=principal.subject),
                    seats=body.seats,
                )
            )
        except WaitlistRefused as exc:
            raise waitlist_refused(exc) from None
        return await placed(request, doc)

    @router.post("/office-waitlist/{entry_id}/accept")
    async def accept_offer(entry_id: PathId, request: Request, principal: Staff) -> dict[str, Any]:
        """Staff confirm the offer: the member's residency starts."""
        await entry_for(request, entry_id, principal)
        try:
            entry, residency = await waitlist(request).accept(
                entry_id, Actor(role=principal.role.value, subject=principal.subject)
            )
        except WaitlistRefused as exc:
            raise waitlist_refused(exc) from None
        except ResidencyRefused as exc:
            raise refused(exc) from None
        return {"entry": entry_body(entry), "residency": await residency_body(request, residency)}

    @router.post("/office-waitlist/{entry_id}/decline")
    async def decline_offer(entry_id: PathId, body: AnswerIn, request: Request, principal: Caller) -> dict[str, Any]:
        """The offer is declined (by the member or for them); the office goes to the next in line."""
        await entry_for(request, entry_id, principal)
        try:
            entry, successor = await waitlist(request).decline(entry_id, body.reason)
        except WaitlistRefused as exc:
            raise waitlist_refused(exc) from None
        return {
            "entry": entry_body(entry),
            "next_offered": None if successor is None else await placed(request, successor),
        }

    @router.post("/office-waitlist/{entry_id}/leave")
    async def leave_waitlist(entry_id: PathId, body: AnswerIn, request: Request, principal: Caller) -> dict[str, Any]:
        await entry_for(request, entry_id, principal)
        try:
            entry, successor = await waitlist(request).leave(entry_id, body.reason)
        except WaitlistRefused as exc:
            raise waitlist_refused(exc) from None
        return {
            "entry": entry_body(entry),
            "next_offered": None if successor is None else await placed(request, successor),
        }

    # --- day passes ------------------------------------------------------------------

    @router.post("/day-passes", status_code=201)
    async def check_in(body: DayPassIn, request: Request, response: Response, principal: Caller) -> dict[str, Any]:
        if not principal.may_act_for_member(body.member_id) or (
            principal.role == Role.MEMBER and principal.person_id not in (None, body.person_id)
        ):
            raise Forbidden("members check in only themselves")
        if await _store(request).site(body.site_id) is None:
            raise InvalidInput(f"there is no site {body.site_id}", field="site_id")
        if not principal.may_act_at_site(body.site_id):
            raise Forbidden(f"you do not work at {body.site_id}")
        passes: DayPasses = request.app.state.day_passes
        try:
            issued, new = await passes.issue(
                CheckIn(body.site_id, body.space_id, body.member_id, body.person_id, body.day)
            )
        except DayPassRefused as refused:
            if refused.full:
                raise Conflict(refused.detail) from None
            raise InvalidInput(refused.detail, field=refused.field) from None
        if not new:
            response.status_code = 200
        response.headers["Location"] = f"/v1/day-passes/{issued['day_pass_id']}"
        return {k: v for k, v in issued.items() if not k.startswith("outbox") and k != "_id"}

    # --- occupancy -------------------------------------------------------------------

    @router.get("/sites/{site_id}/occupancy")
    async def occupancy(
        site_id: PathId, request: Request, principal: Staff, day: Annotated[date, Query(alias="date")]
    ) -> dict[str, Any]:
        store = _store(request)
        found = await store.site(site_id)
        # Another site's day (who resides where, whose reservations) is not for this desk.
        if found is None or not principal.may_act_at_site(site_id):
            raise NotFound(f"there is no site {site_id}")
        site = found[0]
        tz = ZoneInfo(site.time_zone)
        day_start = datetime.combine(day, time(0), tz)
        day_end = datetime.combine(day + timedelta(days=1), time(0), tz)
        reservations = await store.reservations_between(site_id, day_start, day_end)
        by_space: dict[str, list[dict[str, Any]]] = {}
        for doc in sorted(reservations, key=lambda d: d["time"]["starts_at"]):
            by_space.setdefault(doc["space_id"], []).append(
                {
                    "reservation_id": doc["reservation_id"],
                    "starts_at": doc["time"]["starts_at"].astimezone(tz).isoformat(),
                    "ends_at": doc["time"]["ends_at"].astimezone(tz).isoformat(),
                    "requested_by": doc["requested_by"],
                    "reference_id": doc["reference_id"],
                    "member_id": doc.get("member_id"),
                }
            )
        resident_docs = await store.residencies_at(site_id, day, day)
        members: Members = request.app.state.members
        names = await members.names({doc["member_id"] for doc in resident_docs})
        residents = {}
        for doc in resident_docs:
            stay = stay_on(stays_of(doc), day)
            if stay is not None and stay.site_id == site_id:
                residents[stay.space_id] = {
                    "residency_id": doc["residency_id"],
                    "member_id": doc["member_id"],
                    "member_name": names.get(doc["member_id"]),
                }
        spaces = await store.spaces_of(site_id)

        def state_of(space_id: str) -> str:
            if space_id in residents:
                return "resident"
            return "reserved" if by_space.get(space_id) else "free"

        return {
            "site_id": site_id,
            "date": day.isoformat(),
            "time_zone": site.time_zone,
            "closure": (c.model_dump(mode="json") if (c := site.closure_on(day)) else None),
            "spaces": [
                {
                    "space_id": space.space_id,
                    "name": space.name,
                    "kind": space.kind.value,
                    "capacity": space.capacity,
                    "status": space.status.value,
                    "state": state_of(space.space_id),
                    "residency": residents.get(space.space_id),
                    "reservations": by_space.get(space.space_id, []),
                }
                for space, _ in spaces
            ],
        }

    @router.get("/sites/{site_id}/occupancy-report")
    async def occupancy_report(
        site_id: PathId,
        request: Request,
        principal: Staff,
        first: Annotated[date, Query(alias="from")],
        last: Annotated[date, Query(alias="to")],
    ) -> dict[str, Any]:
        """Turnover of residencies and utilisation by kind of space over the local days from..to."""
        invalid = invalid_report_range(first, last)
        if invalid is not None:
            raise InvalidInput(invalid, field="query.to")
        store = _store(request)
        found = await store.site(site_id)
        if found is None or not principal.may_act_at_site(site_id):
            raise NotFound(f"there is no site {site_id}")
        passes: DayPassStore = request.app.state.day_pass_store
        return await site_report(store, passes, found[0], first, last)

    return router
