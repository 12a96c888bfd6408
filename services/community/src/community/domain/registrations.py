"""Registrations to community events: their lifecycle, without I/O.

Seats are decided elsewhere (one seat document per event, changed by conditional atomic
updates); a registration records the outcome and publishes it. A registration is
`placing` between its creation and the seat decision: it publishes nothing until then, so
a crash in between leaves a document that the reconciler completes, never a lost seat.
Each placing has a `round` (a person may cancel and register again), and its seat is held
under the key `<registration>:<round>`, so a late release of an old round never frees the
seat of a newer one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import Field

from community.domain.happened import PersonArrived, PlaceInLineTaken, RegistrationWithdrawn, SeatFreedUpFor, SeatTaken
from community.domain.kept import Kept
from parkgrid.contracts.common import Actor, Id, LocalizedText, TimeRange
from parkgrid.contracts.community import RegistrationStatus
from parkgrid.domain import DomainEvent
from parkgrid.inputs import Instant
from parkgrid.refusals import Refusal, Refused

Status = RegistrationStatus
ACTIVE = (Status.CONFIRMED, Status.WAITLISTED, Status.CHECKED_IN)


class WrongState(Refused):
    """The registration is not in a state that allows this (409)."""

    def __init__(self, detail: str) -> None:
        super().__init__(Refusal.CONFLICT, detail)


class Registration(Kept):
    """The aggregate: a person's registration, its placing flag and round, the check-in time."""

    registration_id: Id
    event_id: Id
    member_id: Id
    person_id: Id
    status: RegistrationStatus
    waitlist_position: int | None = Field(None, ge=1)
    registered_at: Instant
    registered_by: Actor
    event_time: TimeRange
    event_title: LocalizedText
    placing: bool = False
    round: int = Field(1, ge=1)
    arrival: int | None = None
    checked_in_at: datetime | None = None
    cancelled_at: datetime | None = None

    @property
    def seat_key(self) -> str:
        return seat_key(self.registration_id, self.round)


def seat_key(registration_id: str, round_: int) -> str:
    return f"{registration_id}:{round_}"


def key_parts(key: str) -> tuple[str, int]:
    registration_id, _, round_ = key.rpartition(":")
    return registration_id, int(round_)


Change = tuple[Registration, list[DomainEvent]]


@dataclass(frozen=True)
class Door:
    """When the door of an event takes tickets: from `opens_at` until `closes_at`, told in `zone`."""

    opens_at: datetime
    closes_at: datetime
    zone: str

    def local(self, moment: datetime) -> str:
        return moment.astimezone(ZoneInfo(self.zone)).strftime("%H:%M")

    def day_and_time(self, moment: datetime) -> str:
        return moment.astimezone(ZoneInfo(self.zone)).strftime("%d/%m/%Y %H:%M")


def placed_again(
    registration: Registration,
    member_id: str,
    by: Actor,
    now: datetime,
    event_time: TimeRange,
    event_title: LocalizedText,
) -> Change:
    """A cancelled registration is placed again, in a new round (nothing published until its seat is decided).

    An active or placing one is left as it is: registering twice finds the first."""
    if registration.placing or registration.status in ACTIVE:
        return registration, []
    revived = registration.model_copy(
        update={
            "placing": True,
            "round": registration.round + 1,
            "member_id": member_id,
            "registered_at": now,
            "registered_by": by,
            "event_time": event_time,
            "event_title": event_title,
            "cancelled_at": None,
        }
    )
    return revived, []


def seated(registration: Registration, arrival: int | None) -> Change:
    placed = registration.model_copy(
        update={"placing": False, "status": Status.CONFIRMED, "waitlist_position": None, "arrival": arrival}
    )
    return placed, [SeatTaken(placed)]


def queued(registration: Registration, arrival: int | None, position: int) -> Change:
    placed = registration.model_copy(
        update={"placing": False, "status": Status.WAITLISTED, "waitlist_position": position, "arrival": arrival}
    )
    return placed, [PlaceInLineTaken(placed)]


def promoted(registration: Registration) -> Change:
    """A seat freed up for this waiting person; once only (a confirmed one is left as it is)."""
    if registration.placing or registration.status != Status.WAITLISTED:
        return registration, []
    up = registration.model_copy(update={"status": Status.CONFIRMED, "waitlist_position": None})
    return up, [SeatFreedUpFor(up)]


def cancelled(registration: Registration, by: Actor, now: datetime) -> Change:
    if registration.placing:
        raise WrongState("the registration is still being placed; try again in a moment")
    if registration.status == Status.CANCELLED:
        return registration, []
    if registration.status == Status.CHECKED_IN:
        raise WrongState("the person was checked in already; the registration can no longer be cancelled")
    previous = registration.status
    gone = registration.model_copy(update={"status": Status.CANCELLED, "waitlist_position": None, "cancelled_at": now})
    return gone, [RegistrationWithdrawn(gone, by=by, previous_status=previous)]


def checked_in(registration: Registration, now: datetime, door: Door) -> Change:
    """At the door, while it is open; a second scan is refused with the time of the first."""
    if registration.status == Status.CHECKED_IN:
        at = registration.checked_in_at
        raise WrongState("already checked in" + (f" at {door.local(at)}" if at is not None else ""))
    if registration.placing or registration.status != Status.CONFIRMED:
        raise WrongState(f"a {registration.status.value} registration cannot be checked in")
    if now < door.opens_at:
        raise WrongState(f"check-in opens at {door.day_and_time(door.opens_at)}")
    if now >= door.closes_at:
        raise WrongState(f"check-in closed at {door.day_and_time(door.closes_at)}: the event is over")
    inside = registration.model_copy(update={"status": Status.CHECKED_IN, "checked_in_at": now})
    return inside, [PersonArrived(inside, at=now)]
