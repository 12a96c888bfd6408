"""An event's seats and its waiting queue: who is seated, who waits, in what order, decided here.

One `SeatChart` per event. A key is `<registration>:<round>` (`domain.registrations.seat_key`), so
every decision is idempotent per key: a key already seated or queued is answered where it is,
and nothing changes. The rules:
- a seat is given while one is free and nobody waits; otherwise the key joins the end of the
  queue, and its arrival number is the next one (arrival order *is* the order of decisions);
- nothing is given once the event is closed (cancelled or over) or has started;
- a freed seat goes to the head of the queue (`move_head`), recorded in `promoting` until the
  registration is told (`promoted`), so a crash in between leaves a trace to finish.
Each function returns the seats after the change, or None when nothing changes; the store
(`adapters.seats.SeatBook`) writes that change only if the seats it decided on are still the
stored ones, so two decisions never both apply to the same seats.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum


class Placed(StrEnum):
    SEATED = "seated"
    QUEUED = "queued"
    CLOSED = "closed"
    STARTED = "started"
    """The event had started when the place was asked for: nothing given."""


@dataclass(frozen=True)
class Occupancy:
    capacity: int
    taken: int
    waiting: int
    queue: list[str]
    promoting: list[str]
    closed: bool

    def position_of(self, key: str) -> int | None:
        return self.queue.index(key) + 1 if key in self.queue else None


@dataclass(frozen=True)
class SeatChart:
    capacity: int
    taken: int
    waiting: int
    next_arrival: int
    seated: tuple[str, ...]
    queue: tuple[str, ...]
    promoting: tuple[str, ...]
    closed: bool
    starts_at: datetime | None
    """None: no start known yet (a document older than the start's copy): nothing is given."""

    def occupancy(self) -> Occupancy:
        return Occupancy(self.capacity, self.taken, self.waiting, list(self.queue), list(self.promoting), self.closed)

    def open_at(self, now: datetime) -> bool:
        """Whether a seat or a queue place may be given at `now`: not closed, not started."""
        return not self.closed and self.starts_at is not None and _utc(self.starts_at) > now

    def holds(self, key: str) -> Placed | None:
        if key in self.seated:
            return Placed.SEATED
        return Placed.QUEUED if key in self.queue else None


@dataclass(frozen=True)
class Placing:
    """What asking for a place decided: the outcome, and the seats after it (to store if `changed`)."""

    outcome: Placed
    seats: SeatChart
    changed: bool
    arrival: int | None = None
    position: int | None = None


def place(seats: SeatChart, key: str, now: datetime) -> Placing:
    """A seat if one is free and nobody waits, else the end of the queue; neither once closed or started."""
    if key in seats.seated:
        return Placing(Placed.SEATED, seats, changed=False)
    if key in seats.queue:
        return Placing(Placed.QUEUED, seats, changed=False, position=seats.queue.index(key) + 1)
    if seats.closed:
        return Placing(Placed.CLOSED, seats, changed=False)
    if not seats.open_at(now):
        return Placing(Placed.STARTED, seats, changed=False)
    arrival = seats.next_arrival + 1
    if seats.waiting == 0 and seats.taken < seats.capacity:
        after = replace(seats, taken=seats.taken + 1, next_arrival=arrival, seated=(*seats.seated, key))
        return Placing(Placed.SEATED, after, changed=True, arrival=arrival)
    after = replace(seats, waiting=seats.waiting + 1, next_arrival=arrival, queue=(*seats.queue, key))
    return Placing(Placed.QUEUED, after, changed=True, arrival=arrival, position=after.waiting)


def release(seats: SeatChart, key: str) -> tuple[Placed, SeatChart] | None:
    """The seat or queue place of `key` given back (whether or not the event is open); None if it holds neither."""
    if key in seats.seated:
        return Placed.SEATED, replace(
            seats,
            taken=seats.taken - 1,
            seated=_without(seats.seated, key),
            promoting=_without(seats.promoting, key),
        )
    if key in seats.queue:
        return Placed.QUEUED, replace(seats, waiting=seats.waiting - 1, queue=_without(seats.queue, key))
    return None


def move_head(seats: SeatChart, now: datetime) -> tuple[str, SeatChart] | None:
    """The head of the queue seated, if a seat is free and the event is open; None otherwise."""
    if not seats.queue or seats.taken >= seats.capacity or not seats.open_at(now):
        return None
    head = seats.queue[0]
    return head, replace(
        seats,
        taken=seats.taken + 1,
        waiting=seats.waiting - 1,
        queue=seats.queue[1:],
        seated=(*seats.seated, head),
        promoting=(*seats.promoting, head),
    )


def promoted(seats: SeatChart, key: str) -> SeatChart | None:
    """The registration of `key` was told of its seat: no longer half-done."""
    return replace(seats, promoting=_without(seats.promoting, key)) if key in seats.promoting else None


def _without(keys: tuple[str, ...], key: str) -> tuple[str, ...]:
    return tuple(k for k in keys if k != key)


def _utc(moment: datetime) -> datetime:
    """A stored start is naive UTC (as the store gives it back)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
