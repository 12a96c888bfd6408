"""What a caller may see and do, shared by the routers: the service's parts as dependencies,
and the look-ups that answer 404 for what is not the caller's to see.

- a member sees its own organisation only, and no draft event (404 for the rest);
- a front desk acts at its own sites only (403, as `parkgrid.http.access.at_site`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Response

from community.adapters.stores import CommunityStore
from community.domain.events import CommunityEvent
from community.domain.members import Member
from community.domain.registrations import Registration
from community.service_layer.events import Events, UnknownEvent
from community.service_layer.members import Members
from community.service_layer.registrations import Registrations
from community.views import HIDDEN_FROM_MEMBERS
from parkgrid.auth import Principal, Role
from parkgrid.contracts.common import Actor
from parkgrid.http.access import at_site, component
from parkgrid.http.preconditions import etag
from parkgrid.http.problems import NotFound

Store = Annotated[CommunityStore, component(CommunityStore)]
MembersService = Annotated[Members, component(Members)]
EventsService = Annotated[Events, component(Events)]
RegistrationsService = Annotated[Registrations, component(Registrations)]

MAX_LIMIT = 100


def actor(principal: Principal) -> Actor:
    return Actor(role=principal.role.value, subject=principal.subject[:200])


def tag(response: Response, version: int) -> None:
    """The ETag of what is answered: its version, for a later If-Match."""
    response.headers["ETag"] = etag(version)


async def member_for(members: Members, member_id: str, principal: Principal) -> tuple[Member, int]:
    """The member as this caller may see it: another organisation's is 404 to a member."""
    if not principal.may_act_for_member(member_id):
        raise NotFound(f"there is no member {member_id}")
    return await members.get(member_id)


async def staff_member(members: Members, member_id: str, principal: Principal) -> Member:
    member, _ = await member_for(members, member_id, principal)
    at_site(principal, member.home_site_id)
    return member


async def event_for(events: Events, event_id: str, principal: Principal) -> tuple[CommunityEvent, int]:
    """Drafts are the staff's: to members they are 404."""
    event, version = await events.get(event_id)
    if principal.role == Role.MEMBER and event.status in HIDDEN_FROM_MEMBERS:
        raise UnknownEvent(event_id)
    return event, version


async def staff_event(events: Events, event_id: str, principal: Principal) -> CommunityEvent:
    event, _ = await event_for(events, event_id, principal)
    at_site(principal, event.site_id)
    return event


async def registration_for(registrations: Registrations, rid: str, principal: Principal) -> tuple[Registration, int]:
    """Another organisation's registration is 404; a front desk's is at its own sites' events."""
    registration, version = await registrations.get(rid)
    if not principal.may_act_for_member(registration.member_id):
        raise NotFound(f"there is no registration {rid}")
    if principal.role == Role.FRONT_DESK:
        found = await registrations.events.find(registration.event_id)
        if found is None:
            raise NotFound(f"there is no registration {rid}")
        at_site(principal, found[0].site_id)
    return registration, version
