"""What a caller may see and do, shared by the routers: the service's parts as dependencies,
and the look-ups that answer 404 for what is not the caller's to see.

One rule, the kit's `parkgrid.http.access.Scope` (admins and services everything, a front
desk its own sites, a member its own organisation), read for each kind of thing:
- a member organisation is at its `home_site_id` and belongs to itself: a front desk sees
  the organisations at home at its sites, a member its own (404 for the rest);
- an event is at its site; an online event (no site) is everyone's; members see no draft
  and no event waiting for its venue (404);
- a registration (and its ticket) is seen by the desk of its event's site and by the desk
  of its organisation's home site (the list at the door, and the organisation's record);
  a member sees its own organisation's.
A front desk that names another site itself (a filter, a body) is refused with 403
(`parkgrid.http.access.at_site`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Response

from community.adapters.stores import CommunityStore
from community.domain.events import CommunityEvent
from community.domain.members import Member
from community.domain.registrations import Registration
from community.service_layer.events import Events, UnknownEvent
from community.service_layer.members import Members, UnknownMember
from community.service_layer.registrations import Registrations, UnknownRegistration
from community.views import HIDDEN_FROM_MEMBERS
from parkgrid.auth import Principal, Role
from parkgrid.contracts.common import Actor
from parkgrid.http.access import CallerOrService, Scope, component
from parkgrid.http.preconditions import etag
from parkgrid.store import Collection, Document

Store = Annotated[CommunityStore, component(CommunityStore)]
MembersService = Annotated[Members, component(Members)]
EventsService = Annotated[Events, component(Events)]
RegistrationsService = Annotated[Registrations, component(Registrations)]

IfMatch = Annotated[str | None, Header()]
"""The version the caller last saw (`"<n>"`), for a conditional write (`parkgrid.http.preconditions`)."""

MAX_LIMIT = 100


def actor(principal: Principal) -> Actor:
    return Actor(role=principal.role.value, subject=principal.subject[:200])


def tag(response: Response, version: int) -> None:
    """The ETag of what is answered: its version, for a later If-Match."""
    response.headers["ETag"] = etag(version)


# --- members --------------------------------------------------------------------------


def sees_member(principal: Principal, member: Member) -> bool:
    return Scope(principal).sees(site_id=member.home_site_id, member_id=member.member_id)


def members_seen(principal: Principal) -> Document:
    """The filter of the member documents the caller sees."""
    return Scope(principal).query(site_field="home_site_id", member_field="_id")


async def member_for(members: Members, member_id: str, principal: Principal) -> tuple[Member, int]:
    """The member as this caller may see it: another site's or organisation's is 404."""
    member, version = await members.get(member_id)
    if not sees_member(principal, member):
        raise UnknownMember(member_id)
    return member, version


# --- events ---------------------------------------------------------------------------


def sees_event(principal: Principal, event: CommunityEvent) -> bool:
    if principal.role == Role.MEMBER:
        return event.status not in HIDDEN_FROM_MEMBERS
    return event.site_id is None or Scope(principal).sees(site_id=event.site_id)


def events_seen(principal: Principal) -> Document:
    """The filter of the event documents the caller sees (a member's status rule is the view's)."""
    if principal.role != Role.FRONT_DESK:
        return {}
    return {"site_id": {"$in": [*principal.sites, None]}}


async def event_for(
    events: Events, event_id: str, principal: Principal, *, counts: bool = True
) -> tuple[CommunityEvent, int]:
    """The event as this caller may see it: another site's (to a front desk) and drafts (to members) are 404.

    Without `counts`, one read: the seat counts are those of the event's last change (`Events.get_as_saved`),
    for a route that does not answer with them (what the caller sees depends on status and site only)."""
    event, version = await (events.get(event_id) if counts else events.get_as_saved(event_id))
    if not sees_event(principal, event):
        raise UnknownEvent(event_id)
    return event, version


# --- registrations --------------------------------------------------------------------


async def sees_registration(store: CommunityStore, principal: Principal, registration: Registration) -> bool:
    if principal.role != Role.FRONT_DESK:
        return Scope(principal).sees(member_id=registration.member_id)
    scope = Scope(principal)
    event = await store.event(registration.event_id)
    if event is not None and event[0].site_id is not None and scope.sees(site_id=event[0].site_id):
        return True
    member = await store.member(registration.member_id)
    return member is not None and sees_member(principal, member[0])


async def registrations_seen(store: CommunityStore, principal: Principal) -> Document:
    """The filter of the registrations the caller sees: a front desk's are those at its sites'
    events and those of the organisations at home at its sites."""
    if principal.role != Role.FRONT_DESK:
        return Scope(principal).query(site_field=None, member_field="member_id")
    member_ids = await _ids(store.members.collection, members_seen(principal))
    event_ids = await _ids(store.events.collection, Scope(principal).query(site_field="site_id", member_field=None))
    return {"$or": [{"member_id": {"$in": member_ids}}, {"event_id": {"$in": event_ids}}]}


async def _ids(collection: Collection, query: Document) -> list[str]:
    docs = await collection.find(query, {"_id": 1}).to_list()
    return [str(d["_id"]) for d in docs]


async def registration_for(
    registration_id: str, principal: CallerOrService, store: Store, registrations: RegistrationsService
) -> tuple[Registration, int]:
    """The registration of the path as this caller may see it: anything else is 404."""
    registration, version = await registrations.get(registration_id)
    if not await sees_registration(store, principal, registration):
        raise UnknownRegistration(registration_id)
    return registration, version


SeenRegistration = Annotated[tuple[Registration, int], Depends(registration_for)]
"""What the routes of one registration start from (its read, its cancel, its ticket)."""
