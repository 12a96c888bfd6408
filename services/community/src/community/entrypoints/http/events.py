"""Community events: staff schedule, publish, move and cancel them; everyone lists them.

Publishing or moving an event that needs a venue answers 202 with a `Location` while
spaces is asked for it (the venue saga, `domain/events.py`), 200 once final.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from community import views
from community.domain.events import CommunityEvent, refusal_for_time
from community.entrypoints.http.inputs import EventIn, TimeRangeIn
from community.entrypoints.http.scope import (
    MAX_LIMIT,
    EventsService,
    IfMatch,
    Store,
    event_for,
    events_seen,
    tag,
)
from community.views import event_read
from parkgrid.api.community import EventPage, EventRead
from parkgrid.auth import Role
from parkgrid.contracts.common import Id, Mode, TimeRange
from parkgrid.contracts.community import CommunityEventStatus
from parkgrid.contracts.spaces import SpaceFeature
from parkgrid.http.access import CallerOrService, Staff, at_site
from parkgrid.http.idempotency import command_id
from parkgrid.http.preconditions import optional_version
from parkgrid.http.problems import Conflict, problems
from parkgrid.inputs import Instant
from parkgrid.refusals import Refused

router = APIRouter(prefix="/v1", tags=["events"])

WAITING: dict[int | str, dict[str, Any]] = {202: {"model": EventRead, "description": "Waiting for spaces' venue."}}
VENUE_SAGA: dict[int | str, dict[str, Any]] = {**problems(403, 404, 409, 412), **WAITING}
"""What publishing or moving an event answers: done (200), waiting for spaces' venue (202), or refused."""


def plannable(time: TimeRange, events: EventsService, field: str) -> None:
    """Not in the past, not beyond the horizon: 422 naming `field`."""
    refusal = refusal_for_time(time, events.clock())
    if refusal is not None:
        raise Refused.invalid(refusal, field=field)


def answered(response: Response, event: CommunityEvent, version: int) -> EventRead:
    """200 when final; 202 with the event's `Location` while a venue request waits for spaces."""
    tag(response, version)
    if event.venue_request_id is not None:
        response.status_code = 202
        response.headers["Location"] = f"/v1/events/{event.event_id}"
    return event_read(event, version)


@router.post("/events", status_code=201, response_model=EventRead, responses={**problems(403, 409), **WAITING})
async def schedule_event(
    body: EventIn, request: Request, response: Response, principal: Staff, store: Store, events: EventsService
) -> EventRead:
    if body.mode != Mode.ONLINE and body.site_id is None:
        raise Refused.invalid("an in-person or hybrid event needs a site", field="site_id")
    requirement = body.venue_requirement
    known = {feature.value for feature in SpaceFeature}
    features: list[str] = list(requirement.features) if requirement is not None else []
    for n, feature in enumerate(features):
        if feature not in known:  # no space could ever be found for it
            raise Refused.invalid(f"{feature} is not a space feature", field=f"venue_requirement.features.{n}")
    if requirement is not None and body.mode == Mode.IN_PERSON and requirement.seats < body.capacity:
        raise Refused.invalid("the venue must seat the event's capacity", field="venue_requirement.seats")
    time = TimeRange(starts_at=body.time.starts_at, ends_at=body.time.ends_at)
    plannable(time, events, "time.starts_at")
    zone = body.time_zone or events.default_zone
    if body.site_id is not None:
        site = await store.sites.get(body.site_id)
        if site is None:
            raise Refused.invalid(f"there is no site {body.site_id}", field="site_id")
        zone = site["time_zone"]
        at_site(principal, body.site_id)
    key = request.headers.get("idempotency-key")
    event_id = body.event_id or "cevt-" + command_id(f"community.event:{principal.subject}", key)[:18]
    event = CommunityEvent(
        **body.model_dump(include={"site_id", "kind", "mode", "title", "description", "capacity", "audience"}),
        event_id=event_id,
        time=time,
        time_zone=zone,
        venue_requirement=requirement,
        status=CommunityEventStatus.DRAFT,
    )
    event, version, created = await events.schedule(event)
    if not created and body.event_id is not None and key is None:
        raise Conflict(f"there is already an event {event_id}", field="event_id")
    if body.publish:
        event, version = await events.publish(event_id)
    response.headers["Location"] = f"/v1/events/{event_id}"
    tag(response, version)
    return event_read(event, version)


@router.get("/events", response_model=EventPage, responses=problems())
async def list_events(
    principal: CallerOrService,
    store: Store,
    site_id: Annotated[Id | None, Query()] = None,
    start: Annotated[Instant | None, Query(alias="from")] = None,
    end: Annotated[Instant | None, Query(alias="to")] = None,
    status: CommunityEventStatus | None = None,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
) -> EventPage:
    """Events by start time; members see what is published (and what was, cancelled or completed);
    a front desk its sites' events and the online ones (naming another site is 403)."""
    if site_id is not None:
        at_site(principal, site_id)
    if start is not None and end is not None and end < start:
        raise Refused.invalid("to is before from", field="to")
    return await views.list_events(
        store,
        within=events_seen(principal),
        published_only=principal.role == Role.MEMBER,
        site_id=site_id,
        start=start,
        end=end,
        status=status,
        cursor=cursor,
        limit=limit,
    )


@router.get("/events/{event_id}", response_model=EventRead, responses=problems(404))
async def get_event(event_id: str, response: Response, principal: CallerOrService, events: EventsService) -> EventRead:
    event, version = await event_for(events, event_id, principal)
    tag(response, version)
    return event_read(event, version)


@router.post("/events/{event_id}/publish", response_model=EventRead, responses=VENUE_SAGA)
async def publish_event(
    event_id: str,
    response: Response,
    principal: Staff,
    events: EventsService,
    if_match: IfMatch = None,
) -> EventRead:
    """Published at once (200), or waiting for spaces to reserve its venue (202, poll the Location)."""
    await event_for(events, event_id, principal)
    event, version = await events.publish(event_id, optional_version(if_match))
    return answered(response, event, version)


@router.post("/events/{event_id}/reschedule", response_model=EventRead, responses=VENUE_SAGA)
async def reschedule_event(
    event_id: str,
    body: TimeRangeIn,
    response: Response,
    principal: Staff,
    events: EventsService,
    if_match: IfMatch = None,
) -> EventRead:
    """Moved at once (200), or waiting for the new venue, the old one kept meanwhile (202)."""
    await event_for(events, event_id, principal)
    time = TimeRange(starts_at=body.starts_at, ends_at=body.ends_at)
    plannable(time, events, "starts_at")
    event, version = await events.reschedule(event_id, time, optional_version(if_match))
    return answered(response, event, version)
