"""What the store's lack of TTLs and transactions leaves to a periodic job (`sweep`).

Every replica runs its own sweeper, so each step is a conditional write: settling a finished
session (completed / no-show) saves under the version guard, expiring a hold is the domain's
`expire_hold` applied by the kit's `change` (so it and spaces' answer cannot both win), releasing
a no-show early (a site's `no_show_release_minutes`) is `release_no_show` applied the same way
(so it and a late check-in cannot both win),
reclaiming a lost seat is a release conditional on the holder, promoting is `Seating.promote`;
expiring an approval nobody decided in time is `service_layer.approvals` (same guard, so it and a
staff decision cannot both win).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from bookings.adapters.bookings import booking_of, state_of
from bookings.adapters.guards import parse_place
from bookings.domain import booking as rules
from bookings.domain.booking import Booking
from bookings.service_layer.parts import Parts
from bookings.service_layer.publication import publication
from bookings.service_layer.seating import Seating
from parkgrid.aggregates import Decision, change
from parkgrid.contracts.bookings import BookingStatus
from parkgrid.domain import DomainEvent
from parkgrid.logging import get_logger
from parkgrid.outbox import VersionConflict
from parkgrid.store import Document

if TYPE_CHECKING:
    from bookings.service_layer.approvals import Approvals

log = get_logger(__name__)

Decided = Callable[[Booking], tuple[Booking, list[DomainEvent]]]
"""A pure rule of `domain.booking` with its facts bound: the booking as it stands → what it becomes."""

LOST_SEAT_AFTER = timedelta(minutes=10)
SESSIONS_BATCH = 100


class Sweepers:
    def __init__(self, parts: Parts, seating: Seating) -> None:
        self.parts = parts
        self.seating = seating
        self.leaving = seating.leaving
        self.approvals: Approvals | None = None  # over the real store only (`BookingService`)

    async def sweep(self) -> int:
        """Settle finished sessions (completed / no-show), expire holds, give back lost seats, take
        places of begun sessions out of line, and promote waiting entries left behind."""
        parts = self.parts
        now = parts.now()
        changed = 0
        due = await parts.bookings.due(
            [BookingStatus.CONFIRMED.value, BookingStatus.CHECKED_IN.value], ended_before=now
        )
        for booking, version in due:
            settled, happened = rules.settle(booking, now)
            if not happened:
                continue
            # One pass, from the listing: no reload, no retry. A booking that moved meanwhile
            # is settled by the next sweep (kit `change` would re-read every due booking).
            try:
                await parts.bookings.save(settled, version, publication(happened))
                changed += 1
            except VersionConflict:
                continue
        changed += await self.release_no_shows(now)
        changed += await self.expire_holds(now)
        if self.approvals is not None:
            changed += await self.approvals.expire_due(now)
        changed += await self.reclaim_lost_seats(now)
        changed += await self.leaving.expire_started(now)
        changed += await self.promote_waiting()
        if changed:
            parts.written()
        return changed

    async def promote_waiting(self, batch: int = SESSIONS_BATCH) -> int:
        """Promote into every session someone waits for, soonest first, batch by batch: each batch
        is one bounded read after the last one's cursor, so however many places wait (or stay
        waiting, their session full), the scan reaches every session."""
        promoted = 0
        seen: set[str] = set()
        cursor: str | None = None
        while True:
            keys, cursor = await self.parts.waitlist.sessions_waiting(cursor, batch)
            for key in keys:
                if key not in seen:  # a session's places may span two batches
                    seen.add(key)
                    promoted += await self.seating.promote(key)
            if cursor is None:
                return promoted

    async def expire_holds(self, now: datetime) -> int:
        """Reject the bookings pending longer than the hold (`hold_expired`): seats and place back,
        the space request released; credits come back through the ledger, which reads the rejection.

        Spaces never answered, or the request was dead-lettered: either way the booking stops
        holding its seat. Each is decided again on its current document under the version guard,
        so concurrent sweeps expire it once, and a confirmation saved first wins (the sweep
        then finds it confirmed); one saved after is answered with a release by the saga.
        """
        hold = self.parts.timing.hold
        expired = 0
        for pending, _ in await self.parts.bookings.pending_since(now - hold):
            decided = await self._decide(pending.booking_id, partial(rules.expire_hold, hold=hold, now=now))
            if decided is None:
                continue  # kept moving: the next sweep decides it
            booking, changed = decided
            if changed:
                expired += 1
                log.info("bookings.hold_expired", booking=booking.booking_id)
            if booking.status == BookingStatus.REJECTED:
                await self.seating.free(booking)  # idempotent: also finishes what a crash left
        return expired

    async def release_no_shows(self, now: datetime) -> int:
        """At each site that says so (`no_show_release_minutes`), release the confirmed bookings not
        checked in that long after their start: no-show, seats back to the session (for walk-ins),
        the room back to spaces by the release request written with the no-show.

        The rule (`domain.booking.release_no_show`) is decided on the booking's current document
        under the version guard, like a check-in, so a late check-in and the release racing end
        with one of them: checked in and nothing released, or released and the check-in refused.
        A booking already released still in its session has its seats given back again
        (idempotent), which finishes what a crash between the two writes left.
        """
        released = 0
        for site_id, minutes in (await self.parts.projections.sites.releasing_no_shows()).items():
            started_before = now - timedelta(minutes=minutes)
            for found, _ in await self.parts.bookings.not_checked_in(site_id, started_before, now):
                booking = found
                if found.status == BookingStatus.CONFIRMED:
                    decided = await self._decide(
                        found.booking_id, partial(rules.release_no_show, after_minutes=minutes, now=now)
                    )
                    if decided is None:
                        continue
                    booking, changed = decided
                    if changed:
                        released += 1
                        log.info("bookings.no_show_released", booking=booking.booking_id, site=site_id)
                if booking.released_at is not None:
                    await self.seating.free(booking)
        return released

    async def _decide(self, booking_id: str, decide: Decided) -> tuple[Booking, bool] | None:
        """Apply a sweep's rule to the booking's current document under the version guard: the
        booking as it stands and whether the rule changed it; None if it kept moving (the next
        sweep decides it)."""
        changed = False

        def rule(doc: Document) -> Decision | None:
            nonlocal changed
            booking, happened = decide(booking_of(doc))
            changed = bool(happened)
            return (state_of(booking), publication(happened)) if happened else None

        try:
            doc, version = await change(self.parts.bookings.store, booking_id, rule, what="booking")
        except VersionConflict:
            return None
        booking = booking_of(doc)
        if changed:
            self.parts.written()
            self.parts.changed(booking_id, (booking, version))
        return booking, changed

    async def reclaim_lost_seats(self, now: datetime) -> int:
        """Give back seats, the member's place and allowances held by a booking that was never stored.

        A command takes the member's place and the seats before it writes the booking; a
        process dying in between leaves them held by a booking id with no booking. A retry of
        the command (same Idempotency-Key, same id) finishes the work; when none comes, the
        seats are given back once the session has been quiet for `LOST_SEAT_AFTER`, far
        longer than a request lives or an idempotency key waits before another may take it over.
        A waitlist place marked promoted whose booking is missing is finished instead (its booking
        stored), since the place already told the member it was promoted.
        """
        seats = self.parts.seats
        reclaimed = 0
        for session in await seats.sessions.unaudited_quiet_since(now - LOST_SEAT_AFTER, upcoming_from=now):
            given_back = 0
            held = {
                member: parse_place(value) for member, value in (session.get("places") or {}).items()
            }  # fmt: skip
            holders = [booking_id for booking_id, seats in held.values() if seats]
            stored = await self.parts.bookings.stored(holders) if holders else set()
            for member, (booking_id, party) in held.items():
                if not party or booking_id in stored:
                    continue
                place = await self.parts.waitlist.get(f"wl-{booking_id}")
                if place is not None and await self.seating.finish_promotion(place):
                    continue  # promoted, then the process died before its booking: stored now
                # The place's key is the member's `place_key`, which `give_up` maps to itself.
                if await seats.sessions.release(session["_id"], member, booking_id, party):
                    await seats.sessions.free_place(session["_id"], member, booking_id)
                    await self.parts.ledger.allowances.give_back_lost(booking_id)
                    given_back += 1
                    log.warning("bookings.lost_seat_reclaimed", session=session["_id"], booking=booking_id, seats=party)
            reclaimed += given_back
            if given_back:
                await self.seating.promote(session["_id"])
            else:
                await seats.sessions.mark_audited(session)
        return reclaimed
