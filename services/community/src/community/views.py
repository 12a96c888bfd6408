"""The community's reads: what routes answer, built from the store (cosmicpython's views).

Writes go through the service layer; these only read. Lists are pages in a stable order
(`parkgrid.paging`): members by name, events by start, registrations by arrival.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from community.adapters.stores import CommunityStore, event_of, member_of, registration_of
from community.domain.events import CommunityEvent
from community.domain.members import Member
from community.domain.registrations import Registration
from parkgrid import paging
from parkgrid.api.community import (
    EventPage,
    EventRead,
    MemberPage,
    MemberRead,
    RegistrationPage,
    RegistrationRead,
)
from parkgrid.contracts.common import MemberKind, ProgrammeStage
from parkgrid.contracts.community import CommunityEventStatus, RegistrationStatus
from parkgrid.store import Document

HIDDEN_FROM_MEMBERS = (CommunityEventStatus.DRAFT, CommunityEventStatus.VENUE_PENDING)
"""The staff's own events: members see what is published, and what was (cancelled, completed)."""


def member_read(member: Member, version: int) -> MemberRead:
    return MemberRead.model_validate({**member.model_dump(mode="json", exclude={"keys"}), "version": version})


def event_read(event: CommunityEvent, version: int) -> EventRead:
    body = event.model_dump(mode="json", exclude={"requests_made"})
    tz = ZoneInfo(event.time_zone)
    body["local_time"] = {
        "starts_at": event.time.starts_at.astimezone(tz).isoformat(),
        "ends_at": event.time.ends_at.astimezone(tz).isoformat(),
        "time_zone": event.time_zone,
    }
    return EventRead.model_validate({**body, "version": version})


async def registration_read(
    store: CommunityStore, registration: Registration, version: int, *, live: bool = True
) -> RegistrationRead:
    """The registration; `live` reads its current place in the queue (it moves as others leave)."""
    body = registration.model_dump(mode="json", exclude={"placing", "round", "arrival"})
    if registration.placing:
        body["status"] = "pending"
    if live and registration.status == RegistrationStatus.WAITLISTED and not registration.placing:
        occupancy = await store.seats.occupancy(registration.event_id)
        if occupancy is not None:
            body["waitlist_position"] = occupancy.position_of(registration.seat_key)
    return RegistrationRead.model_validate({**body, "version": version})


def _escape(text: str) -> str:
    return "".join("\\" + c if c in r".^$*+?()[]{}|\/" else c for c in text)


def _matching(within: Document, **fields: object) -> Document:
    """The query of the fields given (None: any), narrowed to `within` (what the caller sees)."""
    query: Document = {field: value for field, value in fields.items() if value is not None}
    return {"$and": [query, within]} if within else query


async def search_members(
    store: CommunityStore,
    *,
    within: Document,
    q: str | None = None,
    site_id: str | None = None,
    stage: ProgrammeStage | None = None,
    cohort: str | None = None,
    kind: MemberKind | None = None,
    status: str | None = None,
    cursor: str | None = None,
    limit: int = 20,
) -> MemberPage:
    """The front desk's search: by name (any part, any case), site, stage, cohort, kind, status."""
    query = _matching(
        within,
        name_search={"$regex": _escape(q.casefold())} if q else None,
        home_site_id=site_id,
        stage=stage and stage.value,
        cohort=cohort,
        kind=kind and kind.value,
        status=status,
    )
    docs, next_cursor = await paging.page(store.members.collection, query, "name_sort", limit, cursor)
    return MemberPage(items=[member_read(member_of(d), d["version"]) for d in docs], next_cursor=next_cursor)


async def list_events(
    store: CommunityStore,
    *,
    within: Document,
    published_only: bool,
    site_id: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    status: CommunityEventStatus | None = None,
    cursor: str | None = None,
    limit: int = 20,
) -> EventPage:
    """Events by start time in [start, end); `published_only` leaves out drafts and venue waits."""
    window = {op: at for op, at in (("$gte", start), ("$lt", end)) if at is not None}
    if published_only and status in HIDDEN_FROM_MEMBERS:
        return EventPage(items=[], next_cursor=None)
    shown = {"$nin": sorted(s.value for s in HIDDEN_FROM_MEMBERS)} if published_only else None
    query = _matching(
        within, site_id=site_id, starts_at=window or None, status=status.value if status is not None else shown
    )
    docs, next_cursor = await paging.page(store.events.collection, query, "starts_at", limit, cursor)
    seats = await store.seats.occupancies(d["_id"] for d in docs)
    items = []
    for doc in docs:
        event, occupancy = event_of(doc), seats.get(doc["_id"])
        if occupancy is not None:  # the counts as they are now, not as of the event's last change
            event = event.model_copy(update={"registered": occupancy.taken, "waitlisted": occupancy.waiting})
        items.append(event_read(event, doc["version"]))
    return EventPage(items=items, next_cursor=next_cursor)


async def registrations(
    store: CommunityStore,
    *,
    within: Document,
    member_id: str | None = None,
    person_id: str | None = None,
    event_id: str | None = None,
    status: RegistrationStatus | None = None,
    cursor: str | None = None,
    limit: int = 20,
) -> RegistrationPage:
    """Registrations in order of arrival (the list at the door), placed ones only."""
    query = _matching(
        within,
        placing=False,
        member_id=member_id,
        person_id=person_id,
        event_id=event_id,
        status=status and status.value,
    )
    docs, next_cursor = await paging.page(store.registrations.collection, query, "registered_at_sort", limit, cursor)
    items = [await registration_read(store, registration_of(d), d["version"]) for d in docs]
    return RegistrationPage(items=items, next_cursor=next_cursor)
