"""Commands on community events, and the venue saga's reactions to spaces' answers.

Every step is one version-guarded write of the event with its events *and* its commands
to spaces (the embedded outbox), so the saga's state and what was asked never disagree,
whatever crashes. Spaces' answers are matched to the request id the event waits for; a
duplicate changes nothing, and an answer the event no longer wants is released.

The service talks to a plain `AggregateStore` and a `Seating` (the seat counts), so its
rules run on `InMemoryAggregateStore` in the fast tests.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol

from community.adapters.stores import event_of, event_state
from community.domain import events as rules
from community.domain.events import CommunityEvent, Seats
from community.domain.seats import Occupancy
from community.service_layer.versioned import Versioned
from parkgrid.aggregates import AggregateStore
from parkgrid.clock import utc_now
from parkgrid.contracts.common import TimeRange
from parkgrid.contracts.spaces import Requester, ReservationRefused, ReservationSnapshot, ReservationStatus
from parkgrid.refusals import Refusal, Refused
from parkgrid.zones import NETWORK_TIME_ZONE


class UnknownEvent(Refused):
    def __init__(self, event_id: str) -> None:
        super().__init__(Refusal.NOT_FOUND, f"there is no event {event_id}")
        self.event_id = event_id


class Seating(Protocol):
    """What the events need of the seat book (`adapters.seats.SeatBook`)."""

    async def open(self, event_id: str, capacity: int, starts_at: datetime) -> None: ...

    async def close(self, event_id: str) -> None: ...

    async def occupancy(self, event_id: str) -> Occupancy | None: ...

    async def retime(self, event_id: str, starts_at: datetime, was: datetime | None = None) -> bool: ...

    async def resize(self, event_id: str, capacity: int) -> int | None: ...


def counted(event: CommunityEvent, seats: Seats) -> CommunityEvent:
    """The event with the seat book's counts."""
    return event.model_copy(update={"registered": seats.registered, "waitlisted": seats.waitlisted})


class Events:
    def __init__(
        self,
        aggregates: AggregateStore,
        seating: Seating,
        notify: Callable[[], None] = lambda: None,
        clock: Callable[[], datetime] = utc_now,
        default_zone: str = NETWORK_TIME_ZONE,
        lately: Callable[[str], Awaitable[tuple[CommunityEvent, int] | None]] | None = None,
    ) -> None:
        self.events = Versioned(aggregates, load=event_of, state=event_state, what="event", notify=notify)
        self.lately = lately or self.events.find
        """The event as read at most a moment ago (`CommunityStore.event_lately`: `RECENT_SECONDS`,
        forgotten when this process writes it); without it, read each time."""
        self.seating = seating
        self.clock = clock
        self.default_zone = default_zone
        """The zone of an online event that names none."""

    async def seats(self, event_id: str) -> Seats:
        occupancy = await self.seating.occupancy(event_id)
        if occupancy is None:
            return Seats()
        return Seats(registered=occupancy.taken, waitlisted=occupancy.waiting)

    async def schedule(self, event: CommunityEvent) -> tuple[CommunityEvent, int, bool]:
        """A new draft; its seats are opened first, so a registration never finds an event without them."""
        existing = await self.events.find(event.event_id)
        if existing is not None:
            return existing[0], existing[1], False
        await self.seating.open(event.event_id, event.capacity, event.time.starts_at)
        draft, events = rules.schedule(event)
        return await self.events.create(event.event_id, draft, events)

    async def find(self, event_id: str) -> tuple[CommunityEvent, int] | None:
        """The event with its seat counts as they are now (the stored ones are those of its last change)."""
        found = await self.events.find(event_id)
        if found is None:
            return None
        event, version = found
        return counted(event, await self.seats(event_id)), version

    async def get(self, event_id: str) -> tuple[CommunityEvent, int]:
        found = await self.find(event_id)
        if found is None:
            raise UnknownEvent(event_id)
        return found

    async def get_as_saved(self, event_id: str) -> tuple[CommunityEvent, int]:
        """The event as read at most a moment ago (`lately`), without the seat book's: its
        `registered` and `waitlisted` are those of its last change, not now's. For what decides on
        the event's status, site, time, audience or capacity and shows no counts (a registration,
        whose seat the seat book's guarded update decides, with the start and the closing it keeps)."""
        found = await self.lately(event_id)
        if found is None:
            raise UnknownEvent(event_id)
        return found

    async def _change(
        self, event_id: str, rule: Callable[[CommunityEvent, Seats], rules.Change], expected_version: int | None = None
    ) -> tuple[CommunityEvent, int]:
        seats = await self.seats(event_id)
        moved_from: list[datetime] = []

        def decide(event: CommunityEvent) -> rules.Change:
            moved_from[:] = [event.time.starts_at]
            return rule(event, seats)

        event, version = await self.events.change(event_id, decide, expected_version)
        if moved_from and moved_from[0] != event.time.starts_at:
            await self.seating.retime(event_id, event.time.starts_at)
        if event.status in (rules.Status.COMPLETED, rules.Status.CANCELLED):
            await self.seating.close(event_id)  # what is over is closed: the reconciler's scan skips it
        return event, version

    async def publish(self, event_id: str, expected_version: int | None = None) -> tuple[CommunityEvent, int]:
        return await self._change(event_id, rules.publish, expected_version)

    async def reschedule(
        self, event_id: str, time: TimeRange, expected_version: int | None = None
    ) -> tuple[CommunityEvent, int]:
        return await self._change(event_id, lambda e, s: rules.reschedule(e, time, s), expected_version)

    async def revise(
        self, event_id: str, changes: dict[str, Any], expected_version: int | None = None
    ) -> tuple[CommunityEvent, int]:
        """Title, description, capacity, audience; a new capacity is set in the seat book first, by its guard.

        The seat book's conditional resize decides against the seats taken at that instant (a
        registration racing with a smaller capacity either got its seat first, and the edit is
        409, or finds the smaller capacity); the event then records the capacity the seats have.
        If the event refuses the edit after all (edited or cancelled meanwhile, a stale
        If-Match), the seats take the event's capacity back."""
        event, _ = await self.get(event_id)
        rules.revise(event, changes, Seats())  # a cancelled or completed event: 409 before any seat moves
        capacity = changes.get("capacity")
        if capacity is not None and capacity != event.capacity:
            taken = await self.seating.resize(event_id, capacity)
            if taken is not None:
                raise rules.BelowRegistrations(capacity, taken)
        try:
            return await self._change(event_id, lambda e, s: rules.revise(e, changes, s), expected_version)
        except Exception:
            if capacity is not None:
                current, _ = await self.get(event_id)  # the event did not take it: the seats follow the event
                await self.seating.resize(event_id, current.capacity)
            raise

    async def cancel(self, event_id: str, reason: str) -> tuple[CommunityEvent, int]:
        """Close the seats first (no registration gets one after this), then cancel and release the venue.

        The registrations are cancelled by the reaction to `CommunityEventCancelled`."""
        event, _ = await self.get(event_id)
        if event.status == rules.Status.COMPLETED:
            raise rules.WrongState("a completed event cannot be cancelled")
        await self.seating.close(event_id)
        return await self._change(event_id, lambda e, s: rules.cancel(e, reason, s))

    async def on_reservation(self, reservation: ReservationSnapshot) -> None:
        """An answer of spaces to one of community's requests moves the saga on (see `domain.events`)."""
        if reservation.requested_by != Requester.COMMUNITY:
            return
        if await self.events.find(reservation.reference_id) is None:
            return
        request_id = reservation.request_id
        if reservation.status == ReservationStatus.CONFIRMED:
            space_id, space_name = reservation.space_id or "", reservation.space_name or ""
            await self._change(
                reservation.reference_id, lambda e, s: rules.venue_confirmed(e, request_id, space_id, space_name, s)
            )
        elif isinstance(reservation, ReservationRefused):
            why = f"{reservation.reason.value}: {reservation.detail}"
            await self._change(reservation.reference_id, lambda e, s: rules.venue_refused(e, request_id, why, s))

    async def complete(self, event_id: str, attended: int, no_shows: int) -> tuple[CommunityEvent, int]:
        """Attendance is final once the event is over: checked in = attended, confirmed = no-show."""
        now = self.clock()
        return await self._change(event_id, lambda e, s: rules.complete(e, attended, no_shows, now, s))
