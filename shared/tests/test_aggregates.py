"""The aggregate store suite against the in-memory fake and against the real store (FerretDB/MongoDB)."""

from __future__ import annotations

import pytest

from parkgrid.aggregates import AggregateStore, InMemoryAggregateStore
from parkgrid.outbox import MongoAggregateStore
from parkgrid.store import Database
from parkgrid.testing.aggregate_contract import TOPIC, AggregateStoreContract, registry


class TestInMemoryAggregateStore(AggregateStoreContract):
    @pytest.fixture
    def store(self) -> AggregateStore:
        return InMemoryAggregateStore(registry=registry, source="sample", topic=TOPIC)


class TestMongoAggregateStore(AggregateStoreContract):
    @pytest.fixture
    def store(self, database: Database) -> AggregateStore:
        return MongoAggregateStore(database["counters"], registry=registry, source="sample", topic=TOPIC)
