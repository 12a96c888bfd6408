"""Holding seats and giving them back, and the waitlist that takes the seats given back.

Without multi-document transactions, a booking is made in steps that are each atomic on
one document and each idempotent for the booking's id, in an order that never lets a
seat be sold twice (see `commands`): the member's allowances, then the member's place and
the seats (one write), then the booking. `open` is the last step, and gives back what the booking held when it cannot be
stored. Freeing a seat (cancelled, rejected) is the reverse, allowances included (a late
cancellation keeps its credits), then the first in line on the waitlist is promoted: each
promoted entry passes every rule of a booking again (`admission`) and becomes a booking
through `open` too.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from bookings.domain import booking as rules
from bookings.domain import waitlist as places
from bookings.domain.approvals import decide_by_of
from bookings.domain.booking import Actor, Booking, BookingRefused, Unavailable
from bookings.domain.entitlements import given_back
from bookings.domain.slots import session_key
from bookings.domain.waitlist import PROMOTED
from bookings.service_layer import admission
from bookings.service_layer.parts import Parts
from bookings.service_layer.publication import publication
from bookings.service_layer.waitlist import Leaving
from parkgrid.aggregates import Decision, change
from parkgrid.contracts.bookings import BookingStatus
from parkgrid.contracts.catalogue import OfferingSnapshot, OfferingStatus
from parkgrid.logging import get_logger
from parkgrid.outbox import AlreadyExists, VersionConflict
from parkgrid.store import Document

log = get_logger(__name__)

Answering = Callable[[Booking, int], Document]
"""How a command's caller answers the booking it made, at its version: kept with the booking by
the insert that stores it, so a repeat of the command is answered the same without a write of its
own (`parkgrid.http.idempotency`)."""


def pending_booking(offering: OfferingSnapshot, zone: str, now: datetime, **fields: Any) -> Booking:
    """A new booking of `offering`, pending until `open` decides; `fields` name the member and session
    (and `decide_by` is set when the offering requires staff approval, unless it is a recorded visit)."""
    return Booking(
        offering_id=offering.offering_id,
        offering_title=offering.title.model_dump(),
        category=offering.category.value,
        site_id=offering.site_id,
        time_zone=zone,
        status=BookingStatus.PENDING,
        requested_at=now,
        credits=offering.credits or 0,
        requirement=offering.space_requirement.model_dump(mode="json") if offering.space_requirement else None,
        decide_by=None if fields.get("visit") else decide_by_of(offering, now, fields["starts_at"]),
        **fields,
    )


class Seating:
    def __init__(self, parts: Parts, leaving: Leaving | None = None) -> None:
        self.parts = parts
        self.leaving = leaving or Leaving(parts)

    async def open(
        self, booking: Booking, key: str, answering: Answering | None = None
    ) -> tuple[Booking, int, bool, Document | None]:
        """Store the booking whose seats are held; True if stored now (False: a retry found it),
        and the answer kept with it when `answering` is given and it was stored now."""
        parts = self.parts
        opened, happened = rules.open_booking(booking, parts.now())
        kept: list[Document] = []

        def answer(version: int) -> Document:
            assert answering is not None
            kept.append(answering(opened, version))
            return kept[0]

        try:
            version = await parts.bookings.add(opened, publication(happened), answer=answer if answering else None)
        except AlreadyExists:
            # A retry of a command whose booking exists: keep nothing for it beyond what it holds.
            existing, version = await parts.get(booking.booking_id)
            if not existing.holds_seat:
                await self._give_back(key, booking, given_back(existing.status, existing.late))
            return existing, version, False, None
        except Exception:
            # The booking was not stored: give back what it held, so nothing leaks.
            await self._give_back(key, booking, admission.EVERYTHING)
            raise
        parts.written()
        return opened, version, True, kept[0] if kept else None

    async def _give_back(self, key: str, booking: Booking, allowances: Sequence[str]) -> None:
        await self.parts.seats.sessions.give_up(key, booking.member_id, booking.booking_id, booking.party_size)
        await admission.give_back(self.parts, booking.member_id, booking.booking_id, allowances)

    async def join_waitlist(self, booking: Booking, key: str, now: datetime, position: int) -> Document:
        """The waitlist place of a booking that has the member's place in the session and its
        number in line (`SeatGuard.queue`)."""
        entry_id = f"wl-{booking.booking_id}"
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
            "booked_by": booking.booked_by.as_dict(),
        }
        state, taken = places.join(state)
        with contextlib.suppress(AlreadyExists):  # a retried command
            await self.parts.waitlist.store.create(entry_id, state, publication(taken))
        self.parts.written()
        found = await self.parts.waitlist.get(entry_id)
        assert found is not None
        return found

    async def free(self, booking: Booking) -> None:
        """Give back the seats, the member's place in the session and what the booking no longer
        holds of its allowances (idempotent), then promote."""
        key = session_key(booking.offering_id, booking.starts_at)
        await self._give_back(key, booking, given_back(booking.status, booking.late))
        await self.promote(key)

    async def promote(self, key: str) -> int:
        """Give free seats to the first in line (each becomes a booking, with the saga if needed).

        Every rule of a booking is applied again, as of now: a session that started, is too near
        (notice), or that its offering or site can no longer host promotes no one; a member who no
        longer qualifies (eligibility, cohort included; the per-member limit or the credits, by the
        same reservation as a booking) leaves the line by the one leave (`WaitlistLeft`,
        `no_longer_eligible`) and the next one is tried.

        A place racing its own leave: the seat is taken for the place's booking id, then the place
        is marked promoted by one version-guarded write that only a waiting place passes
        (`domain.waitlist.promote`), and only then is the booking stored. A leave that won keeps
        the place left and the seat and allowances go back, so a place ends left with no booking
        or promoted with one, never both. A crash after the mark is finished by the lost-seat
        sweeper (`finish_promotion`).
        """
        parts = self.parts
        promoted = 0
        now = parts.now()
        for entry in await parts.waitlist.waiting(key):
            if entry["starts_at"] <= now:
                break
            offering = await parts.projections.offerings.get(entry["offering_id"])
            if offering is None or offering.status != OfferingStatus.PUBLISHED:
                break
            zone = await parts.projections.sites.time_zone(offering.site_id) or offering.time_zone
            try:
                rules.check_rules(offering, entry["starts_at"], entry["party_size"], now)
                await admission.check_site(parts, offering, entry["starts_at"], entry["ends_at"])
            except BookingRefused:
                break  # the session, not the member: no one can be promoted into it now
            member = await parts.projections.member(entry["member_id"])
            try:
                rules.check_eligible(offering, member, entry["person_id"])
                assert member is not None
                await admission.reserve(parts, offering, zone, member, entry["booking_id"], entry["starts_at"])
            except BookingRefused as refused:
                await self._leave_ineligible(entry, str(refused))
                continue
            booking_id, party = entry["booking_id"], entry["party_size"]
            took = await parts.seats.sessions.take(
                key, offering.seats_per_session, entry["member_id"], booking_id, party
            )
            if not took:
                await admission.give_back(parts, member.member_id, booking_id)
                break
            try:
                await self._mark_promoted(entry["_id"])
            except (Unavailable, VersionConflict):
                # It left (or was promoted by a concurrent run, which stores the booking itself).
                if not await self._promoted(entry["_id"]):
                    await parts.seats.sessions.release(key, entry["member_id"], booking_id, party)
                    await admission.give_back(parts, member.member_id, booking_id)
                continue
            await self.open(_booking_of(entry, offering, zone, now), key)
            promoted += 1
        return promoted

    async def finish_promotion(self, entry: Document) -> bool:
        """Store the booking of a place marked promoted whose booking a crash left unwritten."""
        if entry.get("status") != PROMOTED:
            return False
        offering = await self.parts.projections.offerings.get(entry["offering_id"])
        if offering is None:
            return False
        zone = await self.parts.projections.sites.time_zone(offering.site_id) or offering.time_zone
        booking = _booking_of(entry, offering, zone, entry.get("promoted_at") or self.parts.now())
        await self.open(booking, entry["session_key"])
        return True

    async def _mark_promoted(self, entry_id: str) -> None:
        now = self.parts.now()

        def rule(doc: Document) -> Decision:
            changes, happened = places.promote(doc, now)
            return changes, publication(happened)

        await change(self.parts.waitlist.store, entry_id, rule, what="waitlist place")
        self.parts.written()

    async def _promoted(self, entry_id: str) -> bool:
        found = await self.parts.waitlist.get(entry_id)
        return found is not None and found["status"] == PROMOTED

    async def _leave_ineligible(self, entry: Document, why: str) -> None:
        """The one leave (`service_layer.waitlist`), reason `no_longer_eligible`."""
        try:
            await self.leaving.leave(entry["_id"], "no_longer_eligible")
        except (Unavailable, VersionConflict):
            return  # moved meanwhile (promoted, left): the next pass sees it as it is
        log.info("bookings.waitlist_no_longer_eligible", entry=entry["_id"], why=why)


def _booking_of(entry: Document, offering: OfferingSnapshot, zone: str, now: datetime) -> Booking:
    """The booking a waitlist place becomes."""
    return pending_booking(
        offering,
        zone,
        now,
        booking_id=entry["booking_id"],
        starts_at=entry["starts_at"],
        ends_at=entry["ends_at"],
        member_id=entry["member_id"],
        person_id=entry["person_id"],
        party_size=entry["party_size"],
        booked_by=Actor(**entry["booked_by"]),
        waitlist_entry_id=entry["_id"],
    )
