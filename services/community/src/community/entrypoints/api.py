"""The community's HTTP API under /v1: members, community events, registrations, check-in.

Roles: staff (admin, and front desk for their sites) register members, run events and act
on behalf of members; a member sees their own organisation and registers its people.
Members calling staff endpoints get 403; what belongs to another organisation is 404.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from community.adapters.stores import CommunityStore, event_of, member_of, registration_of
from community.adapters.tickets import qr_svg
from community.domain import events as event_rules
from community.domain import members as member_rules
from community.domain import registrations as registration_rules
from community.domain.events import CommunityEvent
from community.domain.members import Member, MemberRuleBroken
from community.domain.registrations import Registration
from community.service_layer.events import Events, StaleVersion, UnknownEvent
from community.service_layer.members import Members, UnknownMember, UnknownPerson, UnknownSite
from community.service_layer.members import StaleVersion as StaleMember
from community.service_layer.registrations import (
    CheckInRefused,
    NotInAudience,
    NotOpen,
    Registrations,
    UnknownRegistration,
)
from parkgrid import paging
from parkgrid.auth import Principal, Role, require_roles
from parkgrid.contracts import common
from parkgrid.contracts.common import Actor, Email, Id, Language, MemberKind, Mode, ProgrammeStage, TimeRange
from parkgrid.contracts.community import CommunityEventKind, CommunityEventStatus, Person, RegistrationStatus
from parkgrid.http.idempotency import command_id
from parkgrid.http.preconditions import etag, optional_version, required_version
from parkgrid.http.problems import Conflict, Forbidden, InvalidInput, NotFound, PreconditionFailed
from parkgrid.store import Collection, Document

MAX_LIMIT = 100
DEFAULT_ZONE = "Africa/Casablanca"
_FORBID = ConfigDict(frozen=True, extra="forbid")

Staff = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.FRONT_DESK))]
Caller = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.FRONT_DESK, Role.MEMBER, Role.SERVICE))]

# --- models at the edge: unknown fields are refused ------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TextIn(common.LocalizedText):
    model_config = _FORBID


class EligibilityIn(common.Eligibility):
    model_config = _FORBID


class RequirementIn(common.SpaceRequirement):
    model_config = _FORBID


class PersonIn(_Strict):
    person_id: Id | None = None
    name: str = Field(min_length=1, max_length=200)
    email: Email
    role: str = Field(min_length=1, max_length=100)
    language: Language = Language.FR


class MemberIn(_Strict):
    member_id: Id | None = None
    name: str = Field(min_length=1, max_length=200)
    kind: MemberKind
    sector: str = Field(min_length=1, max_length=100)
    home_site_id: Id
    stage: ProgrammeStage = ProgrammeStage.PRE_INCUBATION
    cohort: str | None = Field(None, max_length=50)
    started_on: date | None = None
    planned_end_on: date | None = None
    people: list[PersonIn] = Field(default_factory=list, max_length=100)


class MemberPatch(_Strict):
    name: str | None = Field(None, min_length=1, max_length=200)
    kind: MemberKind | None = None
    sector: str | None = Field(None, min_length=1, max_length=100)
    home_site_id: Id | None = None
    cohort: str | None = Field(None, max_length=50)
    planned_end_on: date | None = None


class StageIn(_Strict):
    stage: ProgrammeStage
    cohort: str | None = Field(None, max_length=50)
    planned_end_on: date | None = None


class LeaveIn(_Strict):
    reason: str | None = Field(None, max_length=500)
    on: date | None = None


class TimeRangeIn(_Strict):
    starts_at: AwareDatetime
    ends_at: AwareDatetime

    @field_validator("ends_at")
    @classmethod
    def _after_start(cls, ends_at: datetime, info: ValidationInfo) -> datetime:
        starts_at = info.data.get("starts_at")
        if starts_at is not None:
            if ends_at <= starts_at:
                raise ValueError("ends_at must be after starts_at")
            if (ends_at - starts_at).days >= 14:
                raise ValueError("a community event lasts less than 14 days")
        return ends_at


def _zone(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not an IANA time zone") from None
    return value


class EventIn(_Strict):
    event_id: Id | None = None
    site_id: Id | None = None
    kind: CommunityEventKind
    mode: Mode = Mode.IN_PERSON
    title: TextIn
    description: TextIn
    time: TimeRangeIn
    time_zone: str | None = Field(None, max_length=64, description="Online events without a site; else the site's.")
    capacity: int = Field(ge=1, le=5000)
    audience: EligibilityIn = Field(default_factory=EligibilityIn)
    venue_requirement: RequirementIn | None = None
    publish: bool = False

    _tz = field_validator("time_zone")(_zone)


class RescheduleIn(TimeRangeIn):
    pass


class CancelIn(_Strict):
    reason: str = Field(min_length=1, max_length=500)


class RegistrationIn(_Strict):
    person_id: Id
    member_id: Id | None = None


class CheckInIn(_Strict):
    token: str = Field(min_length=1, max_length=4000)


# --- helpers -------------------------------------------------------------------------


def _store(request: Request) -> CommunityStore:
    store: CommunityStore = request.app.state.community_store
    return store


def _members(request: Request) -> Members:
    members: Members = request.app.state.members
    return members


def _events(request: Request) -> Events:
    events: Events = request.app.state.events
    return events


def _registrations(request: Request) -> Registrations:
    registrations: Registrations = request.app.state.registrations
    return registrations


def actor(principal: Principal) -> Actor:
    return Actor(role=principal.role.value, subject=principal.subject[:200])


def _etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag(version)


def member_view(member: Member, version: int) -> dict[str, Any]:
    return {**member.model_dump(mode="json"), "version": version}


def event_view(event: CommunityEvent, version: int) -> dict[str, Any]:
    body = event.model_dump(mode="json", exclude={"requests_made"})
    tz = ZoneInfo(event.time_zone)
    body["local_time"] = {
        "starts_at": event.time.starts_at.astimezone(tz).isoformat(),
        "ends_at": event.time.ends_at.astimezone(tz).isoformat(),
        "time_zone": event.time_zone,
    }
    return {**body, "version": version}


async def registration_view(
    request: Request, registration: Registration, version: int, *, live: bool = True
) -> dict[str, Any]:
    """The registration; `live` reads its current place in the queue (it moves as others leave)."""
    body = registration.model_dump(mode="json", exclude={"placing", "round", "arrival"})
    if registration.placing:
        body["status"] = "pending"
    if live and registration.status == RegistrationStatus.WAITLISTED and not registration.placing:
        occupancy = await _store(request).seats.occupancy(registration.event_id)
        if occupancy is not None:
            body["waitlist_position"] = occupancy.position_of(registration.seat_key)
    return {**body, "version": version}


def _staff_at(principal: Principal, site_id: str | None) -> None:
    if site_id is not None and not principal.may_act_at_site(site_id):
        raise Forbidden(f"you do not work at {site_id}")


async def _page(
    collection: Collection, query: Document, key: str, limit: int, cursor: str | None
) -> tuple[list[Document], str | None]:
    try:
        return await paging.page(collection, query, key, max(1, min(limit, MAX_LIMIT)), cursor)
    except paging.BadCursor as exc:
        raise InvalidInput(str(exc), field="cursor") from None


async def _member_for(request: Request, member_id: str, principal: Principal) -> tuple[Member, int]:
    """The member as this caller may see it: another organisation's is 404 to a member."""
    if not principal.may_act_for_member(member_id):
        raise NotFound(f"there is no member {member_id}")
    try:
        return await _members(request).get(member_id)
    except UnknownMember:
        raise NotFound(f"there is no member {member_id}") from None


def _member_problem(exc: Exception) -> Exception:
    if isinstance(exc, MemberRuleBroken):
        return InvalidInput(exc.message, field=exc.field)
    if isinstance(exc, member_rules.WrongState):
        return Conflict(str(exc))
    if isinstance(exc, StaleMember):
        return PreconditionFailed(str(exc), field="If-Match")
    if isinstance(exc, UnknownSite):
        return InvalidInput(f"there is no site {exc}", field="home_site_id")
    if isinstance(exc, UnknownPerson):
        return NotFound(f"there is no person {exc} in this organisation")
    raise exc


def _event_problem(exc: Exception) -> Exception:
    if isinstance(exc, event_rules.WrongState):
        return Conflict(str(exc))
    if isinstance(exc, StaleVersion):
        return PreconditionFailed(str(exc), field="If-Match")
    if isinstance(exc, UnknownEvent):
        return NotFound(f"there is no event {exc}")
    raise exc


def build_router() -> APIRouter:
    router = APIRouter(prefix="/v1")

    # --- members ---------------------------------------------------------------------

    @router.post("/members", status_code=201, tags=["members"])
    async def register_member(body: MemberIn, request: Request, response: Response, principal: Staff) -> dict[str, Any]:
        if await _store(request).sites.get(body.home_site_id) is None:
            raise InvalidInput(f"there is no site {body.home_site_id}", field="home_site_id")
        _staff_at(principal, body.home_site_id)
        key = request.headers.get("idempotency-key")
        member_id = body.member_id or "member-" + command_id(f"community.member:{principal.subject}", key)[:18]
        people = [
            Person(
                person_id=p.person_id or "person-" + command_id(f"{member_id}:{i}:{p.email}", key)[:18],
                name=p.name,
                email=p.email,
                role=p.role,
                language=p.language,
            )
            for i, p in enumerate(body.people)
        ]
        try:
            member, version, created = await _members(request).register(
                member_id,
                name=body.name,
                kind=body.kind,
                sector=body.sector,
                home_site_id=body.home_site_id,
                stage=body.stage,
                cohort=body.cohort,
                started_on=body.started_on,
                planned_end_on=body.planned_end_on,
                people=people,
            )
        except (MemberRuleBroken, UnknownSite) as exc:
            raise _member_problem(exc) from None
        if not created and body.member_id is not None and key is None:
            raise Conflict(f"there is already a member {member_id}", field="member_id")
        response.headers["Location"] = f"/v1/members/{member_id}"
        _etag(response, version)
        return member_view(member, version)

    @router.get("/members", tags=["members"])
    async def search_members(
        request: Request,
        principal: Staff,
        q: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
        site_id: Annotated[str | None, Query(max_length=100)] = None,
        stage: ProgrammeStage | None = None,
        cohort: Annotated[str | None, Query(max_length=50)] = None,
        kind: MemberKind | None = None,
        status: Annotated[str | None, Query(pattern="^(active|left)$")] = None,
        cursor: Annotated[str | None, Query(max_length=1000)] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    ) -> dict[str, Any]:
        """The front desk's search: by name (any part, any case), site, stage, cohort, kind."""
        query: Document = {}
        if q:
            query["name_search"] = {"$regex": _escape(q.casefold())}
        if site_id:
            query["home_site_id"] = site_id
        if stage:
            query["stage"] = stage.value
        if cohort:
            query["cohort"] = cohort
        if kind:
            query["kind"] = kind.value
        if status:
            query["status"] = status
        docs, next_cursor = await _page(_store(request).members.collection, query, "name_sort", limit, cursor)
        items = [member_view(member_of(d), d["version"]) for d in docs]
        return {"items": items, "next_cursor": next_cursor}

    @router.get("/members/{member_id}", tags=["members"])
    async def get_member(member_id: str, request: Request, response: Response, principal: Caller) -> dict[str, Any]:
        member, version = await _member_for(request, member_id, principal)
        _etag(response, version)
        return member_view(member, version)

    async def staff_member(request: Request, member_id: str, principal: Principal) -> Member:
        member, _ = await _member_for(request, member_id, principal)
        _staff_at(principal, member.home_site_id)
        return member

    @router.patch("/members/{member_id}", tags=["members"])
    async def update_member(
        member_id: str,
        body: MemberPatch,
        request: Request,
        response: Response,
        principal: Staff,
        if_match: Annotated[str | None, Header()] = None,
    ) -> dict[str, Any]:
        expected = required_version(if_match)
        await staff_member(request, member_id, principal)
        try:
            member, version = await _members(request).update(member_id, body.model_dump(exclude_unset=True), expected)
        except Exception as exc:
            raise _member_problem(exc) from None
        _etag(response, version)
        return member_view(member, version)

    @router.post("/members/{member_id}/stage", tags=["members"])
    async def change_stage(
        member_id: str, body: StageIn, request: Request, response: Response, principal: Staff
    ) -> dict[str, Any]:
        await staff_member(request, member_id, principal)
        try:
            member, version = await _members(request).change_stage(
                member_id, body.stage, body.cohort, body.planned_end_on
            )
        except Exception as exc:
            raise _member_problem(exc) from None
        _etag(response, version)
        return member_view(member, version)

    @router.post("/members/{member_id}/people", status_code=201, tags=["members"])
    async def add_person(
        member_id: str, body: PersonIn, request: Request, response: Response, principal: Staff
    ) -> dict[str, Any]:
        await staff_member(request, member_id, principal)
        key = request.headers.get("idempotency-key")
        person = Person(
            person_id=body.person_id or "person-" + command_id(f"{member_id}:{body.email}", key)[:18],
            name=body.name,
            email=body.email,
            role=body.role,
            language=body.language,
        )
        try:
            member, version = await _members(request).add_person(member_id, person)
        except Exception as exc:
            raise _member_problem(exc) from None
        response.headers["Location"] = f"/v1/members/{member_id}"
        _etag(response, version)
        return {**member_view(member, version), "person": person.model_dump(mode="json")}

    @router.post("/members/{member_id}/people/{person_id}/leave", tags=["members"])
    async def person_leaves(
        member_id: str, person_id: str, request: Request, response: Response, principal: Staff
    ) -> dict[str, Any]:
        await staff_member(request, member_id, principal)
        try:
            member, version = await _members(request).remove_person(member_id, person_id)
        except Exception as exc:
            raise _member_problem(exc) from None
        _etag(response, version)
        return member_view(member, version)

    @router.post("/members/{member_id}/leave", tags=["members"])
    async def member_leaves(
        member_id: str, request: Request, response: Response, principal: Staff, body: LeaveIn | None = None
    ) -> dict[str, Any]:
        await staff_member(request, member_id, principal)
        body = body or LeaveIn()
        try:
            member, version = await _members(request).leave(member_id, body.reason, body.on)
        except Exception as exc:
            raise _member_problem(exc) from None
        _etag(response, version)
        return member_view(member, version)

    # --- community events ------------------------------------------------------------

    async def event_for(request: Request, event_id: str, principal: Principal) -> tuple[CommunityEvent, int]:
        """Drafts are the staff's: to members they are 404."""
        try:
            event, version = await _events(request).get(event_id)
        except UnknownEvent:
            raise NotFound(f"there is no event {event_id}") from None
        if principal.role == Role.MEMBER and event.status in (
            CommunityEventStatus.DRAFT,
            CommunityEventStatus.VENUE_PENDING,
        ):
            raise NotFound(f"there is no event {event_id}")
        return event, version

    async def staff_event(request: Request, event_id: str, principal: Principal) -> CommunityEvent:
        event, _ = await event_for(request, event_id, principal)
        _staff_at(principal, event.site_id)
        return event

    def answered(response: Response, event: CommunityEvent, version: int) -> dict[str, Any]:
        _etag(response, version)
        if event.venue_request_id is not None:
            response.status_code = 202
            response.headers["Location"] = f"/v1/events/{event.event_id}"
        return event_view(event, version)

    @router.post("/events", status_code=201, tags=["events"])
    async def schedule_event(body: EventIn, request: Request, response: Response, principal: Staff) -> dict[str, Any]:
        if body.mode != Mode.ONLINE and body.site_id is None:
            raise InvalidInput("an in-person or hybrid event needs a site", field="site_id")
        requirement = body.venue_requirement
        if requirement is not None and body.mode == Mode.IN_PERSON and requirement.seats < body.capacity:
            raise InvalidInput("the venue must seat the event's capacity", field="venue_requirement.seats")
        zone = body.time_zone or DEFAULT_ZONE
        if body.site_id is not None:
            site = await _store(request).sites.get(body.site_id)
            if site is None:
                raise InvalidInput(f"there is no site {body.site_id}", field="site_id")
            zone = site["time_zone"]
        _staff_at(principal, body.site_id)
        key = request.headers.get("idempotency-key")
        event_id = body.event_id or "cevt-" + command_id(f"community.event:{principal.subject}", key)[:18]
        event = CommunityEvent(
            event_id=event_id,
            site_id=body.site_id,
            kind=body.kind,
            mode=body.mode,
            title=body.title,
            description=body.description,
            time=TimeRange(starts_at=body.time.starts_at, ends_at=body.time.ends_at),
            time_zone=zone,
            capacity=body.capacity,
            audience=body.audience,
            venue_requirement=requirement,
            status=CommunityEventStatus.DRAFT,
        )
        events = _events(request)
        event, version, created = await events.schedule(event)
        if not created and body.event_id is not None and key is None:
            raise Conflict(f"there is already an event {event_id}", field="event_id")
        if body.publish:
            try:
                event, version = await events.publish(event_id)
            except Exception as exc:
                raise _event_problem(exc) from None
        response.headers["Location"] = f"/v1/events/{event_id}"
        _etag(response, version)
        return event_view(event, version)

    @router.get("/events", tags=["events"])
    async def list_events(
        request: Request,
        principal: Caller,
        site_id: Annotated[str | None, Query(max_length=100)] = None,
        start: Annotated[AwareDatetime | None, Query(alias="from")] = None,
        end: Annotated[AwareDatetime | None, Query(alias="to")] = None,
        status: CommunityEventStatus | None = None,
        cursor: Annotated[str | None, Query(max_length=1000)] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    ) -> dict[str, Any]:
        """Events by start time; members see what is published (and what was, cancelled or completed)."""
        query: Document = {}
        if site_id:
            query["site_id"] = site_id
        if start is not None and end is not None and end < start:
            raise InvalidInput("to is before from", field="to")
        if start is not None or end is not None:
            window: Document = {}
            if start is not None:
                window["$gte"] = start
            if end is not None:
                window["$lt"] = end
            query["starts_at"] = window
        hidden = {CommunityEventStatus.DRAFT.value, CommunityEventStatus.VENUE_PENDING.value}
        if status is not None:
            if principal.role == Role.MEMBER and status.value in hidden:
                return {"items": [], "next_cursor": None}
            query["status"] = status.value
        elif principal.role == Role.MEMBER:
            query["status"] = {"$nin": sorted(hidden)}
        docs, next_cursor = await _page(_store(request).events.collection, query, "starts_at", limit, cursor)
        return {"items": [event_view(event_of(d), d["version"]) for d in docs], "next_cursor": next_cursor}

    @router.get("/events/{event_id}", tags=["events"])
    async def get_event(event_id: str, request: Request, response: Response, principal: Caller) -> dict[str, Any]:
        event, version = await event_for(request, event_id, principal)
        _etag(response, version)
        return event_view(event, version)

    @router.post("/events/{event_id}/publish", tags=["events"])
    async def publish_event(
        event_id: str,
        request: Request,
        response: Response,
        principal: Staff,
        if_match: Annotated[str | None, Header()] = None,
    ) -> dict[str, Any]:
        """Published at once (200), or waiting for spaces to reserve its venue (202, poll the Location)."""
        await staff_event(request, event_id, principal)
        try:
            event, version = await _events(request).publish(event_id, optional_version(if_match))
        except Exception as exc:
            raise _event_problem(exc) from None
        return answered(response, event, version)

    @router.post("/events/{event_id}/reschedule", tags=["events"])
    async def reschedule_event(
        event_id: str,
        body: RescheduleIn,
        request: Request,
        response: Response,
        principal: Staff,
        if_match: Annotated[str | None, Header()] = None,
    ) -> dict[str, Any]:
        """Moved at once (200), or waiting for the new venue, the old one kept meanwhile (202)."""
        await staff_event(request, event_id, principal)
        time = TimeRange(starts_at=body.starts_at, ends_at=body.ends_at)
        try:
            event, version = await _events(request).reschedule(event_id, time, optional_version(if_match))
        except Exception as exc:
            raise _event_problem(exc) from None
        return answered(response, event, version)

    @router.post("/events/{event_id}/cancel", tags=["events"])
    async def cancel_event(
        event_id: str, body: CancelIn, request: Request, response: Response, principal: Staff
    ) -> dict[str, Any]:
        await staff_event(request, event_id, principal)
        try:
            event, version = await _events(request).cancel(event_id, body.reason)
        except Exception as exc:
            raise _event_problem(exc) from None
        _etag(response, version)
        return event_view(event, version)

    # --- registrations ---------------------------------------------------------------

    @router.post("/events/{event_id}/registrations", status_code=201, tags=["registrations"])
    async def register(
        event_id: str, body: RegistrationIn, request: Request, response: Response, principal: Caller
    ) -> dict[str, Any]:
        """A member registers a person of their organisation; staff register anyone on their behalf."""
        event, _ = await event_for(request, event_id, principal)
        if principal.role == Role.SERVICE:
            raise Forbidden("services do not register people")
        if principal.role == Role.MEMBER and body.member_id is not None and body.member_id != principal.member_id:
            raise Forbidden("members register people of their own organisation only", field="member_id")
        found = await _store(request).member_of_person(body.person_id)
        if found is None:
            raise InvalidInput(f"there is no person {body.person_id} in any organisation", field="person_id")
        member, _ = found
        if body.member_id is not None and body.member_id != member.member_id:
            raise InvalidInput(f"{body.person_id} is not someone of {body.member_id}", field="member_id")
        if not principal.may_act_for_member(member.member_id):
            raise Forbidden("members register people of their own organisation only", field="person_id")
        if principal.role == Role.FRONT_DESK and event.site_id is not None:
            _staff_at(principal, event.site_id)
        try:
            registration, version, created = await _registrations(request).register(
                event, member, body.person_id, actor(principal)
            )
        except NotOpen as exc:
            raise Conflict(str(exc)) from None
        except NotInAudience as exc:
            raise Forbidden(str(exc)) from None
        if not created:
            response.status_code = 200
        response.headers["Location"] = f"/v1/registrations/{registration.registration_id}"
        _etag(response, version)
        return await registration_view(request, registration, version, live=not created)

    @router.get("/events/{event_id}/registrations", tags=["registrations"])
    async def event_registrations(
        event_id: str,
        request: Request,
        principal: Staff,
        status: RegistrationStatus | None = None,
        cursor: Annotated[str | None, Query(max_length=1000)] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    ) -> dict[str, Any]:
        """The event's list at the door: in order of registration."""
        await staff_event(request, event_id, principal)
        query: Document = {"event_id": event_id, "placing": False}
        if status:
            query["status"] = status.value
        docs, next_cursor = await _page(
            _store(request).registrations.collection, query, "registered_at_sort", limit, cursor
        )
        items = [await registration_view(request, registration_of(d), d["version"]) for d in docs]
        return {"items": items, "next_cursor": next_cursor}

    @router.get("/registrations", tags=["registrations"])
    async def find_registrations(
        request: Request,
        principal: Caller,
        member_id: Annotated[str | None, Query(max_length=100)] = None,
        person_id: Annotated[str | None, Query(max_length=100)] = None,
        event_id: Annotated[str | None, Query(max_length=100)] = None,
        status: RegistrationStatus | None = None,
        cursor: Annotated[str | None, Query(max_length=1000)] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    ) -> dict[str, Any]:
        if principal.role == Role.MEMBER:
            if member_id is not None and member_id != principal.member_id:
                raise Forbidden("members see their own organisation's registrations only", field="member_id")
            member_id = principal.member_id
        if member_id is None and person_id is None and event_id is None:
            raise InvalidInput("give member_id, person_id or event_id", field="member_id")
        if principal.role == Role.FRONT_DESK:  # as for one registration: their sites' only
            await staff_scope(request, principal, member_id, person_id, event_id)
        query: Document = {"placing": False}
        for field, value in (("member_id", member_id), ("person_id", person_id), ("event_id", event_id)):
            if value is not None:
                query[field] = value
        if status:
            query["status"] = status.value
        docs, next_cursor = await _page(
            _store(request).registrations.collection, query, "registered_at_sort", limit, cursor
        )
        items = [await registration_view(request, registration_of(d), d["version"]) for d in docs]
        return {"items": items, "next_cursor": next_cursor}

    async def staff_scope(
        request: Request, principal: Principal, member_id: str | None, person_id: str | None, event_id: str | None
    ) -> None:
        """Front desk lists an event of their sites, or an organisation at home at one of them."""
        if event_id is not None:
            await staff_event(request, event_id, principal)
            return
        if member_id is not None:
            member, _ = await _member_for(request, member_id, principal)
        else:
            assert person_id is not None
            found = await _store(request).member_of_person(person_id)
            if found is None:
                return  # nobody: an empty list tells nothing
            member = found[0]
        _staff_at(principal, member.home_site_id)

    async def registration_for(request: Request, rid: str, principal: Principal) -> tuple[Registration, int]:
        try:
            registration, version = await _registrations(request).get(rid)
        except UnknownRegistration:
            raise NotFound(f"there is no registration {rid}") from None
        if not principal.may_act_for_member(registration.member_id):
            raise NotFound(f"there is no registration {rid}")
        if principal.role == Role.FRONT_DESK:  # staff act for members at their own sites' events
            try:
                event, _ = await _events(request).get(registration.event_id)
            except UnknownEvent:
                raise NotFound(f"there is no registration {rid}") from None
            _staff_at(principal, event.site_id)
        return registration, version

    @router.get("/registrations/{registration_id}", tags=["registrations"])
    async def get_registration(
        registration_id: str, request: Request, response: Response, principal: Caller
    ) -> dict[str, Any]:
        registration, version = await registration_for(request, registration_id, principal)
        _etag(response, version)
        return await registration_view(request, registration, version)

    @router.post("/registrations/{registration_id}/cancel", tags=["registrations"])
    async def cancel_registration(
        registration_id: str, request: Request, response: Response, principal: Caller
    ) -> dict[str, Any]:
        """Before the event: the seat goes to the first waiting person."""
        registration, _ = await registration_for(request, registration_id, principal)
        if registration.event_time.starts_at <= _registrations(request).clock() and principal.role == Role.MEMBER:
            raise Conflict("the event has started; the registration can no longer be cancelled")
        try:
            registration, version = await _registrations(request).cancel(registration_id, actor(principal))
        except registration_rules.WrongState as exc:
            raise Conflict(str(exc)) from None
        _etag(response, version)
        return await registration_view(request, registration, version)

    @router.get("/registrations/{registration_id}/ticket", tags=["registrations"])
    async def ticket(registration_id: str, request: Request, principal: Caller) -> dict[str, Any]:
        """The signed check-in token and its QR code (SVG), to show at the door."""
        registration, _ = await registration_for(request, registration_id, principal)
        try:
            token = _registrations(request).ticket(registration)
        except registration_rules.WrongState as exc:
            raise Conflict(str(exc)) from None
        return {
            "registration_id": registration_id,
            "event_id": registration.event_id,
            "token": token,
            "qr_svg": qr_svg(token),
        }

    @router.post("/events/{event_id}/check-ins", tags=["registrations"])
    async def check_in(event_id: str, body: CheckInIn, request: Request, principal: Staff) -> dict[str, Any]:
        """At the door: the ticket's token; a forged, expired or other event's ticket is refused."""
        await staff_event(request, event_id, principal)
        try:
            registration, version = await _registrations(request).check_in(event_id, body.token)
        except CheckInRefused as refused:
            if refused.conflict:
                raise Conflict(refused.detail) from None
            raise InvalidInput(refused.detail, field="token") from None
        return await registration_view(request, registration, version)

    return router


def _escape(text: str) -> str:
    return "".join("\\" + c if c in r".^$*+?()[]{}|\/" else c for c in text)
