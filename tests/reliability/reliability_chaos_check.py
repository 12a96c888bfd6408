"""The invariant checker of the chaos run: pure Python over snapshots of each service's own store.

A snapshot is `{service: {collection: [document, ...]}}`, read with PyMongo from the
databases `Stack.database(service)` names (`load_snapshot`). `check` compares it with
what the clients were told (every 2xx answer, `Accepted`) and returns one line per
violation. Kept free of I/O so that it can be shown failing on a store where an outbox
write or a projection version guard was removed (test_reliability_chaos_checker.py).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

Snapshot = dict[str, dict[str, list[dict[str, Any]]]]

# Collections read for the checks; every collection of every service is read for the outbox check.
ACTIVE_BOOKING = {"confirmed", "pending", "checked_in", "completed", "no_show"}
HOLDING_SEAT = {"confirmed", "pending", "checked_in"}
MEMBER_PROJECTIONS = (("spaces", "members"), ("bookings", "members"), ("catalogue", "members"))


@dataclass
class Accepted:
    """What the clients were told (2xx answers), by kind."""

    members: dict[str, dict[str, Any]] = field(default_factory=dict)  # member id -> answer
    bookings: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # idempotency key -> ids
    booking_cancels: set[str] = field(default_factory=set)
    waitlist: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # key -> entry ids
    registrations: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    registration_cancels: set[str] = field(default_factory=set)
    residencies: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    offering_seats: dict[str, int] = field(default_factory=dict)  # offering id -> seats per session
    event_capacity: dict[str, int] = field(default_factory=dict)


def _aware(value: Any) -> datetime:
    moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _by_id(docs: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {str(d["_id"]): d for d in docs}


def calendar_holds(calendar: dict[str, Any]) -> list[dict[str, Any]]:
    """A space calendar's holds as documents. Spaces stores each as one line,
    `starts|ends|places|r|held_at|holder` (`spaces.adapters.stores.hold_line`); a calendar
    written before that holds documents."""
    holds = []
    for stored in calendar.get("holds", []):
        if isinstance(stored, str):
            starts, ends, _places, residency, _held_at, holder = stored.split("|", 5)
            stored = {
                "reservation_id": holder,
                "starts_at": datetime.fromisoformat(starts),
                "ends_at": datetime.fromisoformat(ends),
                "residency": residency == "r",
            }
        holds.append(stored)
    return holds


def seat_keys(stored: str | list[str] | None) -> list[str]:
    """An event seat chart's `seated`, `queue` or `promoting` keys. Community stores each as one
    space-separated string (`community.adapters.seats.keys_of`); a chart written before, as an array."""
    if not stored:
        return []
    return stored.split() if isinstance(stored, str) else list(stored)


def overlaps(holds: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Pairs of holds on one calendar whose time ranges intersect."""
    ordered = sorted(holds, key=lambda h: _aware(h["starts_at"]))
    found = []
    for i, first in enumerate(ordered):
        for second in ordered[i + 1 :]:
            if _aware(second["starts_at"]) >= _aware(first["ends_at"]):
                break
            found.append((str(first.get("reservation_id")), str(second.get("reservation_id"))))
    return found


def check(snapshot: Snapshot, accepted: Accepted) -> list[str]:
    violations: list[str] = []

    def db(service: str, collection: str) -> list[dict[str, Any]]:
        return snapshot.get(service, {}).get(collection, [])

    # 1. No outbox left undrained, in any aggregate of any service.
    for service, collections in snapshot.items():
        for name, docs in collections.items():
            for doc in docs:
                if doc.get("outbox"):
                    left = len(doc["outbox"])
                    violations.append(f"outbox: {service}.{name} {doc['_id']} still holds {left} event(s)")

    # 2. Members: in the owner's store and in every projection, at the owner's state.
    members = _by_id(db("community", "members"))
    for member_id in accepted.members:
        owner = members.get(member_id)
        if owner is None:
            violations.append(f"member {member_id}: accepted but not in community.members")
            continue
        for service, collection in MEMBER_PROJECTIONS:
            if service not in snapshot:
                continue
            projected = _by_id(db(service, collection)).get(member_id)
            if projected is None:
                violations.append(f"member {member_id}: missing from the {service}.{collection} projection")
            elif projected.get("status") != owner.get("status") or projected.get("_seq") != owner.get("version"):
                violations.append(
                    f"member {member_id}: {service}.{collection} holds status {projected.get('status')!r} "
                    f"at seq {projected.get('_seq')}, the owner {owner.get('status')!r} "
                    f"at version {owner.get('version')}"
                )

    # 3. Bookings: each accepted key is one booking, stored, settled, agreeing with spaces.
    bookings = _by_id(db("bookings", "bookings"))
    reservations = _by_id(db("spaces", "reservations"))
    for key, ids in accepted.bookings.items():
        if len(ids) != 1:
            violations.append(f"booking key {key}: answered with {len(ids)} different bookings {sorted(ids)}")
        for booking_id in ids:
            if booking_id not in bookings:
                violations.append(f"booking {booking_id} (key {key}): accepted but not in bookings.bookings")
    for booking_id in accepted.booking_cancels:
        cancelled = bookings.get(booking_id)
        if cancelled is None or cancelled.get("status") != "cancelled":
            stored = cancelled and cancelled.get("status")
            violations.append(f"booking {booking_id}: cancel accepted, stored as {stored!r}")
    for booking_id, doc in bookings.items():
        status = doc.get("status")
        if status == "pending":
            violations.append(f"booking {booking_id}: still pending after the run settled")
        request_id = doc.get("reservation_request_id")
        if not request_id or "spaces" not in snapshot:
            continue
        reservation = reservations.get(request_id)
        held = reservation is not None and reservation.get("status") == "confirmed"
        if status in {"confirmed", "checked_in"}:
            if not held:
                violations.append(
                    f"booking {booking_id}: confirmed, its reservation {request_id} is "
                    f"{reservation and reservation.get('status')!r}"
                )
            elif reservation is not None and reservation.get("space_id") != doc.get("space_id"):
                violations.append(
                    f"booking {booking_id}: space {doc.get('space_id')} ≠ reserved {reservation['space_id']}"
                )
        elif status in {"cancelled", "rejected"} and held:
            violations.append(f"booking {booking_id}: {status} but reservation {request_id} still confirmed")
    # Waitlist places: stored; a promoted one became exactly one booking; nobody waits beside a free seat.
    entries = _by_id(db("bookings", "waitlist"))
    for key, ids in accepted.waitlist.items():
        if len(ids) != 1:
            violations.append(f"waitlist key {key}: answered with {len(ids)} entries")
        violations += [f"waitlist entry {i}: accepted but not in bookings.waitlist" for i in ids if i not in entries]
    by_entry = {d["waitlist_entry_id"]: d for d in bookings.values() if d.get("waitlist_entry_id")}
    for entry_id, entry in entries.items():
        if entry.get("status") == "promoted" and entry_id not in by_entry and entry.get("booking_id") not in bookings:
            violations.append(f"waitlist entry {entry_id}: promoted, but no booking came of it")
    # One active booking per member and session; one booking per promoted waitlist entry.
    per_session = Counter(
        (d.get("member_id"), d.get("offering_id"), str(d.get("starts_at")))
        for d in bookings.values()
        if d.get("status") in ACTIVE_BOOKING
    )
    violations += [f"duplicate effect: {n} active bookings for {k}" for k, n in per_session.items() if n > 1]
    promoted = Counter(d["waitlist_entry_id"] for d in bookings.values() if d.get("waitlist_entry_id"))
    violations += [f"duplicate effect: waitlist entry {e} promoted {n} times" for e, n in promoted.items() if n > 1]

    # 4. Seats of each session: never oversold, and the counter agrees with the bookings.
    holders_of: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for doc in bookings.values():
        if doc.get("status") in HOLDING_SEAT:
            holders_of[(str(doc.get("offering_id")), _aware(doc["starts_at"]).isoformat())].append(doc)
    for session in db("bookings", "session_seats"):
        offering = str(session.get("offering_id"))
        seats = accepted.offering_seats.get(offering)
        taken = int(session.get("taken", 0))
        if seats is not None and taken > seats:
            violations.append(f"oversold: session {session['_id']} has {taken} seats taken of {seats}")
        starts = _aware(session["starts_at"]).isoformat() if session.get("starts_at") else ""
        holders = holders_of.get((offering, starts), [])
        if taken != sum(int(d.get("party_size", 1)) for d in holders):
            violations.append(
                f"seats: session {session['_id']} counts {taken} taken, {len(holders)} booking(s) hold a seat"
            )
        waiting_here = [
            e for e in entries.values() if e.get("session_key") == session["_id"] and e.get("status") == "waiting"
        ]
        if seats is not None and waiting_here and taken + int(waiting_here[0].get("party_size", 1)) <= seats:
            violations.append(
                f"promotion missed: session {session['_id']} has a free seat, {len(waiting_here)} waiting"
            )
    # Members' allowances (per-member limits, credits): never overdrawn, never negative, and
    # what they count is exactly what their bookings hold.
    for allowance in db("bookings", "allowances"):
        used, held = int(allowance.get("used", 0)), allowance.get("held", {})
        if used < 0:
            violations.append(f"allowance {allowance['_id']}: used {used} < 0")
        if "limit" in allowance and used > int(allowance["limit"]):
            violations.append(f"allowance {allowance['_id']}: used {used} over its limit {allowance['limit']}")
        if used != sum(int(amount) for amount in held.values()):
            violations.append(f"allowance {allowance['_id']}: used {used} ≠ held {held}")
    for (offering, starts), holders in holders_of.items():
        seats = accepted.offering_seats.get(offering)
        if seats is not None and sum(int(d.get("party_size", 1)) for d in holders) > seats:
            violations.append(f"oversold: {len(holders)} bookings hold {offering} at {starts} ({seats} seats)")

    # 5. Spaces: one calendar per space holds reservations and residencies (and office offers)
    # alike; no two holds overlap on it, so no space is double-held by a residency and a
    # reservation; every reservation hold is a confirmed reservation, every residency hold a
    # residency (or the residency an office offer would start).
    residencies = _by_id(db("spaces", "residencies"))
    offered = {
        str(entry["offer"]["residency_id"])
        for entry in db("spaces", "office_waitlist")
        if entry.get("status") == "offered" and entry.get("offer")
    }
    for calendar in db("spaces", "space_calendars"):
        holds = calendar_holds(calendar)
        for first, second in overlaps(holds):
            violations.append(f"overlap: space_calendars {calendar['_id']} holds {first} and {second} at once")
        for hold in holds:
            held_by = str(hold.get("reservation_id"))
            if hold.get("residency"):
                if held_by not in residencies and held_by not in offered:
                    violations.append(f"hold {held_by} on {calendar['_id']}: no residency or office offer")
                continue
            reservation = reservations.get(held_by)
            if reservation is None or reservation.get("status") != "confirmed":
                violations.append(f"hold {held_by} on {calendar['_id']}: no confirmed reservation")
    for key, ids in accepted.residencies.items():
        if len(ids) != 1:
            violations.append(f"residency key {key}: answered with {len(ids)} residencies")
        violations += [f"residency {i}: accepted but not in spaces.residencies" for i in ids if i not in residencies]

    # 6. Community: registrations stored, seats never oversold, nobody waiting beside a free seat.
    registrations = _by_id(db("community", "registrations"))
    for key, ids in accepted.registrations.items():
        if len(ids) != 1:
            violations.append(f"registration key {key}: answered with {len(ids)} registrations")
        violations += [
            f"registration {i}: accepted but not in community.registrations" for i in ids if i not in registrations
        ]
    for registration_id in accepted.registration_cancels:
        registration = registrations.get(registration_id)
        if registration is None or registration.get("status") != "cancelled":
            stored = registration and registration.get("status")
            violations.append(f"registration {registration_id}: cancel accepted, stored as {stored!r}")
    seated = {"confirmed", "checked_in"}
    confirmed = Counter(d.get("event_id") for d in registrations.values() if d.get("status") in seated)
    waiting = Counter(d.get("event_id") for d in registrations.values() if d.get("status") == "waitlisted")
    for event_id, capacity in accepted.event_capacity.items():
        if confirmed[event_id] > capacity:
            violations.append(f"oversold: event {event_id} has {confirmed[event_id]} confirmed of {capacity} seats")
        if waiting[event_id] and confirmed[event_id] < capacity:
            violations.append(
                f"promotion missed: event {event_id} has {capacity - confirmed[event_id]} free seat(s) "
                f"and {waiting[event_id]} waiting"
            )
    for seats_doc in db("community", "seats"):
        capacity = int(seats_doc.get("capacity", 0))
        seated_keys = seat_keys(seats_doc.get("seated"))
        if len(seated_keys) != len(set(seated_keys)):
            violations.append(f"duplicate effect: event {seats_doc['_id']} seats a key twice")
        if int(seats_doc.get("taken", 0)) > capacity:
            violations.append(f"oversold: event {seats_doc['_id']} counts {seats_doc.get('taken')} of {capacity}")
        if promoting := seat_keys(seats_doc.get("promoting")):
            violations.append(f"promotion unfinished: event {seats_doc['_id']} promoting {promoting}")
        event_id = str(seats_doc["_id"])
        if event_id in accepted.event_capacity and int(seats_doc.get("taken", 0)) != confirmed[event_id]:
            violations.append(
                f"seats: event {event_id} counts {seats_doc.get('taken')} taken, {confirmed[event_id]} confirmed"
            )
    return violations


def load_snapshot(mongodb_uri: str, databases: dict[str, str]) -> Snapshot:
    """Every collection of each service's database (they are small in a chaos run)."""
    from pymongo import MongoClient

    client: MongoClient[dict[str, Any]] = MongoClient(mongodb_uri, serverSelectionTimeoutMS=5000, tz_aware=True)
    try:
        snapshot: Snapshot = {}
        for service, name in databases.items():
            database = client[name]
            snapshot[service] = {c: list(database[c].find({})) for c in database.list_collection_names()}
        return snapshot
    finally:
        client.close()
