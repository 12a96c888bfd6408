"""A tiny aggregate (a counter) used by the kit's own integration tests.

It exercises the real outbox, relay, consumer runner and projection guard the way a
service does, without depending on any service.
"""

from __future__ import annotations

from parkgrid.consumer import Delivery
from parkgrid.events import EventRegistry, IntegrationEvent
from parkgrid.outbox import AlreadyExists, MongoAggregateStore, VersionConflict
from parkgrid.projection import Projection
from parkgrid.store import Collection
from parkgrid.topics import TopicSpec

registry = EventRegistry()
COUNTERS = TopicSpec(name="kittest.counter", partitions=3)


@registry.register
class CounterIncremented(IntegrationEvent):
    event_type = "parkgrid.kittest.counter.incremented"
    version = 1
    counter_id: str
    value: int


def counter_store(collection: Collection) -> MongoAggregateStore:
    return MongoAggregateStore(collection, registry=registry, source="kittest", topic=COUNTERS.name)


async def increment(store: MongoAggregateStore, counter_id: str) -> int:
    """Add one to a counter (creating it at 1), retrying on a concurrent write."""
    while True:
        doc = await store.get(counter_id)
        if doc is None:
            try:
                await store.create(counter_id, {"value": 1}, [CounterIncremented(counter_id=counter_id, value=1)])
                return 1
            except AlreadyExists:
                continue
        value: int = doc["value"] + 1
        try:
            await store.update(
                counter_id, doc["version"], {"value": value}, [CounterIncremented(counter_id=counter_id, value=value)]
            )
            return value
        except VersionConflict:
            continue


async def project(projection: Projection, delivery: Delivery) -> None:
    event = delivery.event
    assert isinstance(event, CounterIncremented)
    await projection.apply_event(delivery.envelope, {"value": event.value})
