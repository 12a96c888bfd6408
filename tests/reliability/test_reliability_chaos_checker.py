"""The chaos run's checker fails when an outbox write or a projection version guard is removed (shown once).

What is shown, with the kit's real code on the real store (a few seconds, so in `make test`):

- **Outbox write removed.** Members are written by `parkgrid.outbox.MongoAggregateStore` (the
  owner, community), published by the real `OutboxRelay` (to an in-memory publisher standing
  for Kafka) and applied by the real `Projection` (spaces' members projection). With the
  store as it is, the checker finds nothing. With a store whose writes drop the events (the
  outbox `$push` removed, the state change kept), the member the client was told about is in
  the owner's store but in no projection: the checker reports it. A relay that never ran
  (an outbox left undrained) is reported too.
- **Version guard removed.** The member's events arrive in order, then one is delivered again
  (what a consumer killed before its commit does). The kit's `Projection` ignores the late
  duplicate; a projection applying without the `_seq < sequence` filter goes back to the older
  state, and the checker reports that the projection disagrees with its owner.
- The capacity checks themselves: a session counter over its seats and two holds overlapping
  on one space, as a store without the conditional updates would leave them.

The same `check` runs at the end of `make chaos` (test_reliability_chaos.py) on the stores of
the four services.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from reliability_chaos_check import Accepted, Snapshot, check

from parkgrid.envelope import Envelope
from parkgrid.events import EventRegistry, IntegrationEvent
from parkgrid.outbox import Answer, MongoAggregateStore, OutboxRelay
from parkgrid.projection import SEQ_FIELD, Projection
from parkgrid.store import Database, Document

registry = EventRegistry()


@registry.register
class MemberChanged(IntegrationEvent):
    event_type: ClassVar[str] = "parkgrid.test.chaos_member.changed"
    member_id: str
    status: str


class MemoryPublisher:
    """Stands for the broker: keeps what the relay publishes, in order (EventPublisher's interface)."""

    topic_prefix = ""

    def __init__(self) -> None:
        self.published: list[Envelope] = []

    async def publish_many(self, items: Sequence[tuple[str, Envelope]]) -> None:
        self.published.extend(envelope for _, envelope in items)


class OutboxWriteRemoved(MongoAggregateStore):
    """The bug: the state change is written, its events are not pushed to the outbox."""

    async def create(
        self, aggregate_id: str, state: Document, events: Sequence[IntegrationEvent], *, answer: Answer | None = None
    ) -> int:
        return await super().create(aggregate_id, state, [], answer=answer)

    async def update(
        self, aggregate_id: str, expected_version: int, state: Document, events: Sequence[IntegrationEvent]
    ) -> int:
        return await super().update(aggregate_id, expected_version, state, [])


class GuardRemoved(Projection):
    """The bug: apply whatever arrives last, whatever its sequence."""

    async def apply(self, aggregate_id: str, sequence: int, fields: Document) -> bool:
        update = {"$set": {**fields, SEQ_FIELD: sequence}}
        await self.collection.update_one({"_id": aggregate_id}, update, upsert=True)
        return True


async def snapshot_of(database: Database) -> Snapshot:
    async def all_of(name: str) -> list[dict[str, Any]]:
        return await database[name].find({}).to_list(None)

    return {
        "community": {"members": await all_of("members")},
        "spaces": {"members": await all_of("spaces_members")},
    }


async def run_member_flow(
    database: Database,
    store_class: type[MongoAggregateStore],
    projection_class: type[Projection],
    *,
    relay: bool = True,
) -> list[str]:
    """Register a member and let it leave (owner), relay, project with one redelivery; the checker's verdict."""
    store = store_class(database["members"], registry=registry, source="community", topic="community.member")
    projection = projection_class(database["spaces_members"])
    member = "m-guard-1"
    await store.create(member, {"status": "active"}, [MemberChanged(member_id=member, status="active")])
    await store.update(member, 1, {"status": "left"}, [MemberChanged(member_id=member, status="left")])
    publisher = MemoryPublisher()
    if relay:
        await OutboxRelay([store.collection], publisher, owner="checker-test").drain_once()  # type: ignore[arg-type]
    deliveries = [*publisher.published, *publisher.published[:1]]  # the first event delivered again
    for envelope in deliveries:
        await projection.apply_event(envelope, {"status": envelope.data["status"]})
    accepted = Accepted(members={member: {"member_id": member}})
    snapshot = await snapshot_of(database)
    return check(snapshot, accepted)


async def test_the_kit_as_it_is_passes_the_checker(database: Database) -> None:
    assert await run_member_flow(database, MongoAggregateStore, Projection) == []


async def test_the_checker_fails_when_the_outbox_write_is_removed(database: Database) -> None:
    violations = await run_member_flow(database, OutboxWriteRemoved, Projection)
    assert violations == ["member m-guard-1: missing from the spaces.members projection"], violations


async def test_the_checker_fails_when_the_outbox_is_left_undrained(database: Database) -> None:
    violations = await run_member_flow(database, MongoAggregateStore, Projection, relay=False)
    assert "outbox: community.members m-guard-1 still holds 2 event(s)" in violations, violations
    assert "member m-guard-1: missing from the spaces.members projection" in violations, violations


async def test_the_checker_fails_when_the_version_guard_is_removed(database: Database) -> None:
    violations = await run_member_flow(database, MongoAggregateStore, GuardRemoved)
    assert violations == [
        "member m-guard-1: spaces.members holds status 'active' at seq 1, the owner 'left' at version 2"
    ], violations


def test_the_checker_fails_on_an_oversold_session_and_overlapping_holds() -> None:
    start = datetime(2026, 12, 1, 9, tzinfo=UTC)
    bookings = [
        {"_id": f"b{i}", "status": "confirmed", "offering_id": "o1", "starts_at": start, "member_id": f"m{i}"}
        for i in range(3)
    ]
    snapshot: Snapshot = {
        "bookings": {
            "bookings": bookings,
            "session_seats": [{"_id": "o1@s", "offering_id": "o1", "starts_at": start, "taken": 3}],
        },
        "spaces": {
            "reservations": [{"_id": r, "status": "confirmed", "space_id": "room"} for r in ("r1", "r2")],
            "space_calendars": [
                {
                    "_id": "room",
                    "holds": [
                        {"reservation_id": "r1", "starts_at": start, "ends_at": start + timedelta(hours=1)},
                        {"reservation_id": "r2", "starts_at": start + timedelta(minutes=30), "ends_at": start},
                    ],
                }
            ],
        },
    }
    snapshot["spaces"]["space_calendars"][0]["holds"][1]["ends_at"] = start + timedelta(hours=2)
    violations = check(snapshot, Accepted(offering_seats={"o1": 2}))
    assert "oversold: session o1@s has 3 seats taken of 2" in violations, violations
    assert "overlap: space_calendars room holds r1 and r2 at once" in violations, violations


def test_the_checker_fails_on_a_space_held_by_a_residency_and_a_reservation_at_once() -> None:
    start = datetime(2026, 12, 1, tzinfo=UTC)
    snapshot: Snapshot = {
        "spaces": {
            "reservations": [{"_id": "r1", "status": "confirmed", "space_id": "office"}],
            "residencies": [{"_id": "res1", "status": "active", "space_id": "office"}],
            "space_calendars": [
                {
                    "_id": "office",
                    "holds": [
                        {
                            "reservation_id": "res1",
                            "starts_at": start,
                            "ends_at": start + timedelta(days=30),
                            "residency": True,
                        },
                        {
                            "reservation_id": "r1",
                            "starts_at": start + timedelta(days=2),
                            "ends_at": start + timedelta(days=2, hours=1),
                        },
                        {
                            "reservation_id": "gone",
                            "starts_at": start + timedelta(days=40),
                            "ends_at": start + timedelta(days=41),
                            "residency": True,
                        },
                    ],
                }
            ],
        },
    }
    violations = check(snapshot, Accepted())
    assert "overlap: space_calendars office holds res1 and r1 at once" in violations, violations
    assert "hold gone on office: no residency or office offer" in violations, violations
    assert not [v for v in violations if "res1 on office" in v], violations


def test_the_checker_fails_on_an_overdrawn_or_miscounted_allowance() -> None:
    snapshot: Snapshot = {
        "bookings": {
            "allowances": [
                {"_id": "fine", "limit": 3, "used": 3, "held": {"b1": 1, "b2": 2}},
                {"_id": "over", "limit": 3, "used": 4, "held": {"b1": 2, "b2": 2}},
                {"_id": "negative", "limit": 3, "used": -1, "held": {}},
            ]
        }
    }
    violations = check(snapshot, Accepted())
    assert "allowance over: used 4 over its limit 3" in violations, violations
    assert "allowance negative: used -1 < 0" in violations, violations
    assert "allowance negative: used -1 ≠ held {}" in violations, violations
    assert not [v for v in violations if "allowance fine" in v], violations


def test_the_checker_reads_calendar_holds_stored_as_lines() -> None:
    """Spaces stores each hold as one line (`spaces.adapters.stores.hold_line`)."""
    start = datetime(2026, 12, 1, tzinfo=UTC)

    def line(holder: str, hours: tuple[int, int], residency: bool = False) -> str:
        starts, ends = (start + timedelta(hours=h) for h in hours)
        return f"{starts.isoformat()}|{ends.isoformat()}||{'r' if residency else ''}||{holder}"

    snapshot: Snapshot = {
        "spaces": {
            "reservations": [{"_id": "r1", "status": "confirmed", "space_id": "office"}],
            "residencies": [{"_id": "res1", "status": "active", "space_id": "office"}],
            "space_calendars": [
                {"_id": "office", "holds": [line("res1", (0, 720), True), line("r1", (50, 51)), line("r2", (800, 801))]}
            ],
        },
    }
    violations = check(snapshot, Accepted())
    assert "overlap: space_calendars office holds res1 and r1 at once" in violations, violations
    assert "hold r2 on office: no confirmed reservation" in violations, violations
    assert len(violations) == 2, violations


def test_the_checker_reads_seat_charts_stored_as_strings_or_arrays() -> None:
    """Community stores an event's keys as space-separated strings (`community.adapters.seats`)."""
    snapshot: Snapshot = {
        "community": {
            "seats": [
                {"_id": "e1", "capacity": 2, "taken": 2, "seated": "a:1 b:1", "queue": "c:1", "promoting": ""},
                {"_id": "e2", "capacity": 2, "taken": 2, "seated": "a:1 a:1", "queue": "", "promoting": "a:1"},
                {"_id": "e3", "capacity": 2, "taken": 1, "seated": ["a:1"], "queue": [], "promoting": []},
            ],
        },
    }
    violations = check(snapshot, Accepted())
    assert violations == [
        "duplicate effect: event e2 seats a key twice",
        "promotion unfinished: event e2 promoting ['a:1']",
    ], violations
