"""Commands on community events, and the venue saga's reactions to spaces' answers.

Every step is one version-guarded write of the event with its events *and* its commands
to spaces (the embedded outbox), so the saga's state and what was asked never disagree,
whatever crashes. Spaces' answers are matched to the request id the event waits for; a
duplicate changes nothing, and an answer the event no longer wants is released.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from community.adapters.stores import CommunityStore, event_state
from community.domain import events as rules
from community.domain.events import CommunityEvent, Seats
from community.domain.registrations import Status as RegistrationStatus
from parkgrid.contracts.common import TimeRange
from parkgrid.contracts.spaces import Requester, ReservationRefused, ReservationSnapshot, ReservationStatus
from parkgrid.envelope import Envelope
from parkgrid.events import IntegrationEvent
from parkgrid.outbox import AlreadyExists, VersionConflict

Rule = Callable[[CommunityEvent, Seats], tuple[CommunityEvent, list[IntegrationEvent]]]


class UnknownEvent(LookupError):
    pass


class StaleVersion(Exception):
    pass


def _now() -> datetime:
    return datetime.now(UTC)


class Events:
    def __init__(
        self, store: CommunityStore, notify: Callable[[], None] = lambda: None, clock: Callable[[], datetime] = _now
    ) -> None:
        self.store = store
        self.notify = notify
        self.clock = clock

    async def seats(self, event_id: str) -> Seats:
        occupancy = await self.store.seats.occupancy(event_id)
        if occupancy is None:
            return Seats()
        return Seats(registered=occupancy.taken, waitlisted=occupancy.waiting)

    async def schedule(self, event: CommunityEvent) -> tuple[CommunityEvent, int, bool]:
        """A new draft; its seats are opened first, so a registration never finds an event without them."""
        existing = await self.store.event(event.event_id)
        if existing is not None:
            return existing[0], existing[1], False
        await self.store.seats.open(event.event_id, event.capacity)
        draft, events = rules.schedule(event)
        try:
            version = await self.store.events.create(event.event_id, event_state(draft), events)
        except AlreadyExists:
            found = await self.store.event(event.event_id)
            assert found is not None
            return found[0], found[1], False
        self.notify()
        return draft, version, True

    async def get(self, event_id: str) -> tuple[CommunityEvent, int]:
        found = await self.store.event(event_id)
        if found is None:
            raise UnknownEvent(event_id)
        return found

    async def _change(
        self, event_id: str, rule: Rule, expected_version: int | None = None
    ) -> tuple[CommunityEvent, int]:
        while True:
            event, version = await self.get(event_id)
            if expected_version is not None and version != expected_version:
                raise StaleVersion(f"event {event_id} is at version {version}, not {expected_version}")
            changed, events = rule(event, await self.seats(event_id))
            if not events and changed == event:
                return event, version
            try:
                new_version = await self.store.events.update(event_id, version, event_state(changed), events)
            except VersionConflict:
                if expected_version is not None:
                    raise StaleVersion(f"event {event_id} changed meanwhile") from None
                continue
            if events:
                self.notify()
            return changed, new_version

    async def publish(self, event_id: str, expected_version: int | None = None) -> tuple[CommunityEvent, int]:
        return await self._change(event_id, rules.publish, expected_version)

    async def reschedule(
        self, event_id: str, time: TimeRange, expected_version: int | None = None
    ) -> tuple[CommunityEvent, int]:
        return await self._change(event_id, lambda e, s: rules.reschedule(e, time, s), expected_version)

    async def cancel(self, event_id: str, reason: str) -> tuple[CommunityEvent, int]:
        """Close the seats first (no registration gets one after this), then cancel and release the venue.

        The registrations are cancelled by the reaction to `CommunityEventCancelled`."""
        event, _ = await self.get(event_id)
        if event.status == rules.Status.COMPLETED:
            raise rules.WrongState("a completed event cannot be cancelled")
        await self.store.seats.close(event_id)
        return await self._change(event_id, lambda e, s: rules.cancel(e, reason, s))

    async def on_reservation(self, envelope: Envelope, reservation: ReservationSnapshot) -> None:
        """An answer of spaces: keep it in the outcomes projection, then move the saga on."""
        if reservation.requested_by != Requester.COMMUNITY:
            return
        detail = reservation.detail if isinstance(reservation, ReservationRefused) else None
        await self.store.venue_reservations.apply(envelope, reservation, detail)
        if await self.store.event(reservation.reference_id) is None:
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

    async def complete(self, event_id: str) -> tuple[CommunityEvent, int]:
        """Attendance is final once the event is over: checked in = attended, confirmed = no-show."""
        registrations = await self.store.registrations_of_event(event_id)
        attended = sum(1 for r, _ in registrations if r.status == RegistrationStatus.CHECKED_IN)
        no_shows = sum(1 for r, _ in registrations if r.status == RegistrationStatus.CONFIRMED and not r.placing)
        now = self.clock()
        return await self._change(event_id, lambda e, s: rules.complete(e, attended, no_shows, now, s))

    async def complete_ended(self) -> int:
        done = 0
        for event_id in await self.store.events_ended_before(self.clock()):
            await self.complete(event_id)
            done += 1
        return done
