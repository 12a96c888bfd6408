"""Seats of a session, "one booking per member per session" and a member's allowances, with single-document atomicity.

- `session_seats`: one document per session (`_id` = offering + start), with the seats
  `taken` and each member's one place (`places`: member, by `place_key`, to `place_value`: the
  booking or waitlist place that has it, with the seats it holds). A booking takes its place and
  its seats by one conditional update: `$inc` only while `taken <= seats - party_size` and only
  while the member has no place, so concurrent requests can never oversell, a member never books
  a session twice, and a retried command never takes a second seat (its place is there).
  Releasing is the reverse, conditional on the place holding those seats. One field per member
  keeps the document small: FerretDB pays for every field of it on every command.
  (Places were documents of their own, `session_members`, and the seats' holders an array and a
  map beside them, until issue 21 folded both into the place: `Seats.adopt_places` moves those
  left.)
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

from bookings.adapters.guards import Seated, parse_place, place_key, place_value
from bookings.domain.entitlements import Allowance
from bookings.domain.slots import session_key_start
from parkgrid.clock import utc_now
from parkgrid.store import Collection, Database, Document, DuplicateKeyError, create_index, is_duplicate_key


def unaudited_filter(moment: datetime, upcoming_from: datetime) -> Document:
    """Sessions from `upcoming_from` on whose seats last changed before `moment`, not audited since."""
    return {"audited": False, "starts_at": {"$gte": upcoming_from}, "changed_at": {"$lt": moment}}


class SessionSeats:
    def __init__(self, collection: Collection) -> None:
        self.collection = collection
        self.clock: Callable[[], datetime] = utc_now  # the service's (`BookingOffice`)

    async def ensure_indexes(self) -> None:
        await create_index(self.collection, [("offering_id", ASCENDING), ("starts_at", ASCENDING)])
        # The lost-seat audit's (`unaudited_quiet_since`): without it, every sweep read every
        # session ever held (1.1 s of FerretDB CPU over 20,000 sessions, 17 ms with it); it costs
        # a seat's update about 0.15 ms of FerretDB CPU (bench/README.md, 2026-12-07).
        await create_index(self.collection, [("audited", ASCENDING), ("starts_at", ASCENDING)])

    def seat_filter(self, key: str, seats: int, party_size: int) -> Document:
        """The seats' guard: room for the party."""
        return {"_id": key, "taken": {"$lte": seats - party_size}}

    def _holding(self, member_id: str, booking_id: str, party_size: int) -> Document:
        """The update that gives `booking_id` the member's place with its seats."""
        place = f"places.{place_key(member_id)}"
        changes = {"changed_at": self.clock(), "audited": False, place: place_value(booking_id, party_size)}
        return {"$inc": {"taken": party_size}, "$set": changes}

    async def _guarded(self, guard: Document, update: Document, offering_id: str, starts_at: datetime) -> bool:
        """One guarded write that creates the session's counter if it has none (upsert); False when the
        guard refused (a counter that exists and fails the guard makes the upsert a duplicate key)."""
        first = {**update, "$setOnInsert": {"offering_id": offering_id, "starts_at": starts_at}}
        try:
            result = await self.collection.update_one(guard, first, upsert=True)
        except PyMongoError as exc:
            if not is_duplicate_key(exc):
                raise
            return False
        return result.matched_count == 1 or result.upserted_id is not None

    async def take(self, key: str, seats: int, member_id: str, booking_id: str, party_size: int) -> bool:
        """True if `booking_id`, which has the member's place (without seats: a waitlist place being
        promoted, or a command whose first run stopped after the place), holds its seats now or
        already (a retried call)."""
        if party_size > seats:
            return False
        place = f"places.{place_key(member_id)}"
        guard = {**self.seat_filter(key, seats, party_size), place: booking_id}
        if (await self.collection.update_one(guard, self._holding(member_id, booking_id, party_size))).matched_count:
            return True
        held = {"_id": key, place: place_value(booking_id, party_size)}
        return await self.collection.find_one(held, {"_id": 1}) is not None

    async def seat(
        self,
        key: str,
        offering_id: str,
        starts_at: datetime,
        seats: int,
        member_id: str,
        booking_id: str,
        party_size: int,
    ) -> Seated:
        """The member's place and the party's seats in one guarded write (one command when granted).

        Refused, one read says why: the place another booking (or this one: a retried command)
        has, or no place and no room. A place free and room after all (a seat given back, or a
        concurrent first booking created the counter) means the guarded write decides again:
        every refusal it makes is some concurrent write that changed the session."""
        if party_size > seats:
            return Seated(None)
        place = f"places.{place_key(member_id)}"
        guard = {**self.seat_filter(key, seats, party_size), place: {"$exists": False}}
        update = self._holding(member_id, booking_id, party_size)
        while not await self._guarded(guard, update, offering_id, starts_at):
            session = await self.collection.find_one({"_id": key}, {"taken": 1, place: 1})
            if session is None:
                continue
            holder = _place_of(session, member_id)
            if holder is not None:
                return Seated(holder[0], holder[0] == booking_id and holder[1] > 0)
            if int(session.get("taken", 0)) > seats - party_size:
                return Seated(None)
        return Seated(booking_id, True, True)

    async def queue(
        self, key: str, offering_id: str, starts_at: datetime, member_id: str, booking_id: str
    ) -> tuple[str, int]:
        place = f"places.{place_key(member_id)}"
        try:
            session = await self.collection.find_one_and_update(
                {"_id": key, place: {"$exists": False}},
                {
                    "$inc": {"queued": 1},
                    "$set": {place: place_value(booking_id)},
                    "$setOnInsert": {"offering_id": offering_id, "starts_at": starts_at, "taken": 0},
                },
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
            if session is not None:  # always, with `upsert` and AFTER
                return booking_id, int(session["queued"])
        except PyMongoError as exc:
            if not is_duplicate_key(exc):  # the member has a place: whose?
                raise
        holder = await self.place(key, member_id)
        if holder is None:  # freed meanwhile
            return await self.queue(key, offering_id, starts_at, member_id, booking_id)
        return holder, (await self.next_in_line(key) if holder == booking_id else 0)

    async def place(self, key: str, member_id: str) -> str | None:
        place = f"places.{place_key(member_id)}"
        session = await self.collection.find_one({"_id": key}, {place: 1})
        holder = None if session is None else _place_of(session, member_id)
        return None if holder is None else holder[0]

    async def free_place(self, key: str, member_id: str, booking_id: str) -> None:
        """Free a place without seats (`give_up` frees one with them)."""
        place = f"places.{place_key(member_id)}"
        await self.collection.update_one({"_id": key, place: place_value(booking_id)}, {"$unset": {place: ""}})

    async def _give_back(self, key: str, member_id: str, booking_id: str, party_size: int, *, keep_place: bool) -> bool:
        place = f"places.{place_key(member_id)}"
        changes: Document = {"$inc": {"taken": -party_size}, "$set": {"changed_at": self.clock()}}
        if keep_place:
            changes["$set"][place] = place_value(booking_id)
        else:
            changes["$unset"] = {place: ""}
        held = {"_id": key, place: place_value(booking_id, party_size)}
        return (await self.collection.update_one(held, changes)).matched_count == 1

    async def release(self, key: str, member_id: str, booking_id: str, party_size: int) -> bool:
        """Give the seats back (once: only while the place holds them); the place stays."""
        return await self._give_back(key, member_id, booking_id, party_size, keep_place=True)

    async def give_up(self, key: str, member_id: str, booking_id: str, party_size: int) -> None:
        if not await self._give_back(key, member_id, booking_id, party_size, keep_place=False):
            await self.free_place(key, member_id, booking_id)

    async def without_room(
        self, key: str, seats: int, party_size: int, member_id: str, booking_id: str
    ) -> Seated | None:
        """A seat freed just after the read is one this request missed, as if it had come a moment
        earlier: the read is a state the session was in during it."""
        place = f"places.{place_key(member_id)}"
        session = await self.collection.find_one({"_id": key}, {"taken": 1, place: 1})
        if session is None:
            return None
        holder = _place_of(session, member_id)
        if holder is not None:
            return None if holder[0] == booking_id else Seated(holder[0])
        return Seated(None) if int(session.get("taken", 0)) > seats - party_size else None

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
        """Upcoming sessions whose seats last changed before `moment` and were not audited since.

        `audited: False` is an equality the `{audited, starts_at}` index answers on FerretDB (a
        `$ne`, or the ranges alone, read every session ever held). Only a seat taken sets
        `changed_at`, and it sets `audited: False` with it: a session without the flag has no
        `changed_at` and was never matched."""
        found: list[Document] = (
            await self.collection.find(unaudited_filter(moment, upcoming_from)).limit(limit).to_list()
        )
        return found

    async def mark_audited(self, session: Document) -> None:
        """Audited as it was read: a seat taken or released since then keeps it for the next audit."""
        await self.collection.update_one(
            {"_id": session["_id"], "changed_at": session["changed_at"]}, {"$set": {"audited": True}}
        )


def _place_of(session: Document, member_id: str) -> tuple[str, int] | None:
    """(booking id, seats held) of the member's place, if it has one."""
    value = (session.get("places") or {}).get(place_key(member_id))
    return None if value is None else parse_place(value)


class Seats:
    """The guard of a database (`SeatGuards`)."""

    def __init__(self, db: Database, seats: Any = SessionSeats) -> None:
        self.sessions: SessionSeats = seats(db["session_seats"])
        self._places_before = db["session_members"]
        self._bookings = db["bookings"]

    async def adopt_places(self) -> int:
        """Move what was stored before issue 21 into the places, at the service's start: the places
        of `session_members` (`_id` = session + "|" + member, a session key holds no "|"), each
        moved once, then deleted, so a restart half-way moves the rest (a place already taken
        there stays as it is); then each session's `holders` and `parties`, folded into its
        places. The number of places and sessions moved."""
        moved = 0
        async for old in self._places_before.find({}):
            key, _, member_id = str(old["_id"]).partition("|")
            offering_id, starts_at = session_key_start(key)
            place = f"places.{place_key(member_id)}"
            with contextlib.suppress(DuplicateKeyError):
                await self.sessions.collection.update_one(
                    {"_id": key, place: {"$exists": False}},
                    {
                        "$set": {place: old["booking_id"]},
                        "$setOnInsert": {"offering_id": offering_id, "starts_at": starts_at, "taken": 0},
                    },
                    upsert=True,
                )
            await self._places_before.delete_one({"_id": old["_id"]})
            moved += 1
        async for session in self.sessions.collection.find({"holders": {"$exists": True}}):
            await self._fold_holders(session)
            moved += 1
        return moved

    async def _fold_holders(self, session: Document) -> None:
        """A session as stored before issue 21's last step: its holders' seats go into their members'
        places (a holder with no place found there is placed under its booking's member)."""
        places: dict[str, str] = {key: str(value) for key, value in (session.get("places") or {}).items()}
        parties = session.get("parties") or {}
        by_booking = {value: key for key, value in places.items()}
        for booking_id in map(str, session.get("holders", [])):
            party = parties.get(booking_id)
            key = by_booking.get(booking_id)
            if key is None or party is None:
                booking = await self._bookings.find_one({"_id": booking_id}, {"member_id": 1, "party_size": 1})
                if booking is None:
                    continue  # nothing to place it under: the count stays, the audit sees it
                key = key or place_key(str(booking["member_id"]))
                party = party or booking.get("party_size", 1)
            if parse_place(places.get(key, booking_id))[0] == booking_id:  # never another booking's place
                places[key] = place_value(booking_id, int(party))
        unchanged = session.get("changed_at", {"$exists": False})
        await self.sessions.collection.update_one(
            {"_id": session["_id"], "changed_at": unchanged},
            {"$set": {"places": places}, "$unset": {"holders": "", "parties": ""}},
        )


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
        await create_index(self.collection, [("member_id", ASCENDING)])
        await create_index(self.collection, [("holders", ASCENDING)])

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
