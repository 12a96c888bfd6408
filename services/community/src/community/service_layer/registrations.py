"""Registrations: seats without overbooking, a first-come waitlist, promotion, check-in.

A registration is written `placing` first (nothing published), then its seat is decided
by one atomic update of the event's seat document, then the outcome is written with its
event. Every step is idempotent per registration and round, so a retry, a duplicate or
the reconciler after a crash completes what was begun, never doing it twice. Promotion
runs on each `RegistrationCancelled` (a Kafka reaction, so a crash only delays it) and in
the reconciler; it moves one waiting person per free seat, each at most once.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from community.adapters.stores import CommunityStore, registration_of, registration_state
from community.adapters.tickets import Ticket, TicketRefused, TicketSigner
from community.domain import registrations as rules
from community.domain.events import CommunityEvent, refusal_for_audience
from community.domain.members import Member
from community.domain.registrations import ACTIVE, Door, Registration, Status, WrongState, key_parts
from community.domain.seats import Placed
from community.service_layer.events import Events
from community.service_layer.publication import publication
from community.service_layer.versioned import Versioned
from parkgrid.clock import utc_now
from parkgrid.contracts.common import Actor
from parkgrid.contracts.community import MemberStatus
from parkgrid.domain import DomainEvent
from parkgrid.outbox import AlreadyExists, VersionConflict
from parkgrid.refusals import Refusal, Refused

SYSTEM = Actor(role="system", subject="community")
_NAMESPACE = uuid.UUID("5b0e7d52-3c55-4d4a-9a57-3f1b8f0f4c21")


class UnknownRegistration(Refused):
    def __init__(self, registration_id: str) -> None:
        super().__init__(Refusal.NOT_FOUND, f"there is no registration {registration_id}")


class NotOpen(Refused):
    """The event does not take registrations now (409)."""

    def __init__(self, detail: str) -> None:
        super().__init__(Refusal.CONFLICT, detail)


class NotInAudience(Refused):
    """The organisation is not among those the event is for (403)."""

    def __init__(self, detail: str) -> None:
        super().__init__(Refusal.FORBIDDEN, detail)


class CheckInRefused(Refused):
    """A ticket that does not admit: 422 on `token` (forged, expired, elsewhere), or 409 (replaced, wrong state)."""

    def __init__(self, detail: str, *, conflict: bool = False) -> None:
        if conflict:
            super().__init__(Refusal.CONFLICT, detail)
        else:
            super().__init__(Refusal.INVALID, detail, field="token")


def registration_id(event_id: str, person_id: str) -> str:
    """One registration per person and event: registering again finds (or revives) it."""
    name = event_id + "\x00" + person_id
    return "reg-" + uuid.uuid5(_NAMESPACE, name).hex[:20]


class Registrations:
    def __init__(
        self,
        store: CommunityStore,
        events: Events,
        tickets: TicketSigner,
        notify: Callable[[], None] = lambda: None,
        clock: Callable[[], datetime] = utc_now,
        door_opens_before: timedelta = timedelta(minutes=60),
    ) -> None:
        self.store = store
        self.events = events
        self.tickets = tickets
        self.notify = notify
        self.clock = clock
        self.door_opens_before = door_opens_before
        """Check-in opens this long before the event's start and closes at its end."""
        self.registrations = Versioned(
            store.registrations, load=registration_of, state=registration_state, what="registration", notify=notify
        )

    async def get(self, rid: str) -> tuple[Registration, int]:
        found = await self.registrations.find(rid)
        if found is None:
            raise UnknownRegistration(rid)
        return found

    async def _write(self, rid: str, version: int, changed: Registration, happened: list[DomainEvent]) -> int:
        """One write at `version`, for the steps where a moved version means another pass did the work."""
        events = publication(happened)
        new_version = await self.store.registrations.update(rid, version, registration_state(changed), events)
        if events:
            self.notify()
        return new_version

    async def _change(self, rid: str, rule: Callable[[Registration], rules.Change]) -> tuple[Registration, int]:
        return await self.registrations.change(rid, rule)

    # --- registering -----------------------------------------------------------------

    async def register(
        self, event: CommunityEvent, member: Member, person_id: str, by: Actor
    ) -> tuple[Registration, int, bool]:
        """Register a person of `member`: confirmed if a seat is free and nobody waits, else waitlisted.

        Returns (registration, version, created); an active registration of the same
        person is returned as it is."""
        if not event.open_for_registration:
            raise NotOpen(f"the event is {event.status.value}, not open for registration")
        # Whether the event has started is decided by the seat book's update (`starts_at > now`
        # in its condition), not read here: a start passing meanwhile cannot slip a seat through.
        if member.status != MemberStatus.ACTIVE:
            raise NotOpen(f"{member.name} has left the programme")
        programme = member.programme
        refusal = refusal_for_audience(event, member.kind, programme.stage, programme.cohort, member.name)
        if refusal is not None:
            raise NotInAudience(refusal)
        rid = registration_id(event.event_id, person_id)
        now = self.clock()
        fresh = Registration(
            registration_id=rid,
            event_id=event.event_id,
            member_id=member.member_id,
            person_id=person_id,
            status=Status.WAITLISTED,
            registered_at=now,
            registered_by=by,
            event_time=event.time,
            event_title=event.title,
            placing=True,
        )

        def revive(registration: Registration) -> rules.Change:
            return rules.placed_again(registration, member.member_id, by, now, event.time, event.title)

        while True:
            try:  # the common case first: a new registration, no read before the insert
                placing = fresh, await self.store.registrations.create(rid, registration_state(fresh), [])
                break
            except AlreadyExists:
                pass
            try:
                placing = await self.registrations.change(rid, revive)
            except Refused as refused:
                if refused.kind != Refusal.NOT_FOUND:
                    raise
                continue  # an abandoned first placing was removed meanwhile: create it again
            registration, version = placing
            if not registration.placing and registration.status in ACTIVE:
                return registration, version, False
            break
        registration, version = await self.complete_placement(rid, placing)
        return registration, version, True

    async def complete_placement(
        self, rid: str, read: tuple[Registration, int] | None = None
    ) -> tuple[Registration, int]:
        """Decide the seat of a placing registration and publish it (idempotent; the reconciler's too)."""
        registration, version = read or await self.get(rid)
        if not registration.placing:
            return registration, version
        placement = await self.store.seats.place(registration.event_id, registration.seat_key, self.clock())
        if placement.outcome == Placed.CLOSED:
            await self._abandon(registration, version)
            raise NotOpen("the event was cancelled; registration is closed")
        if placement.outcome == Placed.STARTED:
            await self._abandon(registration, version)
            raise NotOpen("the event has started; registration is closed")
        if placement.outcome == Placed.SEATED:
            changed, happened = rules.seated(registration, placement.arrival)
        else:
            changed, happened = rules.queued(registration, placement.arrival, placement.position or 1)
        try:
            version = await self._write(rid, version, changed, happened)
        except VersionConflict:
            # Not retried: the seat was decided for this round's key, so a moved version means
            # another pass (a retry, the reconciler) wrote the outcome and owns its follow-ups.
            return await self.get(rid)
        # No read of the seats after the write: the placing update returned them. A cancellation
        # closes the seats before it saves the event (`Events.cancel`), so a seat or queue place
        # given before the close belongs to a registration written before it, which the reaction
        # to `CommunityEventCancelled` (`cancel_all`) finds and cancels.
        seats = placement.seats
        if seats is not None and seats.closed:
            # Found where a first pass put it, after the event was closed: follow the cancellation.
            return await self.cancel(rid, SYSTEM)
        if placement.outcome == Placed.QUEUED and seats is not None and seats.taken < seats.capacity:
            # Queued while a seat was free: someone waited for it (a seat released whose
            # promotion is still under way): seat the head, in order.
            await self.promote(registration.event_id)
            return await self.get(rid)
        return changed, version

    async def _abandon(self, registration: Registration, version: int) -> None:
        """A placing that can no longer get a seat: a new one goes away, a revived one stays cancelled."""
        if registration.round == 1:
            await self.store.registrations.collection.delete_one(
                {"_id": registration.registration_id, "version": version, "placing": True}
            )
            return
        back = registration.model_copy(update={"placing": False, "status": Status.CANCELLED})
        # Best effort, not retried: a moved version means the registration was placed again or
        # settled meanwhile, and that newer state must not be overwritten with this cancellation.
        with contextlib.suppress(VersionConflict):
            await self._write(registration.registration_id, version, back, [])

    # --- cancelling and promoting ----------------------------------------------------

    async def cancel(self, rid: str, by: Actor) -> tuple[Registration, int]:
        """Cancel, then give the seat (or the queue place) back; promotion follows by reaction."""
        now = self.clock()
        registration, version = await self._change(rid, lambda r: rules.cancelled(r, by, now))
        await self.store.seats.release(registration.event_id, registration.seat_key)
        return registration, version

    async def on_cancelled(self, rid: str) -> None:
        """Reaction to `RegistrationCancelled`: make sure the seat is free, then promote."""
        found = await self.store.registration(rid)
        if found is None:
            return
        registration, _ = found
        if registration.status == Status.CANCELLED and not registration.placing:
            await self.store.seats.release(registration.event_id, registration.seat_key)
        await self.store.seats.release_other_rounds(registration.event_id, rid, registration.seat_key)
        await self.promote(registration.event_id)

    async def promote(self, event_id: str) -> list[str]:
        """Finish half-done promotions, then seat the first waiting person for each free seat."""
        promoted: list[str] = []
        occupancy = await self.store.seats.occupancy(event_id)
        if occupancy is None:
            return promoted
        for key in occupancy.promoting:
            if await self._tell_promoted(event_id, key):
                promoted.append(key)
        while (moved := await self.store.seats.move_head(event_id, self.clock())) is not None:
            if await self._tell_promoted(event_id, moved):
                promoted.append(moved)
        return promoted

    async def _tell_promoted(self, event_id: str, key: str) -> bool:
        rid, round_ = key_parts(key)
        found = await self.store.registration(rid)
        told = False
        if found is not None and found[0].round == round_:
            if found[0].placing:
                await self.complete_placement(rid)  # it will find its key seated
            else:
                before = found[0].status
                registration, _ = await self._change(rid, rules.promoted)
                told = before == Status.WAITLISTED and registration.status == Status.CONFIRMED
        await self.store.seats.promoted(event_id, key)
        return told

    async def cancel_all(self, event_id: str) -> int:
        """Reaction to `CommunityEventCancelled`: every registration of the event is cancelled."""
        cancelled = 0
        for registration, _ in await self.store.registrations_of_event(event_id):
            rid = registration.registration_id
            if registration.placing:
                try:
                    registration, _ = await self.complete_placement(rid)
                except NotOpen:
                    continue
            if registration.status in (Status.CONFIRMED, Status.WAITLISTED):
                await self.cancel(rid, SYSTEM)
                cancelled += 1
        return cancelled

    # --- tickets and check-in --------------------------------------------------------

    def ticket(self, registration: Registration) -> str:
        if registration.placing or registration.status not in (Status.CONFIRMED, Status.CHECKED_IN):
            raise WrongState(f"a {registration.status.value} registration has no ticket")
        return self.tickets.issue(
            Ticket(registration.registration_id, registration.round, registration.event_id),
            registration.event_time.ends_at,
        )

    async def check_in(self, event_id: str, token: str) -> tuple[Registration, int]:
        """Check in the holder of `token` at `event_id` while the door is open; a second scan is 409.

        The check-in is one version-guarded write decided on the registration it read: of two
        simultaneous scans, one writes, the other's write fails, re-reads `checked_in` and is refused."""
        try:
            ticket = self.tickets.read(token)
        except TicketRefused as refused:
            raise CheckInRefused(refused.detail) from None
        if ticket.event_id != event_id:
            raise CheckInRefused("this ticket is for another event")
        found = await self.store.registration(ticket.registration_id)
        if found is None or found[0].event_id != event_id:
            raise CheckInRefused("this ticket matches no registration of this event")
        registration = found[0]
        if registration.round != ticket.round:
            raise CheckInRefused("this ticket was replaced by a newer registration", conflict=True)
        event, _ = await self.events.get(event_id)
        door = Door(event.time.starts_at - self.door_opens_before, event.time.ends_at, event.time_zone)
        now = self.clock()
        try:
            return await self._change(ticket.registration_id, lambda r: rules.checked_in(r, now, door))
        except WrongState as exc:
            raise CheckInRefused(str(exc), conflict=True) from None

    # --- the reconciler --------------------------------------------------------------

    async def reconcile(self, settle: timedelta = timedelta(seconds=10)) -> None:
        """What a crash may have left half-done: placings, seats with an old start, promotions, ended events."""
        for rid in await self.store.placing_since(self.clock() - settle):
            with contextlib.suppress(NotOpen, UnknownRegistration):
                await self.complete_placement(rid)
        await self.store.align_seat_starts()
        for event_id in await self.store.seats.events_to_promote():
            await self.promote(event_id)
        await self.complete_ended()

    async def complete_ended(self) -> int:
        """Complete the published events that are over, with their attendance."""
        done = 0
        for event_id in await self.store.events_ended_before(self.clock()):
            registrations = await self.store.registrations_of_event(event_id)
            attended = sum(1 for r, _ in registrations if r.status == Status.CHECKED_IN)
            no_shows = sum(1 for r, _ in registrations if r.status == Status.CONFIRMED and not r.placing)
            await self.events.complete(event_id, attended, no_shows)
            done += 1
        return done
