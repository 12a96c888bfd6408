"""Command handlers of bookings and the saga with spaces.

Without multi-document transactions, a booking is made in steps that are each atomic
on one document and each idempotent for the booking's id, in an order that never lets
a seat be sold twice:

1. claim the member's place in the session (`session_members`, unique `_id`),
2. take the seats (`session_seats`, conditional `$inc`),
3. store the booking with its events (and, if a space is needed, the reservation
   request to spaces) in one write.

A retried command (same Idempotency-Key, hence same booking id) finds each step done.
Freeing a seat (cancelled, rejected) is the reverse, then the first in line on the
waitlist is promoted.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bookings.adapters.bookings import Bookings
from bookings.adapters.ledgers import WAITING, Ledger, Waitlist, entitlement_state, entry_snapshot
from bookings.adapters.projections import Projections
from bookings.adapters.sessions import Seats
from bookings.domain import booking as rules
from bookings.domain import entitlements as credits
from bookings.domain.booking import COUNTED, Actor, Booking, InvalidBooking, Unavailable
from bookings.domain.slots import MAX_RANGE_DAYS, session_at, session_key, sessions_between
from parkgrid.consumer import Delivery, TransientError
from parkgrid.contracts.bookings import (
    BookingCancelled,
    BookingConfirmed,
    BookingStatus,
    EntitlementConsumed,
    EntitlementGranted,
    EntitlementRestored,
    WaitlistJoined,
    WaitlistPromoted,
)
from parkgrid.contracts.catalogue import OfferingSnapshot, OfferingStatus
from parkgrid.contracts.community import MemberSnapshot
from parkgrid.contracts.spaces import (
    Requester,
    ReservationConfirmed,
    ReservationRefused,
    ReservationSnapshot,
    SiteSnapshot,
)
from parkgrid.logging import get_logger
from parkgrid.outbox import AlreadyExists, VersionConflict
from parkgrid.store import Document

log = get_logger(__name__)

SYSTEM = Actor("system", "bookings")


class UnknownBooking(LookupError):
    pass


def _now() -> datetime:
    return datetime.now(UTC)


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


@dataclass(frozen=True)
class Outcome:
    """What a booking command produced: a booking (with its version) or a waitlist place."""

    booking: Booking | None = None
    version: int = 0
    entry: Document | None = None


LOST_SEAT_AFTER = timedelta(minutes=10)


@dataclass
class BookingService:
    bookings: Bookings
    seats: Seats
    waitlist: Waitlist
    projections: Projections
    ledger: Ledger
    clock: Callable[[], datetime] = _now
    written: Callable[[], None] = field(default=lambda: None)
    changed: Callable[[str], None] = field(default=lambda booking_id: None)  # wakes `Prefer: wait` requests

    # --- reading ---------------------------------------------------------------------

    async def offering(self, offering_id: str) -> tuple[OfferingSnapshot, str]:
        """The offering as projected and the time zone its sessions live in (its site's)."""
        offering = await self.projections.offerings.get(offering_id)
        if offering is None:
            raise InvalidBooking(f"there is no offering {offering_id}", field="offering_id")
        zone = await self.projections.sites.time_zone(offering.site_id) or offering.time_zone
        return offering, zone

    async def slots(self, offering_id: str, first: date, last: date) -> list[dict[str, Any]]:
        offering, zone = await self.offering(offering_id)
        if offering.status != OfferingStatus.PUBLISHED:
            return []
        if last < first:
            raise InvalidBooking("`to` is before `from`", field="to")
        if (last - first).days > MAX_RANGE_DAYS:
            raise InvalidBooking(f"ask for at most {MAX_RANGE_DAYS} days at a time", field="to")
        sessions = sessions_between(offering, zone, first, last, self.clock())
        if not sessions:
            return []
        taken = await self.seats.sessions.taken(offering_id, sessions[0].starts_at, sessions[-1].starts_at)
        seats = offering.seats_per_session
        return [
            {
                "starts_at": s.starts_at.isoformat(),
                "ends_at": s.ends_at.isoformat(),
                "seats": seats,
                "remaining": max(0, seats - taken.get(session_key(offering_id, s.starts_at), 0)),
            }
            for s in sessions
        ]

    async def get(self, booking_id: str) -> tuple[Booking, int]:
        found = await self.bookings.get(booking_id)
        if found is None:
            raise UnknownBooking(booking_id)
        return found

    # --- booking ---------------------------------------------------------------------

    async def book(self, command: BookCommand) -> Outcome:
        now = self.clock()
        # Independent reads, at once: every booking command makes them.
        (offering, zone), member = await asyncio.gather(
            self.offering(command.offering_id), self.projections.members.get(command.member_id)
        )
        session = session_at(offering, zone, command.starts_at)
        if session is None:
            raise InvalidBooking(
                f"{command.starts_at.isoformat()} is not the start of a session of this offering", field="starts_at"
            )
        rules.check_rules(offering, session.starts_at, command.party_size, now)
        person_id = rules.check_eligible(offering, member, command.person_id)
        assert member is not None
        if command.replaces is None:
            await self._check_limits(offering, zone, member.member_id, member.stage, session.starts_at)
        key = session_key(offering.offering_id, session.starts_at)
        holder, fresh = await self.seats.members.claim(key, member.member_id, command.booking_id)
        if holder != command.booking_id:
            raise Unavailable(
                f"{member.name} already has a booking or a waitlist place for this session ({holder})",
                field="starts_at",
            )
        if not fresh:  # a retried command: the first run's answer, or finish what it started
            found = await self.bookings.get(command.booking_id)
            if found is not None:
                return Outcome(found[0], found[1])
            entry = await self.waitlist.get(f"wl-{command.booking_id}")
            if entry is not None:
                return Outcome(entry=entry)
        booking = Booking(
            booking_id=command.booking_id,
            offering_id=offering.offering_id,
            offering_title=offering.title.model_dump(),
            category=offering.category.value,
            site_id=offering.site_id,
            time_zone=zone,
            starts_at=session.starts_at.astimezone(UTC),
            ends_at=session.ends_at.astimezone(UTC),
            member_id=member.member_id,
            person_id=person_id,
            party_size=command.party_size,
            booked_by=command.actor,
            status=BookingStatus.PENDING,
            requested_at=now,
            credits=offering.credits or 0,
            requirement=offering.space_requirement.model_dump(mode="json") if offering.space_requirement else None,
            replaces=command.replaces,
        )
        try:
            took = await self.seats.sessions.take(
                key, offering.offering_id, booking.starts_at, offering.seats_per_session, booking.booking_id,
                booking.party_size,
            )  # fmt: skip
        except Exception:
            await self.seats.members.free(key, member.member_id, command.booking_id)
            raise
        if took:
            return await self._open(booking, key)
        if command.join_waitlist:
            return Outcome(entry=await self._join_waitlist(booking, key, now))
        await self.seats.members.free(key, member.member_id, command.booking_id)
        raise Unavailable("this session is full", field="starts_at")

    async def _open(self, booking: Booking, key: str) -> Outcome:
        opened, events = rules.open_booking(booking, self.clock())
        try:
            version = await self.bookings.add(opened, events)
        except AlreadyExists:
            # A retry of a command whose booking exists: keep nothing for it beyond what it holds.
            existing, version = await self.get(booking.booking_id)
            if not existing.holds_seat:
                await self.seats.sessions.release(key, booking.booking_id, booking.party_size)
                await self.seats.members.free(key, booking.member_id, booking.booking_id)
            return Outcome(existing, version)
        except Exception:
            # The booking was not stored: give back what it held, so nothing leaks.
            await self.seats.sessions.release(key, booking.booking_id, booking.party_size)
            await self.seats.members.free(key, booking.member_id, booking.booking_id)
            raise
        self.written()
        if opened.status == BookingStatus.CONFIRMED and opened.replaces:
            await self._retire_replaced(opened)
        return Outcome(opened, version)

    async def _check_limits(
        self, offering: OfferingSnapshot, zone: str, member_id: str, stage: str, starts_at: datetime
    ) -> None:
        day = rules.local_day(starts_at, zone)
        limit = offering.rules.per_member_limit
        if limit is not None:
            first, last = rules.period_of(limit.period, day)
            tz = ZoneInfo(zone)
            count = await self.bookings.count_for_limit(
                member_id,
                offering.offering_id,
                datetime.combine(first, time(0), tz),
                datetime.combine(last + timedelta(days=1), time(0), tz),
                [s.value for s in COUNTED],
            )
            if count >= limit.count:
                raise Unavailable(
                    f"at most {limit.count} booking(s) of this offering per {limit.period.value}", field="starts_at"
                )
        cost = offering.credits or 0
        allowance = credits.grant(member_id, stage, offering.category.value, day)
        if cost and allowance is not None:
            held = await self.ledger.get(allowance.entitlement_id)
            remaining = held[0].remaining if held else allowance.remaining
            if remaining < cost:
                raise Unavailable(
                    f"{remaining} {offering.category.value} credit(s) left this period; this costs {cost}",
                    field="offering_id",
                )

    async def _join_waitlist(self, booking: Booking, key: str, now: datetime) -> Document:
        entry_id = f"wl-{booking.booking_id}"
        position = await self.seats.sessions.next_in_line(key)
        state: Document = {
            "entry_id": entry_id,
            "booking_id": booking.booking_id,
            "offering_id": booking.offering_id,
            "session_key": key,
            "starts_at": booking.starts_at,
            "ends_at": booking.ends_at,
            "member_id": booking.member_id,
            "person_id": booking.person_id,
            "party_size": booking.party_size,
            "position": position,
            "joined_at": now,
            "status": WAITING,
            "booked_by": booking.booked_by.as_dict(),
        }
        with contextlib.suppress(AlreadyExists):  # a retried command
            await self.waitlist.store.create(entry_id, state, [WaitlistJoined(**entry_snapshot(state))])
        self.written()
        found = await self.waitlist.get(entry_id)
        assert found is not None
        return found

    # --- freeing seats and the waitlist ------------------------------------------------

    async def _free(self, booking: Booking) -> None:
        """Give back the seats and the member's place in the session (idempotent), then promote."""
        key = session_key(booking.offering_id, booking.starts_at)
        await self.seats.sessions.release(key, booking.booking_id, booking.party_size)
        await self.seats.members.free(key, booking.member_id, booking.booking_id)
        await self.promote(key)

    async def promote(self, key: str) -> int:
        """Give free seats to the first in line (each becomes a booking, with the saga if needed)."""
        promoted = 0
        now = self.clock()
        for entry in await self.waitlist.waiting(key):
            if entry["starts_at"] <= now:
                break
            offering = await self.projections.offerings.get(entry["offering_id"])
            if offering is None or offering.status != OfferingStatus.PUBLISHED:
                break
            zone = await self.projections.sites.time_zone(offering.site_id) or offering.time_zone
            took = await self.seats.sessions.take(
                key, offering.offering_id, entry["starts_at"], offering.seats_per_session, entry["booking_id"],
                entry["party_size"],
            )  # fmt: skip
            if not took:
                break
            booking = Booking(
                booking_id=entry["booking_id"],
                offering_id=offering.offering_id,
                offering_title=offering.title.model_dump(),
                category=offering.category.value,
                site_id=offering.site_id,
                time_zone=zone,
                starts_at=entry["starts_at"],
                ends_at=entry["ends_at"],
                member_id=entry["member_id"],
                person_id=entry["person_id"],
                party_size=entry["party_size"],
                booked_by=Actor(**entry["booked_by"]),
                status=BookingStatus.PENDING,
                requested_at=now,
                credits=offering.credits or 0,
                requirement=offering.space_requirement.model_dump(mode="json") if offering.space_requirement else None,
                waitlist_entry_id=entry["_id"],
            )
            await self._open(booking, key)
            promoted_state = {**{k: v for k, v in entry.items() if k not in ("_id", "version")}, "status": "promoted"}
            event = WaitlistPromoted(**entry_snapshot(promoted_state), booking_id=booking.booking_id)
            with contextlib.suppress(VersionConflict):  # promoted by a concurrent run
                await self.waitlist.store.update(entry["_id"], entry["version"], {"status": "promoted"}, [event])
            promoted += 1
            self.written()
        return promoted

    # --- lifecycle -------------------------------------------------------------------

    async def cancel(self, booking_id: str, actor: Actor, *, staff_override: bool = False) -> tuple[Booking, int]:
        while True:
            booking, version = await self.get(booking_id)
            offering = await self.projections.offerings.get(booking.offering_id)
            window = offering.rules.cancellation_window_minutes if offering else 24 * 60
            cancelled, events = rules.cancel(booking, actor, self.clock(), window, staff_override=staff_override)
            try:
                new_version = await self.bookings.save(cancelled, version, events)
            except VersionConflict:
                continue
            self.written()
            await self._free(cancelled)
            return cancelled, new_version

    async def reschedule(
        self, booking_id: str, starts_at: datetime, actor: Actor, new_booking_id: str
    ) -> tuple[Booking, int]:
        """A new booking for the new session, made first; the old one is cancelled once it is confirmed."""
        booking, _ = await self.get(booking_id)
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

    async def _retire_replaced(self, new: Booking) -> None:
        """The new session is secured: release the old one (a move, never a late cancellation)."""
        assert new.replaces is not None
        try:
            await self.cancel(new.replaces, SYSTEM, staff_override=True)
        except (UnknownBooking, Unavailable) as exc:
            log.info("bookings.replaced_not_cancelled", booking=new.replaces, reason=str(exc))

    async def check_in(self, booking_id: str, actor: Actor) -> tuple[Booking, int]:
        while True:
            booking, version = await self.get(booking_id)
            checked, events = rules.check_in(booking, actor, self.clock())
            if not events:
                return booking, version
            try:
                new_version = await self.bookings.save(checked, version, events)
            except VersionConflict:
                continue
            self.written()
            return checked, new_version

    async def sweep(self) -> int:
        """Settle finished sessions (completed / no-show) and promote waiting entries left behind."""
        now = self.clock()
        changed = 0
        due = await self.bookings.due([BookingStatus.CONFIRMED.value, BookingStatus.CHECKED_IN.value], ended_before=now)
        for booking, version in due:
            settled, events = rules.settle(booking, now)
            if not events:
                continue
            try:
                await self.bookings.save(settled, version, events)
                changed += 1
            except VersionConflict:
                continue
        changed += await self.reclaim_lost_seats(now)
        for key in await self.waitlist.sessions_waiting():
            changed += await self.promote(key)
        if changed:
            self.written()
        return changed

    async def reclaim_lost_seats(self, now: datetime) -> int:
        """Give back seats held by a booking that was never stored.

        A command takes the member's place and the seats before it writes the booking; a
        process dying in between leaves them held by a booking id with no booking. A retry of
        the command (same Idempotency-Key, same id) finishes the work; when none comes, the
        seats are given back once the session has been quiet for `LOST_SEAT_AFTER`, far
        longer than a request lives or an idempotency key waits before another may take it over.
        """
        reclaimed = 0
        for session in await self.seats.sessions.unaudited_quiet_since(now - LOST_SEAT_AFTER, upcoming_from=now):
            given_back = 0
            holders = [str(h) for h in session.get("holders", [])]
            stored = await self.bookings.stored(holders) if holders else set()
            for booking_id in holders:
                party = (session.get("parties") or {}).get(booking_id)
                if booking_id in stored or party is None:  # no party size: held before it was recorded
                    continue
                if await self.seats.sessions.release(session["_id"], booking_id, int(party)):
                    await self.seats.members.free_booking(booking_id)
                    given_back += 1
                    log.warning("bookings.lost_seat_reclaimed", session=session["_id"], booking=booking_id, seats=party)
            reclaimed += given_back
            if given_back:
                await self.promote(session["_id"])
            else:
                await self.seats.sessions.mark_audited(session)
        return reclaimed

    # --- the saga: spaces' answers ------------------------------------------------------

    async def on_reservation(self, delivery: Delivery) -> None:
        event = delivery.event
        if not isinstance(event, ReservationSnapshot) or event.requested_by != Requester.BOOKINGS:
            return
        found = await self.bookings.get(event.reference_id)
        if found is None:
            log.warning("bookings.reservation_for_unknown_booking", booking=event.reference_id)
            return
        booking, version = found
        current = booking.reservation_request_id == event.request_id
        if isinstance(event, ReservationConfirmed):
            if booking.status == BookingStatus.PENDING and current:
                booking, events = rules.confirm(booking, event.space_id, self.clock())
                await self._save_or_retry(booking, version, events)
            elif booking.status in (BookingStatus.CANCELLED, BookingStatus.REJECTED) or not current:
                # A late confirmation: the booking no longer wants this space.
                release = rules.release_request(booking, event.request_id, f"booking {booking.status.value}")
                await self._save_or_retry(booking, version, [release])
            if booking.status == BookingStatus.CONFIRMED and current and booking.replaces:
                await self._retire_replaced(booking)  # also after a crash right after confirming
        elif isinstance(event, ReservationRefused) and booking.status == BookingStatus.PENDING and current:
            rejected, events = rules.reject(booking, "no_space", f"{event.reason.value}: {event.detail}")
            await self._save_or_retry(rejected, version, events)
            booking = rejected
        if booking.status in (BookingStatus.CANCELLED, BookingStatus.REJECTED):
            await self._free(booking)  # idempotent: finishes what a crash may have left

    async def _save_or_retry(self, booking: Booking, version: int, events: list[Any]) -> None:
        try:
            await self.bookings.save(booking, version, events)
        except VersionConflict:
            raise TransientError(f"booking {booking.booking_id} changed meanwhile; handle again") from None
        self.written()
        self.changed(booking.booking_id)

    # --- projections ----------------------------------------------------------------

    async def on_offering(self, delivery: Delivery) -> None:
        if isinstance(delivery.event, OfferingSnapshot):
            await self.projections.offerings.apply(delivery.envelope, delivery.event)

    async def on_member(self, delivery: Delivery) -> None:
        if isinstance(delivery.event, MemberSnapshot):
            await self.projections.members.apply(delivery.envelope, delivery.event)

    async def on_site(self, delivery: Delivery) -> None:
        if isinstance(delivery.event, SiteSnapshot):
            await self.projections.sites.apply(delivery.envelope, delivery.event)

    # --- the entitlements ledger, derived from booking events ---------------------------

    async def on_booking_event(self, delivery: Delivery) -> None:
        event = delivery.event
        if isinstance(event, BookingConfirmed) and event.credits > 0:
            await self._consume(event.booking_id, event.member_id, event.category.value, event.credits, event)
        elif isinstance(event, BookingCancelled) and not event.late and event.credits > 0:
            await self._restore(event.booking_id, event.member_id)

    async def _consume(self, booking_id: str, member_id: str, category: str, amount: int, event: Any) -> None:
        member = await self.projections.members.get(member_id)
        if member is None:
            return
        day = rules.local_day(event.session.starts_at, event.time_zone)
        granted = credits.grant(member_id, member.stage, category, day)
        if granted is None:
            return
        while True:
            found = await self.ledger.get(granted.entitlement_id)
            entitlement, version = found if found else (granted, 0)
            after = credits.consume(entitlement, booking_id, amount)
            if after is None:
                return
            consumed = EntitlementConsumed(**_entitlement_event(after), booking_id=booking_id, amount=amount)
            try:
                if found is None:
                    grant_event = EntitlementGranted(
                        **_entitlement_event(granted), reason=f"{member.stage} allowance for {category}"
                    )
                    await self.ledger.store.create(
                        after.entitlement_id, entitlement_state(after), [grant_event, consumed]
                    )
                else:
                    await self.ledger.store.update(after.entitlement_id, version, entitlement_state(after), [consumed])
            except (AlreadyExists, VersionConflict):
                continue
            self.written()
            return

    async def _restore(self, booking_id: str, member_id: str) -> None:
        for entitlement in await self.ledger.of_member(member_id):
            if not entitlement.consumed_by(booking_id):
                continue
            while True:
                found = await self.ledger.get(entitlement.entitlement_id)
                assert found is not None
                current, version = found
                done = credits.restore(current, booking_id)
                if done is None:
                    return
                after, amount = done
                event = EntitlementRestored(**_entitlement_event(after), booking_id=booking_id, amount=amount)
                try:
                    await self.ledger.store.update(after.entitlement_id, version, entitlement_state(after), [event])
                except VersionConflict:
                    continue
                self.written()
                return


def _entitlement_event(entitlement: credits.Entitlement) -> dict[str, Any]:
    return {
        "entitlement_id": entitlement.entitlement_id,
        "member_id": entitlement.member_id,
        "category": entitlement.category,
        "period_start": entitlement.period_start,
        "period_end": entitlement.period_end,
        "allowance": entitlement.allowance,
        "used": entitlement.used,
        "remaining": entitlement.remaining,
    }


__all__ = ["BookCommand", "BookingService", "Outcome", "UnknownBooking"]
