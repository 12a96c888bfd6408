"""Making a booking (or a waitlist place) and moving one to another session.

Without multi-document transactions, a booking is made in steps that are each atomic
on one document and each idempotent for the booking's id, in an order that never lets
a seat be sold twice:

0. refuse what the rules or the site's calendar refuse (`admission.check_site`),
1. reserve the member's allowances: per-member limit and credits (`allowances`,
   conditional `$inc` naming the booking, `admission.reserve`),
2. take the member's place in the session and the seats, by one conditional write of the
   session's document (`session_seats`: `$inc` while the party fits and the member has no
   place; a waitlist place takes the place alone, with its number in line),
3. store the booking with its events (and, if a space is needed, the reservation
   request to spaces) in one write (`Seating.open`).

A retried command (same Idempotency-Key, hence same booking id) finds each step done; a
step that fails gives back what the earlier ones took. A reschedule is a booking like any
other: it reserves too, the booking it replaces lending its own share until it is retired.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bookings.adapters.guards import Seated
from bookings.domain import booking as rules
from bookings.domain.booking import Actor, Booking, BookingRefused, InvalidBooking, MemberFacts, Unavailable
from bookings.domain.entitlements import given_back
from bookings.domain.slots import session_at, session_key
from bookings.service_layer import admission
from bookings.service_layer.lifecycle import Lifecycle
from bookings.service_layer.parts import Parts
from bookings.service_layer.seating import Answering, Seating, pending_booking
from parkgrid.contracts.bookings import BookingStatus
from parkgrid.store import Document


@dataclass(frozen=True)
class BookCommand:
    booking_id: str
    offering_id: str
    member_id: str
    person_id: str | None
    starts_at: datetime
    party_size: int
    join_waitlist: bool
    actor: Actor
    replaces: str | None = None
    series_id: str | None = None
    visit: bool = False
    """The front desk records a session that has begun (`domain.booking.check_rules`)."""
    answering: Answering | None = None
    """How the caller answers the booking this command stores, kept with it by the same insert."""
    fresh_id: bool = False
    """`booking_id` was made for this command alone (a request without an Idempotency-Key): no
    earlier try of it can have stored a booking, so a refusal does not look for one."""


@dataclass(frozen=True)
class Outcome:
    """What a booking command produced: a booking (with its version) or a waitlist place."""

    booking: Booking | None = None
    version: int = 0
    entry: Document | None = None
    answer: Document | None = None
    """The answer kept with the booking (`BookCommand.answering`), when this command stored it."""


def already_placed(name: str, holder: str) -> Unavailable:
    """One place per member per session: another booking (or waitlist place) of theirs has it."""
    detail = f"{name} already has a booking or a waitlist place for this session ({holder})"
    return Unavailable(detail, field="starts_at")


SEEN_FULL = 4096
"""How many sessions this process remembers having found full (the oldest forgotten first)."""


class Booker:
    def __init__(self, parts: Parts, seating: Seating, lifecycle: Lifecycle) -> None:
        self.parts = parts
        self.seating = seating
        self.lifecycle = lifecycle
        self.seen_full: OrderedDict[str, None] = OrderedDict()
        """Sessions whose seat was last refused here: only these are read before a claim, so a
        booking of a session with room pays no extra read, and a hot slot's refusals need no write."""

    def _saw_full(self, key: str) -> None:
        self.seen_full[key] = None
        self.seen_full.move_to_end(key)
        while len(self.seen_full) > SEEN_FULL:
            self.seen_full.popitem(last=False)

    async def book(self, command: BookCommand) -> Outcome:
        parts = self.parts
        now = parts.now()
        # Independent reads, at once: every booking command makes them.
        (offering, zone), member = await asyncio.gather(
            parts.offering(command.offering_id), parts.projections.member_lately(command.member_id)
        )
        session = session_at(offering, zone, command.starts_at)
        if session is None:
            raise InvalidBooking(
                f"{command.starts_at.isoformat()} is not the start of a session of this offering", field="starts_at"
            )
        walk_in = rules.is_walk_in(command.actor)
        rules.check_rules(offering, session.starts_at, command.party_size, now, walk_in=walk_in, visit=command.visit)
        person_id = rules.check_eligible(offering, member, command.person_id)
        assert member is not None
        await admission.check_site(parts, offering, session.starts_at, session.ends_at)
        key = session_key(offering.offering_id, session.starts_at)
        seats = offering.seats_per_session
        refused = await self._without_room(key, seats, member, command)
        if refused is not None:
            answered = await self._refused(refused, member, command)
            if answered is not None:
                return answered
        booking = pending_booking(
            offering,
            zone,
            now,
            booking_id=command.booking_id,
            starts_at=session.starts_at.astimezone(UTC),
            ends_at=session.ends_at.astimezone(UTC),
            member_id=member.member_id,
            person_id=person_id,
            party_size=command.party_size,
            booked_by=command.actor,
            replaces=command.replaces,
            series_id=command.series_id,
            visit=command.visit,
        )
        # The allowances first: a seat is never held, even for a moment, by a booking its
        # member's limit or credits then refuse (another member would have been told "full").
        try:
            await admission.reserve(
                parts, offering, zone, member, booking.booking_id, booking.starts_at, command.replaces
            )
        except BookingRefused:
            # A retried command whose first run has its place (a waitlist place, say) gets what that
            # run made, whatever the member's allowances say now.
            if await parts.seats.sessions.place(key, member.member_id) == command.booking_id:
                made = await self._made(command.booking_id)
                if made is not None:
                    return made
            raise
        try:
            seated = await parts.seats.sessions.seat(
                key, offering.offering_id, booking.starts_at, seats, member.member_id, booking.booking_id,
                booking.party_size,
            )  # fmt: skip
            if seated.holder == command.booking_id and not seated.fresh:
                # A retried command: the first run's answer, or finish what it started.
                found = await self._made(command.booking_id)
                if found is not None:
                    await admission.give_back(parts, member.member_id, command.booking_id, self._unheld(found))
                    return found
                if not seated.seats_held:  # its first run stopped with the place and no seat
                    took = await parts.seats.sessions.take(
                        key, seats, member.member_id, booking.booking_id, booking.party_size
                    )
                    seated = Seated(command.booking_id, took)
        except Exception:
            await admission.give_back(parts, member.member_id, command.booking_id)
            raise
        if seated.holder not in (None, command.booking_id):
            await admission.give_back(parts, member.member_id, command.booking_id)
            raise already_placed(member.name, seated.holder)
        if seated.seats_held:
            opened, version, stored_now, answer = await self.seating.open(booking, key, command.answering)
            if stored_now and opened.status == BookingStatus.CONFIRMED and opened.replaces:
                await self.lifecycle.retire_replaced(opened)
            return Outcome(opened, version, answer=answer)
        await admission.give_back(parts, member.member_id, command.booking_id)  # a waitlist place holds none
        self._saw_full(key)
        decided = await parts.bookings.get(command.booking_id)
        if decided is not None:
            # A retry of a command whose booking was stored, then decided and let its seat go
            # (rejected, cancelled) before the retry came: its answer is that booking, never "full".
            await self._leave_place(key, member, seated, command)
            return Outcome(decided[0], decided[1])
        if command.join_waitlist and not command.visit:  # a visit that happened waits for nothing
            holder, position = await parts.seats.sessions.queue(
                key, offering.offering_id, booking.starts_at, member.member_id, command.booking_id
            )
            if holder != command.booking_id:
                raise already_placed(member.name, holder)
            return Outcome(entry=await self.seating.join_waitlist(booking, key, now, position))
        await self._leave_place(key, member, seated, command)
        raise Unavailable("this session is full", field="starts_at")

    async def _leave_place(self, key: str, member: MemberFacts, seated: Seated, command: BookCommand) -> None:
        """Free the member's place if this command has it (a retry whose first run took it): a
        refusal of a command that took none writes nothing."""
        if seated.holder == command.booking_id:
            await self.parts.seats.sessions.free_place(key, member.member_id, command.booking_id)

    async def _made(self, booking_id: str) -> Outcome | None:
        """What a command's first run made: its booking, or its waitlist place."""
        found = await self.parts.bookings.get(booking_id)
        if found is not None:
            return Outcome(found[0], found[1])
        entry = await self.parts.waitlist.get(f"wl-{booking_id}")
        return None if entry is None else Outcome(entry=entry)

    @staticmethod
    def _unheld(made: Outcome) -> Sequence[str]:
        """What of its allowances a retried command reserved again that its first run's outcome does
        not hold: a waitlist place holds none, a booking what its status keeps."""
        if made.booking is None:
            return admission.EVERYTHING
        return () if made.booking.holds_seat else given_back(made.booking.status, made.booking.late)

    async def _without_room(self, key: str, seats: int, member: MemberFacts, command: BookCommand) -> Seated | None:
        """Only for a session found full lately, and a command that would not wait: one read."""
        if command.join_waitlist or key not in self.seen_full:
            return None
        refused = await self.parts.seats.sessions.without_room(
            key, seats, command.party_size, member.member_id, command.booking_id
        )
        if refused is None:
            self.seen_full.pop(key, None)  # a seat came free: back to the guarded path alone
        return refused

    async def _refused(self, refused: Seated, member: MemberFacts, command: BookCommand) -> Outcome | None:
        """A session visibly full (or the member's place another booking's), and a command that does not
        wait: answered with reads only, as the guarded path would answer it (no place claimed, no
        seat tried, no outbox). A retried command whose booking was stored and decided gets that
        booking (a command with a fresh id cannot be a retry: one read in all)."""
        if refused.holder is not None:
            raise already_placed(member.name, refused.holder)
        decided = None if command.fresh_id else await self.parts.bookings.get(command.booking_id)
        if decided is not None:
            return Outcome(decided[0], decided[1])
        raise Unavailable("this session is full", field="starts_at")

    async def reschedule(
        self, booking_id: str, starts_at: datetime, actor: Actor, new_booking_id: str
    ) -> tuple[Booking, int]:
        """A new booking for the new session, made first; the old one is cancelled once it is confirmed."""
        booking, _ = await self.parts.get(booking_id)
        if booking.status != BookingStatus.CONFIRMED:
            raise Unavailable(f"a {booking.status.value} booking cannot be rescheduled")
        if starts_at == booking.starts_at:
            raise InvalidBooking("the booking is already at that time", field="starts_at")
        outcome = await self.book(
            BookCommand(
                booking_id=new_booking_id,
                offering_id=booking.offering_id,
                member_id=booking.member_id,
                person_id=booking.person_id,
                starts_at=starts_at,
                party_size=booking.party_size,
                join_waitlist=False,
                actor=actor,
                replaces=booking.booking_id,
            )
        )
        assert outcome.booking is not None
        return outcome.booking, outcome.version
