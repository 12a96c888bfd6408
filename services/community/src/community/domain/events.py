"""Community events and their venue saga: the state machine, without I/O.

An event that needs a venue asks spaces for a reservation (`VenueAskedFor`, published as
spaces' `ReservationRequested` command through the event's own outbox) and waits in `venue_pending`; the answer
publishes it or sends it back to draft with the refusal. Rescheduling an event that holds
a venue asks for the new slot first and releases the old one only once the new one is
confirmed; cancelling releases whatever was asked for. Each request has its own id
(`<event>.venue.<n>`), so an answer to a request the event no longer wants (late,
duplicate, for a cancelled event) is recognised and given back, never kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field

from community.domain.happened import (
    EventBackToDraft,
    EventCalledOff,
    EventDrafted,
    EventHeld,
    EventMoved,
    EventOpened,
    EventRevised,
    VenueAskedFor,
    VenueGivenBack,
)
from community.domain.kept import Kept
from parkgrid.contracts.common import (
    Eligibility,
    Id,
    LocalizedText,
    MemberKind,
    Mode,
    ProgrammeStage,
    SpaceRequirement,
    TimeRange,
    TimeZone,
)
from parkgrid.contracts.community import CommunityEventKind, CommunityEventStatus, Venue
from parkgrid.domain import DomainEvent
from parkgrid.refusals import Refusal, Refused

Status = CommunityEventStatus
HORIZON = timedelta(days=2 * 365)
"""How far ahead an event may be planned."""


class WrongState(Refused):
    """The event is not in a state that allows this (409)."""

    def __init__(self, detail: str) -> None:
        super().__init__(Refusal.CONFLICT, detail)


class CommunityEvent(Kept):
    """The aggregate: the event as it stands, its seat counts, and the venue saga's bookkeeping."""

    event_id: Id
    site_id: Id | None = Field(None, description="None for an online event.")
    kind: CommunityEventKind
    mode: Mode
    title: LocalizedText
    description: LocalizedText
    time: TimeRange
    time_zone: TimeZone
    capacity: int = Field(ge=1, le=5000)
    audience: Eligibility
    venue_requirement: SpaceRequirement | None = None
    venue: Venue | None = None
    venue_refusal: str | None = Field(None, max_length=500, description="Why the last venue request failed.")
    status: CommunityEventStatus
    registered: int = Field(0, ge=0)
    waitlisted: int = Field(0, ge=0)
    venue_request_id: str | None = Field(None, description="The reservation request waiting for an answer.")
    pending_time: TimeRange | None = Field(None, description="The time a reschedule waits a venue for.")
    requests_made: int = 0
    cancel_reason: str | None = None

    @property
    def needs_venue(self) -> bool:
        return self.venue_requirement is not None and self.mode != Mode.ONLINE and self.site_id is not None

    @property
    def open_for_registration(self) -> bool:
        return self.status == Status.PUBLISHED


class BelowRegistrations(Refused):
    """A capacity smaller than the seats already given (409 on `capacity`)."""

    def __init__(self, capacity: int, registered: int) -> None:
        super().__init__(
            Refusal.CONFLICT,
            f"capacity {capacity} is below the {registered} confirmed registrations",
            field="capacity",
        )


@dataclass(frozen=True)
class Seats:
    """How many are registered and waiting, stamped on every event published."""

    registered: int = 0
    waitlisted: int = 0


Change = tuple[CommunityEvent, list[DomainEvent]]


def _with(event: CommunityEvent, seats: Seats, **changes: Any) -> CommunityEvent:
    return event.model_copy(update={**changes, "registered": seats.registered, "waitlisted": seats.waitlisted})


def _next_request(event: CommunityEvent) -> str:
    return f"{event.event_id}.venue.{event.requests_made + 1}"


def _asked(waiting: CommunityEvent, request_id: str, time: TimeRange) -> VenueAskedFor:
    """`waiting` asks spaces for its venue at `time` (only an event that needs a venue asks)."""
    assert waiting.site_id is not None
    assert waiting.venue_requirement is not None
    return VenueAskedFor(
        waiting, request_id=request_id, site_id=waiting.site_id, requirement=waiting.venue_requirement, time=time
    )


def _given_back(event: CommunityEvent, request_id: str, reason: str) -> VenueGivenBack:
    assert event.site_id is not None
    return VenueGivenBack(event, request_id=request_id, site_id=event.site_id, reason=reason[:500])


def schedule(event: CommunityEvent) -> Change:
    """A new event is a draft."""
    draft = event.model_copy(update={"status": Status.DRAFT})
    return draft, [EventDrafted(draft)]


def publish(event: CommunityEvent, seats: Seats) -> Change:
    """Open the event: at once without a venue, else ask spaces for one first."""
    if event.status == Status.PUBLISHED:
        return event, []
    if event.status != Status.DRAFT:
        raise WrongState(f"a {event.status.value} event cannot be published")
    if event.needs_venue and event.venue is None:
        request_id = _next_request(event)
        waiting = _with(
            event,
            seats,
            status=Status.VENUE_PENDING,
            venue_request_id=request_id,
            requests_made=event.requests_made + 1,
        )
        return waiting, [_asked(waiting, request_id, event.time)]
    published = _with(event, seats, status=Status.PUBLISHED, venue_refusal=None)
    return published, [EventOpened(published)]


def venue_confirmed(event: CommunityEvent, request_id: str, space_id: str, space_name: str, seats: Seats) -> Change:
    """Spaces reserved a space for `request_id`."""
    venue = Venue(reservation_request_id=request_id, space_id=space_id, space_name=space_name)
    if request_id == event.venue_request_id and event.status == Status.VENUE_PENDING:
        published = _with(event, seats, status=Status.PUBLISHED, venue=venue, venue_request_id=None, venue_refusal=None)
        return published, [EventOpened(published)]
    if request_id == event.venue_request_id and event.pending_time is not None and event.status == Status.PUBLISHED:
        moved = _with(
            event,
            seats,
            time=event.pending_time,
            venue=venue,
            venue_request_id=None,
            pending_time=None,
            venue_refusal=None,
        )
        happened: list[DomainEvent] = [EventMoved(moved, previous_time=event.time)]
        if event.venue is not None:
            happened.append(_given_back(moved, event.venue.reservation_request_id, "the event moved to another time"))
        return moved, happened
    if event.venue is not None and event.venue.reservation_request_id == request_id:
        return event, []  # a duplicate of the answer already applied
    # An answer the event no longer wants (cancelled, superseded, or never asked): give it back.
    if event.site_id is None:
        return event, []
    return event, [_given_back(event, request_id, "the event no longer needs this reservation")]


def venue_refused(event: CommunityEvent, request_id: str, detail: str, seats: Seats) -> Change:
    """Spaces could not reserve anything for `request_id`."""
    if request_id != event.venue_request_id:
        return event, []
    if event.status == Status.VENUE_PENDING:
        draft = _with(event, seats, status=Status.DRAFT, venue_request_id=None, venue_refusal=detail[:500])
        return draft, [EventBackToDraft(draft)]
    # A reschedule that found no venue: the event keeps its time and venue.
    kept = _with(event, seats, venue_request_id=None, pending_time=None, venue_refusal=detail[:500])
    return kept, []


def reschedule(event: CommunityEvent, time: TimeRange, seats: Seats) -> Change:
    """Move the event; one holding a venue asks for the new slot first (the old stays held until then)."""
    if event.status in (Status.CANCELLED, Status.COMPLETED):
        raise WrongState(f"a {event.status.value} event cannot be rescheduled")
    if event.venue_request_id is not None:
        raise WrongState("the event is waiting for spaces to answer a venue request; try again shortly")
    if time == event.time:
        return event, []
    if event.status == Status.PUBLISHED and event.venue is not None:
        request_id = _next_request(event)
        waiting = _with(
            event,
            seats,
            pending_time=time,
            venue_request_id=request_id,
            requests_made=event.requests_made + 1,
            venue_refusal=None,
        )
        return waiting, [_asked(waiting, request_id, time)]
    moved = _with(event, seats, time=time)
    if event.status == Status.DRAFT and event.venue is not None:
        # A draft keeps no venue across a move (cannot happen today, kept safe).
        moved = moved.model_copy(update={"venue": None})
    return moved, [EventMoved(moved, previous_time=event.time)]


REVISABLE = ("title", "description", "capacity", "audience")


def revise(event: CommunityEvent, changes: dict[str, Any], seats: Seats) -> Change:
    """Staff change the title, description, capacity or audience; the same values change nothing.

    A capacity below the seats given is refused by the seat book, in the one conditional
    update that sets it (`adapters.seats.SeatBook.resize`, `BelowRegistrations`), not here:
    the seats are taken there, and counted here only as of a read."""
    if event.status in (Status.CANCELLED, Status.COMPLETED):
        raise WrongState(f"a {event.status.value} event cannot be edited")
    unknown = set(changes) - set(REVISABLE)
    assert not unknown, unknown
    changed = tuple(name for name in REVISABLE if name in changes and changes[name] != getattr(event, name))
    if not changed:
        return event, []
    revised = _with(event, seats, **{name: changes[name] for name in changed})
    return revised, [EventRevised(revised, changed=changed)]


def cancel(event: CommunityEvent, reason: str, seats: Seats) -> Change:
    """Cancel the event and give back every reservation it holds or asked for; twice changes nothing."""
    if event.status == Status.CANCELLED:
        return event, []
    if event.status == Status.COMPLETED:
        raise WrongState("a completed event cannot be cancelled")
    cancelled = _with(
        event,
        seats,
        status=Status.CANCELLED,
        venue_request_id=None,
        pending_time=None,
        cancel_reason=reason,
    )
    held = [event.venue.reservation_request_id] if event.venue is not None else []
    asked = [event.venue_request_id] if event.venue_request_id is not None else []
    releases = [_given_back(cancelled, request_id, f"event cancelled: {reason}") for request_id in held + asked]
    return cancelled, [EventCalledOff(cancelled, reason=reason), *releases]


def complete(event: CommunityEvent, attended: int, no_shows: int, now: datetime, seats: Seats) -> Change:
    """After its end, a published event is completed with its attendance; its venue's time is over."""
    if event.status != Status.PUBLISHED or now < event.time.ends_at:
        return event, []
    done = _with(event, seats, status=Status.COMPLETED)
    return done, [EventHeld(done, attended=attended, no_shows=no_shows)]


def refusal_for_audience(
    event: CommunityEvent, kind: MemberKind, stage: ProgrammeStage, cohort: str | None, member_name: str
) -> str | None:
    """Why this organisation may not register (None when it may): the kit's one eligibility rule, in our words."""
    audience = event.audience
    unmet = audience.unmet(kind.value, stage.value, cohort)
    if unmet == "kind":
        kinds = ", ".join(k.value for k in audience.member_kinds)
        return f"{event.title.en} is for {kinds}; {member_name} is a {kind.value}"
    if unmet == "stage":
        stages = ", ".join(s.value for s in audience.stages)
        return f"{event.title.en} is for members at stage {stages}; {member_name} is at {stage.value}"
    if unmet == "cohort":
        cohorts = ", ".join(audience.cohorts)
        its = f"in cohort {cohort}" if cohort else "in no cohort"
        return f"{event.title.en} is for members of cohort {cohorts}; {member_name} is {its}"
    return None


def refusal_for_time(time: TimeRange, now: datetime, horizon: timedelta = HORIZON) -> str | None:
    """Why an event may not be planned at `time` (None when it may): not in the past, not beyond the horizon."""
    if time.starts_at <= now:
        return "an event cannot start in the past"
    if time.starts_at > now + horizon:
        return f"an event cannot be planned more than {horizon.days // 365} years ahead"
    return None
