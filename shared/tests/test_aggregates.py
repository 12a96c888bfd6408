"""The aggregate store suite against the in-memory fake and against the real store (FerretDB/MongoDB)."""

from __future__ import annotations

import pytest

from parkgrid.aggregates import AggregateStore, InMemoryAggregateStore
from parkgrid.outbox import AlreadyExists, MongoAggregateStore, VersionConflict
from parkgrid.store import Database
from parkgrid.testing.aggregate_contract import TOPIC, AggregateStoreContract, Counted, registry


class TestInMemoryAggregateStore(AggregateStoreContract):
    @pytest.fixture
    def store(self) -> AggregateStore:
        return InMemoryAggregateStore(registry=registry, source="sample", topic=TOPIC)


class TestMongoAggregateStore(AggregateStoreContract):
    @pytest.fixture
    def store(self, database: Database) -> AggregateStore:
        return MongoAggregateStore(database["counters"], registry=registry, source="sample", topic=TOPIC)

    async def test_every_write_is_told_to_written_done_or_not(self, database: Database) -> None:
        """`written`: what a process remembers of an aggregate it writes is forgotten by each write
        through the store, also one the guard refused (it may have missed a write by another)."""
        told: list[tuple[str, int]] = []
        store = MongoAggregateStore(
            database["told"],
            registry=registry,
            source="sample",
            topic=TOPIC,
            written=lambda aggregate_id, state: told.append((aggregate_id, state["count"])),
        )
        await store.create("c1", {"count": 0}, [])
        with pytest.raises(AlreadyExists):
            await store.create("c1", {"count": 1}, [])
        await store.update("c1", 1, {"count": 2}, [])
        with pytest.raises(VersionConflict):
            await store.update("c1", 1, {"count": 3}, [])
        assert told == [("c1", 0), ("c1", 1), ("c1", 2), ("c1", 3)]

    async def test_an_outbox_entry_is_three_values_whatever_its_event(self, database: Database) -> None:
        """The store pays for every value of a document on each command that touches it, so an
        entry keeps its envelope as one text (`Envelope.stored`), not as a document of 15-40."""
        store = MongoAggregateStore(database["counters"], registry=registry, source="sample", topic=TOPIC)
        await store.create("c1", {"count": 0}, [Counted(count=0)])
        await store.update("c1", 1, {"count": 1}, [Counted(count=1)])
        stored = await database["counters"].find_one({"_id": "c1"})
        assert stored is not None
        assert [sorted(entry) for entry in stored["outbox"]] == [["envelope", "id", "topic"]] * 2
        assert all(isinstance(entry["envelope"], str) for entry in stored["outbox"])
        assert [e["envelope"]["data"]["count"] for e in await store.outbox("c1")] == [0, 1]
