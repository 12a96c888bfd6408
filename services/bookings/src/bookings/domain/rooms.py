"""Whether some room of a site can host a session: spaces' rule, read from spaces' facts.

Spaces decides (its calendar's version-guarded write is the guard, and the saga may still be
refused `no_space` by a race); bookings only offers what spaces would confirm as far as its
projections know (seconds behind at worst). The rule is spaces' own, applied to the same facts:
a room meets a requirement when it is active, of the kind, with enough seats and every feature
(`spaces.domain.model.Space.meets`), and it is free when nothing it holds (a confirmed
reservation, a residency's whole days) falls in the session, its preparation or its cleaning,
nor the session in theirs (`Calendar.is_free`). Which buffers a room has (its own, else its kind's
at its site) and what they keep free are the kit's one rule, `parkgrid.buffers`, the very code
spaces' guard runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from parkgrid.buffers import Buffers
from parkgrid.contracts.common import SpaceRequirement
from parkgrid.contracts.spaces import SpaceStatus


@dataclass(frozen=True)
class Room:
    """What bookings knows of a space of a site (from `spaces.space`), its buffers resolved with its
    site's defaults (from `spaces.site`)."""

    space_id: str
    site_id: str
    kind: str
    capacity: int
    features: frozenset[str]
    buffers: Buffers
    status: str

    def meets(self, requirement: SpaceRequirement) -> bool:
        return (
            self.status == SpaceStatus.ACTIVE.value
            and self.kind == requirement.kind.value
            and self.capacity >= requirement.seats
            and set(requirement.features) <= self.features
        )


@dataclass(frozen=True)
class Held:
    """A range a space holds: a confirmed reservation, or a residency's days (midnight UTC to midnight UTC)."""

    space_id: str
    starts_at: datetime
    ends_at: datetime


def is_free(room: Room, held: Iterable[Held], starts_at: datetime, ends_at: datetime) -> bool:
    """No range the room holds falls in the session or its buffers, nor the session in theirs."""
    mine = [h for h in held if h.space_id == room.space_id]
    return all(room.buffers.keeps_clear(starts_at, ends_at, h.starts_at, h.ends_at) for h in mine)


def some_room_free(rooms: Sequence[Room], held: Sequence[Held], starts_at: datetime, ends_at: datetime) -> bool:
    """At least one of these rooms (those that meet the requirement) is free for the session."""
    return any(is_free(room, held, starts_at, ends_at) for room in rooms)
