"""Staff change a community event: revise what it says and holds (PATCH), or cancel it.

Its time moves with `reschedule` (events.py), because a new time may need a new venue from
spaces; what is changed here never does.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import Field

from community.entrypoints.http.inputs import DescriptionIn, EligibilityIn, Reason, TitleIn
from community.entrypoints.http.scope import EventsService, IfMatch, RegistrationsService, event_for, tag
from community.views import event_read
from parkgrid.api.community import EventRead
from parkgrid.contracts.common import Eligibility, LocalizedText
from parkgrid.http.access import Staff
from parkgrid.http.models import RequestModel
from parkgrid.http.preconditions import optional_version
from parkgrid.http.problems import problems
from parkgrid.refusals import Refused

router = APIRouter(prefix="/v1", tags=["events"])


class EventChangesIn(RequestModel):
    """What staff may change of an event (its time: `reschedule`); the fields left out stay as they are."""

    title: TitleIn | None = None
    description: DescriptionIn | None = None
    capacity: int | None = Field(None, ge=1, le=5000)
    audience: EligibilityIn | None = None  # type: ignore[valid-type]


class CancelIn(RequestModel):
    reason: Reason


@router.patch("/events/{event_id}", response_model=EventRead, responses=problems(403, 404, 409, 412))
async def revise_event(
    event_id: str,
    body: EventChangesIn,
    response: Response,
    principal: Staff,
    events: EventsService,
    registrations: RegistrationsService,
    if_match: IfMatch = None,
) -> EventRead:
    """Title, description, capacity, audience (`CommunityEventRevised` names what changed).

    A capacity below the confirmed registrations is 409; a larger one seats the waitlist in
    order; a cancelled or completed event is 409."""
    before, _ = await event_for(events, event_id, principal)
    changes: dict[str, Any] = {}
    if body.title is not None:
        changes["title"] = LocalizedText.model_validate(body.title.model_dump())
    if body.description is not None:
        changes["description"] = LocalizedText.model_validate(body.description.model_dump())
    if body.capacity is not None:
        changes["capacity"] = body.capacity
    if body.audience is not None:
        changes["audience"] = Eligibility.model_validate(body.audience.model_dump())
    if not changes:
        raise Refused.invalid("name at least one of title, description, capacity, audience", field="body")
    event, version = await events.revise(event_id, changes, optional_version(if_match))
    if event.capacity > before.capacity:
        await registrations.promote(event_id)
        event, version = await events.get(event_id)
    tag(response, version)
    return event_read(event, version)


@router.post("/events/{event_id}/cancel", response_model=EventRead, responses=problems(403, 404, 409))
async def cancel_event(
    event_id: str, body: CancelIn, response: Response, principal: Staff, events: EventsService
) -> EventRead:
    await event_for(events, event_id, principal)
    event, version = await events.cancel(event_id, body.reason)
    tag(response, version)
    return event_read(event, version)
