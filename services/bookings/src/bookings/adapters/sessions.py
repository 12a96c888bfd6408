"""Seats of a session, "one booking per member per session" and a member's allowances, with single-document atomicity.

- `session_seats`: one document per session (`_id` = offering + start), with the seats
  `taken`, the booking ids `holders` that hold them and each one's party size (`parties`).
  A seat is taken by one conditional update: `$inc` only while `taken <= seats - party_size`
  and only if this booking is not a holder yet, so concurrent requests can never oversell,
  and a retried command never takes a second seat. Releasing is the reverse, conditional on being a holder.
- `session_members`: one document per (session, member), `_id` = session + member: the
  unique `_id` index decides which booking (or waitlist place) of a member a session has.
- `allowances`: one document per member allowance (bookings of an offering per period,
  credits of a category per period), reserved the way seats are taken (`MemberAllowances`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import PyMongoError

from bookings.domain.entitlements import Allowance
from parkgrid.clock import utc_now
from parkgrid.store import Collection, Database, Document, DuplicateKeyError, is_duplicate_key


class SessionSeats:
    def __init__(self, collection: Collection) -> None:
        self.collection = collection
        self.clock: Callable[[], datetime] = utc_now  # the service's (`BookingOffice`)

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("offering_id", ASCENDING), ("starts_at", ASCENDING)])

    def seat_filter(self, key: str, seats: int, party_size: int, booking_id: str) -> Document:
        """The guard: room for the party, and not already held by this booking."""
        return {"_id": key, "holders": {"$ne": booking_id}, "taken": {"$lte": seats - party_size}}

    async def take(
        self,
        key: str,
        offering_id: str,
        starts_at: datetime,
        seats: int,
        booking_id: str,
        party_size: int,
    ) -> bool:
        """True if `booking_id` holds its seats in the session (now, or already: a retried command)."""
        update: Document = {
            "$inc": {"taken": party_size},
            "$push": {"holders": booking_id},
            "$set": {"changed_at": self.clock(), f"parties.{booking_id}": party_size, "audited": False},
        }
        guard = self.seat_filter(key, seats, party_size, booking_id)
        try:
            # The session's first booking creates its counter (upsert); later ones update it.
            first = {**update, "$setOnInsert": {"offering_id": offering_id, "starts_at": starts_at}}
            result = await self.collection.update_one(guard, first, upsert=True)
            if result.matched_count == 1 or result.upserted_id is not None:
                return True
        except PyMongoError as exc:
            # The counter exists and the guard refused (full, or held already), or a concurrent
            # first booking created it just now: one plain guarded update decides.
            if not is_duplicate_key(exc):
                raise
        if (await self.collection.update_one(guard, update)).matched_count == 1:
            return True
        return await self.collection.find_one({"_id": key, "holders": booking_id}, {"_id": 1}) is not None

    async def release(self, key: str, booking_id: str, party_size: int) -> bool:
        """Give the seats back (once: only while the booking is a holder)."""
        result = await self.collection.update_one(
            {"_id": key, "holders": booking_id},
            {
                "$inc": {"taken": -party_size},
                "$pullAll": {"holders": [booking_id]},
                "$set": {"changed_at": self.clock()},
                "$unset": {f"parties.{booking_id}": ""},
            },
        )
        return result.matched_count == 1

    async def visibly_full(self, key: str, seats: int, party_size: int, booking_id: str) -> bool:
        """A refusal that needs no write (the hot slot's 490 of 500): one read of the counter.

        It never grants a seat; a seat freed just after the read is one this request missed, as
        if it had come a moment earlier: the read is a state the session was in during it."""
        session = await self.collection.find_one({"_id": key}, {"taken": 1, "holders": 1})
        if session is None or booking_id in session.get("holders", []):
            return False
        return int(session["taken"]) > seats - party_size

    async def next_in_line(self, key: str) -> int:
        """The session's next waitlist number (1, 2, ...): one atomic `$inc`, no counting."""
        doc = await self.collection.find_one_and_update(
            {"_id": key}, {"$inc": {"queued": 1}}, return_document=ReturnDocument.AFTER
        )
        return int(doc["queued"]) if doc else 1

    async def taken(self, offering_id: str, first: datetime, last: datetime) -> dict[str, int]:
        docs = await self.collection.find(
            {"offering_id": offering_id, "starts_at": {"$gte": first, "$lte": last}}, {"taken": 1}
        ).to_list()
        return {d["_id"]: int(d["taken"]) for d in docs}

    async def get(self, key: str) -> Document | None:
        return await self.collection.find_one({"_id": key})

    async def unaudited_quiet_since(
        self, moment: datetime, upcoming_from: datetime, limit: int = 200
    ) -> list[Document]:
        """Upcoming sessions whose seats last changed before `moment` and were not audited since."""
        found: list[Document] = (
            await self.collection.find(
                {"starts_at": {"$gte": upcoming_from}, "changed_at": {"$lt": moment}, "audited": {"$ne": True}}
            )
            .limit(limit)
            .to_list()
        )
        return found

    async def mark_audited(self, session: Document) -> None:
        """Audited as it was read: a seat taken or released since then keeps it for the next audit."""
        await self.collection.update_one(
            {"_id": session["_id"], "changed_at": session["changed_at"]}, {"$set": {"audited": True}}
        )


class SessionMembers:
    def __init__(self, collection: Collection) -> None:
        self.collection = collection

    async def claim(self, key: str, member_id: str, booking_id: str) -> tuple[str, bool]:
        """Make `booking_id` the member's one booking of the session.

        Returns the booking id that has the place, and whether it was claimed just now (a
        booking id that claims afresh cannot have made anything yet)."""
        claim_id = f"{key}|{member_id}"
        try:
            await self.collection.insert_one({"_id": claim_id, "booking_id": booking_id, "at": utc_now()})
            return booking_id, True
        except DuplicateKeyError:
            doc = await self.collection.find_one({"_id": claim_id})
            if doc is None:  # freed meanwhile
                return await self.claim(key, member_id, booking_id)
            holder: str = doc["booking_id"]
            return holder, False

    async def holder(self, key: str, member_id: str) -> str | None:
        doc = await self.collection.find_one({"_id": f"{key}|{member_id}"}, {"booking_id": 1})
        return None if doc is None else str(doc["booking_id"])

    async def free(self, key: str, member_id: str, booking_id: str) -> None:
        await self.collection.delete_one({"_id": f"{key}|{member_id}", "booking_id": booking_id})

    async def free_booking(self, booking_id: str) -> None:
        """Free the place a booking id claimed, member unknown (a booking id claims one place)."""
        await self.collection.delete_many({"booking_id": booking_id})


class Seats:
    """Both guards of a database."""

    def __init__(self, db: Database, seats: Any = SessionSeats) -> None:
        self.sessions: SessionSeats = seats(db["session_seats"])
        self.members = SessionMembers(db["session_members"])


Already = Callable[[], Awaitable[Mapping[str, int]]]
"""What bookings made before an allowance existed hold of it (`ports.Already`)."""


async def first_state(allowance: Allowance, booking_id: str, already: Already | None) -> Document:
    """An allowance's document as its first reservation creates it: it starts from what the
    member's bookings made before it existed hold of it (`already`), less `booking_id`'s own
    share, which that reservation then takes under the guard like any other."""
    held = {b: a for b, a in (await already() if already else {}).items() if b != booking_id}
    return {
        "_id": allowance.allowance_id,
        "member_id": allowance.member_id,
        "kind": allowance.kind,
        "limit": allowance.limit,
        "used": sum(held.values()),
        "held": held,
        "holders": list(held),
    }


class MemberAllowances:
    """A member's per-period counters that a booking reserves when it is requested (`allowances`).

    One document per allowance (`_id` = `Allowance.allowance_id`): `used`, and `held`, the amount
    each booking holds, whose keys are also kept in the array `holders` (indexed), so what a
    booking id holds is found without knowing its member (`give_back_lost`). A booking reserves
    by one conditional update that names it: `$inc` only while `used <= limit - amount` and
    only if the booking holds nothing yet, so concurrent
    requests never pass the limit and a retried command never counts twice; it gives back the
    same way, conditional on what it holds. The allowance's first booking creates it by an insert
    (the unique `_id` decides; a duplicate key then means: update under the guard), starting
    from what the member's bookings made before allowances existed hold of it (`already`).
    """

    def __init__(self, collection: Collection) -> None:
        self.collection = collection

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("member_id", ASCENDING)])
        await self.collection.create_index([("holders", ASCENDING)])

    def allowance_filter(self, allowance: Allowance, booking_id: str, replaces: str | None) -> Document:
        """The guard: room for the amount (the booking this one replaces lends its own), not held yet."""
        room: Document = {"used": {"$lte": allowance.limit - allowance.amount}}
        if replaces is not None:
            lent = {f"held.{replaces}": {"$exists": True}, "used": {"$lte": allowance.limit}}
            room = {"$or": [room, lent]}
        return {"_id": allowance.allowance_id, f"held.{booking_id}": {"$exists": False}, **room}

    async def reserve(
        self, allowance: Allowance, booking_id: str, replaces: str | None = None, already: Already | None = None
    ) -> bool:
        """True if `booking_id` holds its amount of the allowance (now, or already: a retried command)."""
        if allowance.amount > allowance.limit:
            return False
        guard = self.allowance_filter(allowance, booking_id, replaces)
        update = {
            "$inc": {"used": allowance.amount},
            "$set": {f"held.{booking_id}": allowance.amount},
            "$addToSet": {"holders": booking_id},
        }
        if (await self.collection.update_one(guard, update)).matched_count == 1:
            return True
        found = await self.collection.find_one({"_id": allowance.allowance_id}, {"used": 1, "held": 1})
        if found is not None and booking_id in (found.get("held") or {}):
            return True  # a retried command: it holds its amount already
        if found is None:
            # The allowance's first reservation creates it, starting from what the member's
            # earlier bookings hold; the unique `_id` decides between concurrent creators.
            first = await first_state(allowance, booking_id, already)
            with contextlib.suppress(DuplicateKeyError):
                await self.collection.insert_one(first)
        elif found.get("used", 0) > allowance.limit - allowance.amount and replaces is None:
            return False  # full: a refusal costs the one guarded write
        # Created just now (by this reservation or a concurrent one, after the guarded write
        # above found nothing), or room since: the guarded write once more decides.
        if (await self.collection.update_one(guard, update)).matched_count == 1:
            return True
        held_now = {"_id": allowance.allowance_id, f"held.{booking_id}": {"$exists": True}}
        return await self.collection.find_one(held_now, {"_id": 1}) is not None

    async def give_back(self, member_id: str, booking_id: str, kinds: Sequence[str]) -> int:
        """Give back what the booking holds of the member's allowances of these kinds (once each)."""
        holding = {"member_id": member_id, "kind": {"$in": list(kinds)}, f"held.{booking_id}": {"$exists": True}}
        return await self._give_back(holding, booking_id)

    async def give_back_lost(self, booking_id: str) -> int:
        """Give back everything `booking_id` holds, its member unknown (found by `holders`)."""
        return await self._give_back({"holders": booking_id}, booking_id)

    async def _give_back(self, holding: Document, booking_id: str) -> int:
        given = 0
        for doc in await self.collection.find(holding).to_list():
            amount = (doc.get("held") or {}).get(booking_id)
            if amount is None:
                continue
            result = await self.collection.update_one(
                {"_id": doc["_id"], f"held.{booking_id}": amount},
                {"$inc": {"used": -amount}, "$unset": {f"held.{booking_id}": ""}, "$pull": {"holders": booking_id}},
            )
            given += result.matched_count
        return given

    async def get(self, allowance_id: str) -> Document | None:
        return await self.collection.find_one({"_id": allowance_id})
