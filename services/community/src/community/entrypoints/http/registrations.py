"""Registrations to community events: a member registers its people, staff anyone's; lists; cancel.

A registration is confirmed when a seat is free and nobody waits, else waitlisted; registering
a person registered already answers 200 with the existing one.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from community import views
from community.entrypoints.http.scope import (
    MAX_LIMIT,
    EventsService,
    MembersService,
    RegistrationsService,
    SeenRegistration,
    Store,
    actor,
    event_for,
    member_for,
    registrations_seen,
    sees_member,
    tag,
)
from community.views import registration_read
from parkgrid.api.community import RegistrationPage, RegistrationRead
from parkgrid.auth import Role
from parkgrid.contracts.common import Id
from parkgrid.contracts.community import RegistrationStatus
from parkgrid.http.access import CallerOrService, Staff
from parkgrid.http.models import RequestModel
from parkgrid.http.problems import Conflict, Forbidden, problems
from parkgrid.refusals import Refused

router = APIRouter(prefix="/v1", tags=["registrations"])

FOUND: dict[int | str, dict[str, Any]] = {200: {"model": RegistrationRead, "description": "Registered already."}}
Cursor = Annotated[str | None, Query(max_length=1000)]


class RegistrationIn(RequestModel):
    person_id: Id
    member_id: Id | None = None


@router.post(
    "/events/{event_id}/registrations",
    status_code=201,
    response_model=RegistrationRead,
    responses={**problems(403, 404, 409), **FOUND},
)
async def register(
    event_id: str,
    body: RegistrationIn,
    response: Response,
    principal: CallerOrService,
    store: Store,
    events: EventsService,
    registrations: RegistrationsService,
) -> RegistrationRead:
    """A member registers a person of their organisation; staff register anyone they see on their behalf.

    The event and the person's organisation are read at once (neither read depends on the other);
    what they decide is checked in the same order as before: an event the caller does not see is
    404 before anything else. The event is read without its seat counts (`counts=False`): the
    seat is decided by the seat book's conditional update, and the answer shows no counts. Both
    are what this process read at most `RECENT_SECONDS` ago, forgotten when it writes them
    (`CommunityStore.event_lately`, `member_of_person_lately`)."""
    refused: Forbidden | None = None
    if principal.role == Role.SERVICE:
        refused = Forbidden("services do not register people")
    elif principal.role == Role.MEMBER and body.member_id is not None and body.member_id != principal.member_id:
        refused = Forbidden("members register people of their own organisation only", field="member_id")
    if refused is not None:
        await event_for(events, event_id, principal, counts=False)
        raise refused
    seen, found = await asyncio.gather(
        event_for(events, event_id, principal, counts=False),
        store.member_of_person_lately(body.person_id),
        return_exceptions=True,
    )
    if isinstance(seen, BaseException):  # the event's answer first, as when they were read in turn
        raise seen
    if isinstance(found, BaseException):
        raise found
    event, _ = seen
    if found is None or (principal.role == Role.FRONT_DESK and not sees_member(principal, found[0])):
        raise Refused.invalid(f"there is no person {body.person_id} in any organisation", field="person_id")
    member, _ = found
    if body.member_id is not None and body.member_id != member.member_id:
        raise Refused.invalid(f"{body.person_id} is not someone of {body.member_id}", field="member_id")
    if not principal.may_act_for_member(member.member_id):
        raise Forbidden("members register people of their own organisation only", field="person_id")
    registration, version, created = await registrations.register(event, member, body.person_id, actor(principal))
    if not created:
        response.status_code = 200
    response.headers["Location"] = f"/v1/registrations/{registration.registration_id}"
    tag(response, version)
    return await registration_read(store, registration, version, live=not created)


@router.get("/events/{event_id}/registrations", response_model=RegistrationPage, responses=problems(403, 404))
async def event_registrations(
    event_id: str,
    principal: Staff,
    store: Store,
    events: EventsService,
    status: RegistrationStatus | None = None,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
) -> RegistrationPage:
    """The event's list at the door: in order of registration (of an online event, a front desk's organisations')."""
    await event_for(events, event_id, principal)
    within = await registrations_seen(store, principal)
    return await views.registrations(store, within=within, event_id=event_id, status=status, cursor=cursor, limit=limit)


@router.get("/registrations", response_model=RegistrationPage, responses=problems(403, 404))
async def find_registrations(
    principal: CallerOrService,
    store: Store,
    members: MembersService,
    events: EventsService,
    member_id: Annotated[Id | None, Query()] = None,
    person_id: Annotated[Id | None, Query()] = None,
    event_id: Annotated[Id | None, Query()] = None,
    status: RegistrationStatus | None = None,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
) -> RegistrationPage:
    """By organisation, person or event, narrowed to what the caller sees; an organisation or an
    event the caller does not see is 404 (a member naming another organisation, 403)."""
    if principal.role == Role.MEMBER:
        if member_id is not None and member_id != principal.member_id:
            raise Forbidden("members see their own organisation's registrations only", field="member_id")
        member_id = principal.member_id
    if member_id is None and person_id is None and event_id is None:
        raise Refused.invalid("give member_id, person_id or event_id", field="member_id")
    if event_id is not None:
        await event_for(events, event_id, principal)
    if member_id is not None:
        await member_for(members, member_id, principal)
    within = await registrations_seen(store, principal)
    return await views.registrations(
        store,
        within=within,
        member_id=member_id,
        person_id=person_id,
        event_id=event_id,
        status=status,
        cursor=cursor,
        limit=limit,
    )


@router.get("/registrations/{registration_id}", response_model=RegistrationRead, responses=problems(403, 404))
async def get_registration(seen: SeenRegistration, response: Response, store: Store) -> RegistrationRead:
    registration, version = seen
    tag(response, version)
    return await registration_read(store, registration, version)


@router.post(
    "/registrations/{registration_id}/cancel", response_model=RegistrationRead, responses=problems(403, 404, 409)
)
async def cancel_registration(
    seen: SeenRegistration,
    response: Response,
    principal: CallerOrService,
    store: Store,
    registrations: RegistrationsService,
) -> RegistrationRead:
    """Before the event: the seat goes to the first waiting person."""
    registration, _ = seen
    if registration.event_time.starts_at <= registrations.clock() and principal.role == Role.MEMBER:
        raise Conflict("the event has started; the registration can no longer be cancelled")
    registration, version = await registrations.cancel(registration.registration_id, actor(principal))
    tag(response, version)
    return await registration_read(store, registration, version)
