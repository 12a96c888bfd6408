"""One suite for every `AggregateStore`: the in-memory fake must behave as MongoDB's does.

Subclass `AggregateStoreContract` once per implementation with a `store` fixture (see
`shared/tests/test_aggregates.py`); the same tests then prove both. A service-layer test
written against the fake is only as good as this suite is strict.
"""

from __future__ import annotations

import asyncio

import pytest
from pydantic import Field

from parkgrid.aggregates import AggregateStore, Rule, change
from parkgrid.events import EventRegistry, IntegrationEvent
from parkgrid.outbox import AlreadyExists, VersionConflict
from parkgrid.refusals import Refusal, Refused, StaleVersion
from parkgrid.store import Document

registry = EventRegistry()
TOPIC = "sample.counter"


@registry.register
class Counted(IntegrationEvent):
    event_type = "parkgrid.sample.counter.counted"
    count: int


@registry.register
class Announce(IntegrationEvent):
    """A command to another service, keyed by what the receiver decides one at a time."""

    event_type = "parkgrid.sample.counter.announce"
    addressed_to = "sample.commands"
    site_id: str = Field(min_length=1)

    def partition_key(self, aggregate_id: str) -> str:
        return self.site_id


def _count(step: int = 1) -> Rule:
    def rule(doc: Document) -> tuple[Document, list[IntegrationEvent]]:
        count = int(doc["count"]) + step
        return {"count": count}, [Counted(count=count)]

    return rule


class AggregateStoreContract:
    """The behaviour every aggregate store shares. Subclasses provide the `store` fixture."""

    @pytest.fixture
    def store(self) -> AggregateStore:
        raise NotImplementedError

    async def test_a_new_aggregate_is_at_the_version_of_its_events(self, store: AggregateStore) -> None:
        assert await store.create("c1", {"count": 0}, [Counted(count=0)]) == 1
        doc = await store.get("c1")
        assert doc is not None
        assert (doc["_id"], doc["count"], doc["version"], doc["outbox_pending"]) == ("c1", 0, 1, True)
        assert "outbox" not in doc
        assert await store.create("c2", {"count": 0}, []) == 1

    async def test_an_id_is_created_once(self, store: AggregateStore) -> None:
        await store.create("c1", {"count": 0}, [])
        with pytest.raises(AlreadyExists):
            await store.create("c1", {"count": 5}, [])
        doc = await store.get("c1")
        assert doc is not None
        assert doc["count"] == 0

    async def test_creations_at_once_each_land_or_find_their_id_taken_alone(self, store: AggregateStore) -> None:
        """Twenty at once, ten ids twice each (the real store sends such a rush as one command,
        `parkgrid.store.Inserts`): each id is created once, by one of its two, with its state and
        events; the other alone is told it exists."""
        outcomes = await asyncio.gather(
            *(store.create(f"r{n % 10}", {"count": n}, [Counted(count=n)]) for n in range(20)),
            return_exceptions=True,
        )
        for n in range(10):
            first, second = outcomes[n], outcomes[n + 10]
            assert sorted([type(first).__name__, type(second).__name__]) == ["AlreadyExists", "int"], (first, second)
            doc = await store.get(f"r{n}")
            assert doc is not None
            created = n if first == 1 else n + 10
            assert (doc["count"], doc["version"]) == (created, 1)
            assert [e["envelope"]["data"]["count"] for e in await store.outbox(f"r{n}")] == [created]

    async def test_an_unknown_aggregate_reads_as_none(self, store: AggregateStore) -> None:
        assert await store.get("nobody") is None
        assert await store.outbox("nobody") == []

    async def test_an_update_at_the_version_read_appends_numbered_events(self, store: AggregateStore) -> None:
        await store.create("c1", {"count": 0}, [Counted(count=0)])
        assert await store.update("c1", 1, {"count": 2}, [Counted(count=1), Counted(count=2)]) == 3
        assert await store.update("c1", 3, {"count": 2, "note": "quiet"}, []) == 4
        doc = await store.get("c1")
        assert doc is not None
        assert (doc["count"], doc["note"], doc["version"]) == (2, "quiet", 4)
        entries = await store.outbox("c1")
        assert [e["envelope"]["sequence"] for e in entries] == [1, 2, 3]
        assert [e["envelope"]["data"]["count"] for e in entries] == [0, 1, 2]
        assert {e["topic"] for e in entries} == {TOPIC}
        assert {e["envelope"]["subject"] for e in entries} == {"c1"}

    async def test_a_stale_or_missing_version_writes_nothing(self, store: AggregateStore) -> None:
        await store.create("c1", {"count": 0}, [])
        await store.update("c1", 1, {"count": 1}, [Counted(count=1)])
        with pytest.raises(VersionConflict):
            await store.update("c1", 1, {"count": 9}, [Counted(count=9)])
        with pytest.raises(VersionConflict):
            await store.update("nobody", 1, {"count": 9}, [])
        doc = await store.get("c1")
        assert doc is not None
        assert (doc["count"], doc["version"]) == (1, 2)
        assert len(await store.outbox("c1")) == 1

    async def test_the_kit_fields_are_not_state(self, store: AggregateStore) -> None:
        with pytest.raises(ValueError, match="reserved"):
            await store.create("c1", {"version": 3}, [])
        await store.create("c1", {"count": 0}, [])
        with pytest.raises(ValueError, match="reserved"):
            await store.update("c1", 1, {"outbox": []}, [])

    async def test_an_aggregate_keeps_the_answer_to_the_command_that_created_it(self, store: AggregateStore) -> None:
        """Given its version by the insert, kept beside the state (never read with it) and through
        every later write; an aggregate created without one keeps none."""
        await store.create("c1", {"count": 0}, [Counted(count=0)], answer=lambda version: {"status": 201, "v": version})
        await store.create("c2", {"count": 0}, [])
        doc = await store.get("c1")
        assert doc is not None
        assert "kept_answer" not in doc
        await store.update("c1", 1, {"count": 1}, [Counted(count=1)])
        assert await store.kept_answer("c1") == {"status": 201, "v": 1}
        assert await store.kept_answer("c2") is None
        assert await store.kept_answer("nobody") is None
        with pytest.raises(ValueError, match="reserved"):
            await store.update("c1", 2, {"kept_answer": {}}, [])

    async def test_a_command_goes_to_its_topic_keyed_as_it_says(self, store: AggregateStore) -> None:
        await store.create("c1", {"count": 0}, [Counted(count=0), Announce(site_id="site-rabat")])
        fact, command = await store.outbox("c1")
        assert (fact["topic"], fact["envelope"]["subject"]) == (TOPIC, "c1")
        assert (command["topic"], command["envelope"]["subject"]) == ("sample.commands", "site-rabat")

    async def test_change_applies_the_rule_to_what_is_there(self, store: AggregateStore) -> None:
        await store.create("c1", {"count": 0}, [])
        doc, version = await change(store, "c1", _count(5))
        assert (doc["count"], version) == (5, 2)
        stored = await store.get("c1")
        assert stored is not None
        assert stored["count"] == 5

    async def test_concurrent_changes_all_land_through_the_retry(self, store: AggregateStore) -> None:
        await store.create("c1", {"count": 0}, [])
        await asyncio.gather(*(change(store, "c1", _count()) for _ in range(8)))
        doc = await store.get("c1")
        assert doc is not None
        assert doc["count"] == 8
        assert sorted(e["envelope"]["data"]["count"] for e in await store.outbox("c1")) == list(range(1, 9))

    async def test_change_with_an_old_if_match_is_stale(self, store: AggregateStore) -> None:
        await store.create("c1", {"count": 0}, [])
        await change(store, "c1", _count())
        with pytest.raises(StaleVersion) as stale:
            await change(store, "c1", _count(), expected_version=1)
        assert stale.value.kind == Refusal.STALE
        _, version = await change(store, "c1", _count(), expected_version=2)
        assert version == 3

    async def test_change_decides_on_a_known_document_and_reads_only_when_it_proves_stale(
        self, store: AggregateStore
    ) -> None:
        """`known`: the document as this process last wrote it saves the read when it is current;
        a stale one is refused by the version guard and the aggregate read and decided again; a
        rule that wants no write on it, or an If-Match it does not meet, reads too."""
        await store.create("c1", {"count": 0}, [])
        reads = 0
        get = store.get

        async def counted(aggregate_id: str) -> Document | None:
            nonlocal reads
            reads += 1
            return await get(aggregate_id)

        store.get = counted  # type: ignore[method-assign]
        known = {"_id": "c1", "count": 0, "version": 1}
        doc, version = await change(store, "c1", _count(5), known=known)
        assert (doc["count"], version, reads) == (5, 2, 0)
        doc, version = await change(store, "c1", _count(), known=known)  # stale: at version 2 now
        assert (doc["count"], version, reads) == (6, 3, 1)
        doc, version = await change(store, "c1", lambda d: None if d["count"] == 0 else _count()(d), known=known)
        assert (doc["count"], version, reads) == (7, 4, 2)  # nothing to do on the known one: read, then done
        with pytest.raises(StaleVersion):
            await change(store, "c1", _count(), known={**known, "version": 4}, expected_version=3)
        assert reads == 3
        stored = await get("c1")
        assert stored is not None
        assert (stored["count"], stored["version"]) == (7, 4)

    async def test_change_of_nothing_is_not_found_and_a_rule_may_refuse_or_pass(self, store: AggregateStore) -> None:
        with pytest.raises(Refused) as missing:
            await change(store, "nobody", _count(), what="counter")
        assert (missing.value.kind, missing.value.detail) == (Refusal.NOT_FOUND, "there is no counter nobody")
        await store.create("c1", {"count": 0}, [])

        def full(doc: Document) -> None:
            raise Refused.conflict("the counter is full")

        with pytest.raises(Refused, match="full"):
            await change(store, "c1", full)
        doc, version = await change(store, "c1", lambda doc: None)
        assert (doc["count"], version) == (0, 1)
        assert await store.outbox("c1") == []
