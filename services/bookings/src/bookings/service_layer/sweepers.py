"""What the store's lack of TTLs and transactions leaves to a periodic job (`sweep`).

Every replica runs its own sweeper, so each step is a conditional write: settling a finished
session (completed / no-show) saves under the version guard, reclaiming a lost seat is a
release conditional on the holder, promoting is `Seating.promote`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bookings.domain import booking as rules
from bookings.service_layer.parts import Parts
from bookings.service_layer.publication import publication
from bookings.service_layer.seating import Seating
from parkgrid.contracts.bookings import BookingStatus
from parkgrid.logging import get_logger
from parkgrid.outbox import VersionConflict

log = get_logger(__name__)

LOST_SEAT_AFTER = timedelta(minutes=10)


class Sweepers:
    def __init__(self, parts: Parts, seating: Seating) -> None:
        self.parts = parts
        self.seating = seating

    async def sweep(self) -> int:
        """Settle finished sessions (completed / no-show) and promote waiting entries left behind."""
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
        changed += await self.reclaim_lost_seats(now)
        for key in await parts.waitlist.sessions_waiting():
            changed += await self.seating.promote(key)
        if changed:
            parts.written()
        return changed

    async def reclaim_lost_seats(self, now: datetime) -> int:
        """Give back seats held by a booking that was never stored.

        A command takes the member's place and the seats before it writes the booking; a
        process dying in between leaves them held by a booking id with no booking. A retry of
        the command (same Idempotency-Key, same id) finishes the work; when none comes, the
        seats are given back once the session has been quiet for `LOST_SEAT_AFTER`, far
        longer than a request lives or an idempotency key waits before another may take it over.
        """
        seats = self.parts.seats
        reclaimed = 0
        for session in await seats.sessions.unaudited_quiet_since(now - LOST_SEAT_AFTER, upcoming_from=now):
            given_back = 0
            holders = [str(h) for h in session.get("holders", [])]
            stored = await self.parts.bookings.stored(holders) if holders else set()
            for booking_id in holders:
                party = (session.get("parties") or {}).get(booking_id)
                if booking_id in stored or party is None:  # no party size: held before it was recorded
                    continue
                if await seats.sessions.release(session["_id"], booking_id, int(party)):
                    await seats.members.free_booking(booking_id)
                    given_back += 1
                    log.warning("bookings.lost_seat_reclaimed", session=session["_id"], booking=booking_id, seats=party)
            reclaimed += given_back
            if given_back:
                await self.seating.promote(session["_id"])
            else:
                await seats.sessions.mark_audited(session)
        return reclaimed
