"""A place on a full session's waitlist: waiting, then promoted (it became a booking) or left.

Places are kept as the documents `service_layer.seating` writes (`entry_id`, `session_key`,
`position`, `status`, ...); these rules are pure over that state and return it changed with
the domain events (`domain.happened`) that say what happened. Both leave only a waiting place,
and each is applied in one version-guarded write of the place, so a leave and a promotion racing
for it end with exactly one of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bookings.domain.booking import Unavailable
from bookings.domain.happened import PlaceLeft, PlacePromoted, PlaceTaken
from parkgrid.domain import DomainEvent

WAITING = "waiting"
LEFT = "left"
PROMOTED = "promoted"
REASONS = ("left", "session_started", "no_longer_eligible")


def join(place: Mapping[str, Any]) -> tuple[dict[str, Any], list[DomainEvent]]:
    """A new place, waiting in the line of a full session (the place as `seating` writes it)."""
    state = {**place, "status": WAITING}
    return state, [PlaceTaken(state)]


def _waiting(place: Mapping[str, Any]) -> None:
    if place["status"] != WAITING:
        raise Unavailable(f"this waitlist place is {place['status']}, not waiting", field="entry_id")


def leave(place: Mapping[str, Any], reason: str, now: datetime) -> tuple[dict[str, Any], list[DomainEvent]]:
    """Out of the line without a seat; only a waiting place can leave (409 otherwise).

    Returns what changes on the place (its status, when and why) and the event, which carries
    the place as it stands after."""
    assert reason in REASONS
    _waiting(place)
    changes = {"status": LEFT, "left_at": now, "reason": reason}
    return changes, [PlaceLeft({**place, **changes}, reason)]


def promote(place: Mapping[str, Any], now: datetime) -> tuple[dict[str, Any], list[DomainEvent]]:
    """The place gets its seat and becomes its booking (`booking_id`); only a waiting place can."""
    _waiting(place)
    changes = {"status": PROMOTED, "promoted_at": now}
    return changes, [PlacePromoted({**place, **changes}, str(place["booking_id"]))]


def started(place: Mapping[str, Any], now: datetime) -> bool:
    """The session of a waiting place has begun: nobody will be promoted into it any more."""
    return bool(place["status"] == WAITING and place["starts_at"] <= now)
