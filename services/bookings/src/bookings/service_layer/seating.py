"""Holding seats and giving them back, and the waitlist that takes the seats given back.

Without multi-document transactions, a booking is made in steps that are each atomic on
one document and each idempotent for the booking's id, in an order that never lets a
seat be sold twice (see `commands`): the member's place, then the seats, then the
booking. `open` is the last step, and gives back what the booking held when it cannot be
stored. Freeing a seat (cancelled, rejected) is the reverse, allowances included (a late
cancellation keeps its credits), then the first in line on the waitlist is promoted: each
promoted entry passes every rule of a booking again (`admission`) and becomes a booking
through `open` too.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bookings.adapters.ledgers import WAITING, entry_snapshot
from bookings.domain import booking as rules
from bookings.domain.booking import Actor, Booking, BookingRefused
from bookings.domain.entitlements import given_back
from bookings.domain.slots import session_key
from bookings.service_layer import admission
from bookings.service_layer.parts import Parts
from bookings.service_layer.publication import publication
from parkgrid.contracts.bookings import BookingStatus, WaitlistJoined, WaitlistLeft, WaitlistPromoted
from parkgrid.contracts.catalogue import OfferingSnapshot, OfferingStatus
from parkgrid.logging import get_logger
from parkgrid.outbox import AlreadyExists, VersionConflict
from parkgrid.store import Document

log = get_logger(__name__)


def pending_booking(offering: OfferingSnapshot, zone: str, now: datetime, **fields: Any) -> Booking:
    """A new booking of `offering`, pending until `open` decides; `fields` name the member and session."""
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
        **fields,
    )


class Seating:
    def __init__(self, parts: Parts) -> None:
        self.parts = parts

    async def open(self, booking: Booking, key: str) -> tuple[Booking, int, bool]:
        """Store the booking whose seats are held; True if stored now (False: a retry found it)."""
        parts = self.parts
        opened, happened = rules.open_booking(booking, parts.now())
        try:
            version = await parts.bookings.add(opened, publication(happened))
        except AlreadyExists:
            # A retry of a command whose booking exists: keep nothing for it beyond what it holds.
            existing, version = await parts.get(booking.booking_id)
            if not existing.holds_seat:
                await self._give_back(key, booking, given_back(existing.status, existing.late))
            return existing, version, False
        except Exception:
            # The booking was not stored: give back what it held, so nothing leaks.
            await self._give_back(key, booking, admission.EVERYTHING)
            raise
        parts.written()
        return opened, version, True

    async def _give_back(self, key: str, booking: Booking, allowances: Sequence[str]) -> None:
        await self.parts.seats.sessions.release(key, booking.booking_id, booking.party_size)
        await self.parts.seats.members.free(key, booking.member_id, booking.booking_id)
        await admission.give_back(self.parts, booking.member_id, booking.booking_id, allowances)

    async def join_waitlist(self, booking: Booking, key: str, now: datetime) -> Document:
        entry_id = f"wl-{booking.booking_id}"
        position = await self.parts.seats.sessions.next_in_line(key)
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
            await self.parts.waitlist.store.create(entry_id, state, [WaitlistJoined(**entry_snapshot(state))])
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
        same reservation as a booking) leaves the line (`WaitlistLeft`, `no_longer_eligible`) and
        the next one is tried.
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
                await self._leave(entry, "no_longer_eligible", str(refused))
                continue
            took = await parts.seats.sessions.take(
                key, offering.offering_id, entry["starts_at"], offering.seats_per_session, entry["booking_id"],
                entry["party_size"],
            )  # fmt: skip
            if not took:
                await admission.give_back(parts, member.member_id, entry["booking_id"])
                break
            booking = pending_booking(
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
            await self.open(booking, key)
            promoted_state = {**_state(entry), "status": "promoted"}
            event = WaitlistPromoted(**entry_snapshot(promoted_state), booking_id=booking.booking_id)
            with contextlib.suppress(VersionConflict):  # promoted by a concurrent run
                await parts.waitlist.store.update(entry["_id"], entry["version"], {"status": "promoted"}, [event])
            promoted += 1
            parts.written()
        return promoted

    async def _leave(self, entry: Document, reason: str, why: str) -> None:
        """The entry leaves the line without a seat (`WaitlistLeft`), and the member's place in the session."""
        parts = self.parts
        left = WaitlistLeft(**entry_snapshot({**_state(entry), "status": "left"}), reason=reason)
        try:
            await parts.waitlist.store.update(entry["_id"], entry["version"], {"status": "left"}, [left])
        except VersionConflict:
            return  # moved meanwhile (promoted, left): the next pass sees it as it is
        await parts.seats.members.free(entry["session_key"], entry["member_id"], entry["booking_id"])
        log.info("bookings.waitlist_left", entry=entry["_id"], reason=reason, why=why)
        parts.written()


def _state(entry: Document) -> Document:
    """A stored entry without the store's own fields."""
    return {k: v for k, v in entry.items() if k not in ("_id", "version")}
