"""Community's service layer on the in-memory aggregate store: no broker, no store, milliseconds.

`Events` talks to a plain `AggregateStore` and a `Seating`, so the event lifecycle and its
venue saga, the version guard and the refusals are driven here as the API drives them.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from community_examples import event as workshop

from community.adapters.seats import Occupancy
from community.domain.events import CommunityEvent
from community.service_layer.events import Events
from parkgrid.aggregates import InMemoryAggregateStore
from parkgrid.contracts.common import Eligibility, SpaceRequirement, TimeRange
from parkgrid.contracts.community import CommunityEventStatus
from parkgrid.contracts.spaces import ReservationConfirmed, ReservationRefused, ReservationStatus
from parkgrid.events import registry
from parkgrid.refusals import Refusal, Refused, StaleVersion

STARTS = datetime(2027, 1, 12, 9, tzinfo=UTC)
TIME = TimeRange(starts_at=STARTS, ends_at=STARTS + timedelta(hours=2))
HALL = SpaceRequirement(kind="event_hall", seats=40)


class FakeSeating:
    """Seats as counts per event; `closed` records what was closed."""

    def __init__(self) -> None:
        self.capacity: dict[str, int] = {}
        self.taken: dict[str, int] = {}
        self.closed: set[str] = set()
        self.starts: dict[str, datetime] = {}

    async def open(self, event_id: str, capacity: int, starts_at: datetime) -> None:
        self.capacity.setdefault(event_id, capacity)
        self.starts.setdefault(event_id, starts_at)

    async def retime(self, event_id: str, starts_at: datetime, was: datetime | None = None) -> bool:
        if was is not None and self.starts.get(event_id) != was:
            return False
        self.starts[event_id] = starts_at
        return True

    async def resize(self, event_id: str, capacity: int) -> int | None:
        taken = self.taken.get(event_id, 0)
        if taken > capacity:
            return taken
        self.capacity[event_id] = capacity
        return None

    async def close(self, event_id: str) -> None:
        self.closed.add(event_id)

    async def occupancy(self, event_id: str) -> Occupancy | None:
        if event_id not in self.capacity:
            return None
        taken = self.taken.get(event_id, 0)
        return Occupancy(self.capacity[event_id], taken, 0, [], [], event_id in self.closed)


@pytest.fixture
def store() -> InMemoryAggregateStore:
    return InMemoryAggregateStore(registry=registry, source="community", topic="community.event")


@pytest.fixture
def seating() -> FakeSeating:
    return FakeSeating()


@pytest.fixture
def events(store: InMemoryAggregateStore, seating: FakeSeating) -> Events:
    return Events(store, seating)


def draft(event_id: str = "cevt-1", venue: SpaceRequirement | None = None) -> CommunityEvent:
    return workshop(event_id=event_id, time=TIME, capacity=40, audience=Eligibility(), venue_requirement=venue)


async def published_types(store: InMemoryAggregateStore, event_id: str) -> list[tuple[str, str]]:
    return [(e["topic"], e["envelope"]["type"].rsplit(".", 1)[-1]) for e in await store.outbox(event_id)]


async def test_a_draft_without_venue_is_published_at_once_with_its_seat_counts(
    events: Events, store: InMemoryAggregateStore, seating: FakeSeating
) -> None:
    _, version, created = await events.schedule(draft())
    assert created
    assert version == 1
    assert seating.capacity == {"cevt-1": 40}
    assert (await events.schedule(draft()))[2] is False  # the same id again: the existing one

    seating.taken["cevt-1"] = 3
    event, version = await events.publish("cevt-1")
    assert event.status == CommunityEventStatus.PUBLISHED
    assert event.registered == 3
    assert version == 2
    assert await events.publish("cevt-1") == (event, 2)  # twice changes nothing
    assert await published_types(store, "cevt-1") == [
        ("community.event", "scheduled"),
        ("community.event", "published"),
    ]


async def test_the_venue_saga_asks_spaces_then_publishes_on_its_answer(
    events: Events, store: InMemoryAggregateStore
) -> None:
    await events.schedule(draft(venue=HALL))
    waiting, _ = await events.publish("cevt-1")
    assert waiting.status == CommunityEventStatus.VENUE_PENDING
    assert waiting.venue_request_id == "cevt-1.venue.1"
    assert (await published_types(store, "cevt-1"))[-1] == ("spaces.commands", "requested")

    answer = dict(
        reservation_id="res-1",
        request_id="cevt-1.venue.1",
        requested_by="community",
        reference_id="cevt-1",
        site_id="site-rabat",
        requirement=HALL,
        time=TIME,
    )
    confirmed = ReservationConfirmed(**answer, status=ReservationStatus.CONFIRMED, space_id="sp-1", space_name="Hall")
    await events.on_reservation(confirmed)
    await events.on_reservation(confirmed)  # a duplicate delivery changes nothing
    event, version = await events.get("cevt-1")
    assert event.status == CommunityEventStatus.PUBLISHED
    assert event.venue is not None
    assert event.venue.space_name == "Hall"
    assert version == 3

    stale = ReservationRefused(**answer, status=ReservationStatus.REFUSED, reason="no_space_fits", detail="full")
    await events.on_reservation(stale)  # an answer the event no longer waits for
    assert (await events.get("cevt-1"))[0].status == CommunityEventStatus.PUBLISHED


async def test_a_stale_if_match_is_412_on_if_match_and_races_are_retried(events: Events) -> None:
    await events.schedule(draft())
    with pytest.raises(StaleVersion) as stale:
        await events.publish("cevt-1", expected_version=7)
    assert stale.value.kind == Refusal.STALE
    assert stale.value.field == "If-Match"
    assert "is at version 1, not 7" in stale.value.detail

    later = TimeRange(starts_at=TIME.starts_at + timedelta(days=1), ends_at=TIME.ends_at + timedelta(days=1))
    await asyncio.gather(events.reschedule("cevt-1", later), events.publish("cevt-1"))
    event, version = await events.get("cevt-1")
    assert event.time == later
    assert event.status == CommunityEventStatus.PUBLISHED
    assert version == 3


async def test_refusals_say_their_kind(events: Events, seating: FakeSeating) -> None:
    with pytest.raises(Refused) as unknown:
        await events.get("cevt-none")
    assert unknown.value.kind == Refusal.NOT_FOUND
    assert unknown.value.detail == "there is no event cevt-none"

    await events.schedule(draft())
    cancelled, _ = await events.cancel("cevt-1", "speaker ill")
    assert cancelled.status == CommunityEventStatus.CANCELLED
    assert "cevt-1" in seating.closed
    with pytest.raises(Refused) as wrong:
        await events.publish("cevt-1")
    assert wrong.value.kind == Refusal.CONFLICT
    assert wrong.value.detail == "a cancelled event cannot be published"


def test_the_read_models_answer_every_field_the_aggregates_have() -> None:
    """A response model filters what it does not declare: a field added to an aggregate must be added here too."""
    from community.domain.members import Member
    from community.domain.registrations import Registration
    from parkgrid.api.community import EventRead, MemberRead, RegistrationRead

    assert set(Member.model_fields) - {"keys"} | {"version"} == set(MemberRead.model_fields)  # keys: never read
    assert set(CommunityEvent.model_fields) - {"requests_made"} | {"version", "local_time"} == set(
        EventRead.model_fields
    )
    internal = {"placing", "round", "arrival"}
    assert set(Registration.model_fields) - internal | {"version"} == set(RegistrationRead.model_fields)
