"""The relay claims this process's writes by id when notified, and sweeps for everything else."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka.structs import RecordMetadata
from kit_samples import COUNTERS, CounterIncremented, counter_store, increment
from pymongo import ReturnDocument

from parkgrid.envelope import Envelope
from parkgrid.kafka import EventPublisher, make_producer
from parkgrid.metrics import STORE_COMMANDS
from parkgrid.outbox import INSERT_LEASE, MongoAggregateStore, OutboxRelay, _written_here, readable
from parkgrid.store import Collection, Database
from parkgrid.testing.commands import store_commands
from parkgrid.testing.plugin import CreateTopics


async def _pending(collection: Collection, aggregate_id: str) -> bool:
    doc = await collection.find_one({"_id": aggregate_id})
    assert doc is not None
    return bool(doc["outbox_pending"])


async def _until_published(collection: Collection, aggregate_id: str, within: float) -> None:
    deadline = time.monotonic() + within
    while await _pending(collection, aggregate_id):
        assert time.monotonic() < deadline, f"{aggregate_id} not published within {within} s"
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def running_relay(store: MongoAggregateStore, kafka: str, prefix: str, owner: str) -> AsyncIterator[OutboxRelay]:
    """This process's relay of `store`, past its first sweep; the next one not within a test."""
    producer = make_producer(kafka, client_id=owner)
    await producer.start()
    relay = OutboxRelay([store.collection], EventPublisher(producer, prefix), owner=owner, sweep_interval=600.0)
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.sleep(0.5)
        yield relay
    finally:
        await relay.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await producer.stop()


async def test_notified_writes_are_published_by_id_and_others_by_the_sweep(
    database: Database, kafka_bootstrap: str, topic_prefix: str, create_topics: CreateTopics
) -> None:
    await create_topics([COUNTERS])
    store = counter_store(database["counters"])
    async with running_relay(store, kafka_bootstrap, topic_prefix, "hints-test") as relay:
        # Written as another process would: pending in the store, unknown to this process.
        entries = store._entries("counter-b", 1, [CounterIncremented(counter_id="counter-b", value=1)])
        await store.collection.insert_one(
            {"_id": "counter-b", "value": 1, "version": 1, "outbox": entries, "outbox_pending": True}
        )
        await increment(store, "counter-a")  # this process's write: hinted
        relay.notify()
        await _until_published(store.collection, "counter-a", within=20.0)
        assert await _pending(store.collection, "counter-b"), "published without a sweep: not by the hint path"
        assert relay.published_count == 1

        assert await relay.drain_once(sweep=True) == 1  # the sweep finds what no hint named
        assert not await _pending(store.collection, "counter-b")


def _find_and_modify_count() -> float:
    count: float = STORE_COMMANDS.labels("findAndModify")._value.get()
    return count


async def test_a_new_aggregate_is_leased_at_insert_and_published_without_a_claim(
    database: Database, kafka_bootstrap: str, topic_prefix: str, create_topics: CreateTopics
) -> None:
    """The one relay watching a collection gets each new document as written, leased to it:
    no `findAndModify` claims it, and the lease and the entries are gone once published."""
    await create_topics([COUNTERS])
    store = counter_store(database["counters"])
    async with running_relay(store, kafka_bootstrap, topic_prefix, "lease-test") as relay:
        claims = _find_and_modify_count()
        for n in range(5):
            await increment(store, f"counter-{n}")
        relay.notify()
        for n in range(5):
            await _until_published(store.collection, f"counter-{n}", within=20.0)
        assert relay.published_count == 5
        assert _find_and_modify_count() == claims, "a new aggregate was claimed by a round trip of its own"
        stored = await store.collection.find_one({"_id": "counter-0"})
        assert stored is not None
        assert stored["outbox"] == []
        assert "outbox_lease_owner" not in stored
        # Written again (an update appends): claimed as it is now, by a hint.
        await increment(store, "counter-0")
        relay.notify()
        await _until_published(store.collection, "counter-0", within=20.0)
        assert relay.published_count == 6


async def test_a_lease_taken_at_insert_by_a_relay_that_died_expires(
    database: Database, kafka_bootstrap: str, topic_prefix: str, create_topics: CreateTopics
) -> None:
    """A process that dies between its insert and its relay's publication leaves a lease of at most
    `INSERT_LEASE`: another relay's sweep publishes the entries once it has expired, not before."""
    await create_topics([COUNTERS])
    store = counter_store(database["counters"])
    collection = store.collection
    key = (collection.database.name, collection.name)
    _written_here.watch(key, "dead-relay", timedelta(seconds=1))  # a relay that never runs its pass
    try:
        await increment(store, "counter-orphan")
    finally:
        _written_here.unwatch(key, "dead-relay")
    stored = await collection.find_one({"_id": "counter-orphan"})
    assert stored is not None
    assert stored["outbox_lease_owner"] == "dead-relay"
    producer = make_producer(kafka_bootstrap, client_id="lease-expiry-test")
    await producer.start()
    try:
        survivor = OutboxRelay([collection], EventPublisher(producer, topic_prefix), owner="survivor")
        assert await survivor.drain_once(sweep=True) == 0, "claimed while another relay's lease held"
        await asyncio.sleep(1.2)
        assert await survivor.drain_once(sweep=True) == 1
        assert not await _pending(collection, "counter-orphan")
    finally:
        await producer.stop()


def test_only_a_collection_watched_by_one_relay_leases_at_insert() -> None:
    key = ("db", "leases")
    assert _written_here.lessee(key) is None
    _written_here.watch(key, "one", INSERT_LEASE)
    try:
        lessee = _written_here.lessee(key)
        assert lessee is not None
        assert lessee.owner == "one"
        _written_here.watch(key, "two", INSERT_LEASE)
        assert _written_here.lessee(key) is None, "two relays: neither may assume the other will not publish"
        _written_here.unwatch(key, "two")
    finally:
        _written_here.unwatch(key, "one")
    assert _written_here.lessee(key) is None


def _writes() -> float:
    count: float = sum(STORE_COMMANDS.labels(name)._value.get() for name in ("findAndModify", "update"))
    return count


async def test_an_update_is_leased_unless_another_relay_holds_the_document(
    database: Database, kafka_bootstrap: str, topic_prefix: str, create_topics: CreateTopics
) -> None:
    """An update with events takes the lease for this process's relay in its own write (two writes
    an update, its removal included, not three); a document another relay holds keeps that lease."""
    await create_topics([COUNTERS])
    store = counter_store(database["counters"])
    async with running_relay(store, kafka_bootstrap, topic_prefix, "update-lease-test") as relay:
        await increment(store, "counter-u")
        relay.notify()
        await _until_published(store.collection, "counter-u", within=20.0)
        writes = _writes()
        for _ in range(3):
            await increment(store, "counter-u")
            relay.notify()
            await _until_published(store.collection, "counter-u", within=20.0)
        assert relay.published_count == 4
        assert _writes() - writes == 6, "each update and its removal: no claim of its own"

        held = {"outbox_lease_owner": "another-relay", "outbox_lease_until": datetime.now(UTC) + timedelta(minutes=1)}
        await store.collection.update_one({"_id": "counter-u"}, {"$set": held})
        await increment(store, "counter-u")
        relay.notify()
        await asyncio.sleep(0.5)
        stored = await store.collection.find_one({"_id": "counter-u"})
        assert stored is not None
        assert stored["outbox_lease_owner"] == "another-relay", "a lease another relay holds was taken"
        assert stored["value"] == 5
        assert await _pending(store.collection, "counter-u")
        # Expired a second ago: a lease ending "now" could fall in the same millisecond (a BSON date's
        # precision) as the relay's own `now`, and `$lt` would not yet see it expired.
        expired = datetime.now(UTC) - timedelta(seconds=1)
        await store.collection.update_one({"_id": "counter-u"}, {"$set": {"outbox_lease_until": expired}})
        assert await relay.drain_once(sweep=True) == 1  # once it has expired
        assert not await _pending(store.collection, "counter-u")


async def test_published_outboxes_of_one_size_are_emptied_by_one_command_and_one_that_grew_keeps_its_rest(
    database: Database, kafka_bootstrap: str, topic_prefix: str, create_topics: CreateTopics
) -> None:
    await create_topics([COUNTERS])
    store = counter_store(database["counters"])
    for name in ("counter-x", "counter-y", "counter-z"):
        await increment(store, name)  # no relay watches: written pending, not leased
    producer = make_producer(kafka_bootstrap, client_id="removal-test")
    await producer.start()
    try:
        relay = OutboxRelay([store.collection], EventPublisher(producer, topic_prefix), owner="removal-test")
        # Claimed and read as the relay reads them; then counter-z grows before its removal.
        claimed: list[dict[str, Any]] = []
        for name in ("counter-x", "counter-y", "counter-z"):
            doc = await store.collection.find_one_and_update(
                {"_id": name}, {"$set": {"outbox_lease_owner": "removal-test"}}, return_document=ReturnDocument.AFTER
            )
            assert doc is not None, name
            claimed.append(doc)
        await increment(store, "counter-z")
        updates = STORE_COMMANDS.labels("update")._value.get()
        await relay._remove_published(store.collection, claimed)
        assert STORE_COMMANDS.labels("update")._value.get() - updates == 3, (
            "one for the batch, two for the one that grew"
        )
        for name in ("counter-x", "counter-y"):
            emptied = await store.collection.find_one({"_id": name})
            assert emptied is not None
            assert (emptied["outbox"], emptied["outbox_pending"]) == ([], False)
            assert "outbox_lease_owner" not in emptied
        grown = await store.collection.find_one({"_id": "counter-z"})
        assert grown is not None
        assert [e["envelope"]["sequence"] for e in readable(grown["outbox"])] == [2], "only what was published went"
        assert grown["outbox_pending"] is True
        assert "outbox_lease_owner" not in grown
    finally:
        await producer.stop()


async def test_an_update_while_its_entries_are_being_published_publishes_each_entry_once(
    database: Database, kafka_bootstrap: str, topic_prefix: str, create_topics: CreateTopics
) -> None:
    """The relay has taken a new document and is publishing it when an update appends to it: the
    update must not hand the relay a second copy of the entry in flight (published twice)."""
    await create_topics([COUNTERS])
    store = counter_store(database["counters"])
    collection = store.collection
    key = (collection.database.name, collection.name)
    producer = make_producer(kafka_bootstrap, client_id="in-flight-test")
    await producer.start()
    _written_here.watch(key, "in-flight", INSERT_LEASE)  # its relay runs pass by pass, below
    try:
        relay = OutboxRelay([collection], EventPublisher(producer, topic_prefix), owner="in-flight")
        await increment(store, "counter-f")
        _, in_flight = _written_here.take(key)  # the relay's pass has taken it: publishing...
        assert [doc["_id"] for doc in in_flight] == ["counter-f"]
        await increment(store, "counter-f")  # ...when an update appends to it
        await relay._remove_published(collection, in_flight)  # that pass ends: its entry goes
        assert await relay.drain_once(sweep=False) == 1, "the entry published by the pass before went out again"
        assert not await _pending(collection, "counter-f")
    finally:
        _written_here.unwatch(key, "in-flight")
        await producer.stop()


async def test_a_document_found_by_the_sweep_before_its_copy_was_handed_over_is_published_once(
    database: Database, kafka_bootstrap: str, topic_prefix: str, create_topics: CreateTopics
) -> None:
    """The sweep can find a new document before its insert has answered (and handed the relay its
    copy): the copy that arrives while that pass publishes is then not published again."""
    await create_topics([COUNTERS])
    store = counter_store(database["counters"])
    collection = store.collection
    key = (collection.database.name, collection.name)
    producer = make_producer(kafka_bootstrap, client_id="late-copy-test")
    await producer.start()
    _written_here.watch(key, "late-copy", INSERT_LEASE)
    try:
        relay = OutboxRelay([collection], EventPublisher(producer, topic_prefix), owner="late-copy")
        await increment(store, "counter-l")
        _, (copy,) = _written_here.take(key)  # not handed over yet: the insert has not answered
        publish = relay.publisher.publish_many

        async def handed_over_meanwhile(items: Iterable[tuple[str, Envelope]]) -> list[RecordMetadata]:
            _written_here.lease(key, copy)
            return await publish(items)

        relay.publisher.publish_many = handed_over_meanwhile  # type: ignore[method-assign]
        assert await relay.drain_once(sweep=True) == 1
        relay.publisher.publish_many = publish  # type: ignore[method-assign]
        assert await relay.drain_once(sweep=False) == 0, "the copy handed over late was published again"
        assert not await _pending(collection, "counter-l")
    finally:
        _written_here.unwatch(key, "late-copy")
        await producer.stop()


async def test_under_steady_writes_the_relay_sweeps_once_an_interval_not_on_every_pass(
    database: Database, kafka_bootstrap: str, topic_prefix: str, create_topics: CreateTopics
) -> None:
    """A pass that publishes what hints named goes on at once; only a sweep that filled its batch
    sweeps again at once. (Every pass after a sweep swept while writes kept coming: on FerretDB a
    sweep scans the whole collection.)"""
    await create_topics([COUNTERS])
    store = counter_store(database["counters"])
    producer = make_producer(kafka_bootstrap, client_id="steady")
    await producer.start()
    try:
        with store_commands() as commands:  # the relay's task is started inside: its commands too
            relay = OutboxRelay(
                [store.collection], EventPublisher(producer, topic_prefix), owner="steady", sweep_interval=0.5
            )
            task = asyncio.create_task(relay.run())
            began, written = time.monotonic(), 0
            while time.monotonic() - began < 2.5:
                await store.create(f"steady-{written}", {"value": 1}, [CounterIncremented(counter_id="s", value=1)])
                relay.notify()
                written += 1
                await asyncio.sleep(0.005)
            await _until_published(store.collection, f"steady-{written - 1}", within=10)
            await relay.stop()
            await task
    finally:
        await producer.stop()
    sweeps = commands.count("find counters")  # creates and the relay's claims and removals are no finds
    assert written > 50
    assert 2 <= sweeps <= 2.5 / 0.5 + 3, f"{sweeps} sweeps for {written} writes in 2.5 s"


async def test_a_relay_whose_sweeps_find_only_its_own_writes_sweeps_less_often_until_one_finds_another_s(
    database: Database, kafka_bootstrap: str, topic_prefix: str, create_topics: CreateTopics
) -> None:
    """`sweep_at_most`: sweeps that find nothing this process did not write double the wait for the
    next; another process's write is still published within it, and brings the pace back."""
    await create_topics([COUNTERS])
    store = counter_store(database["counters"])
    producer = make_producer(kafka_bootstrap, client_id="pace")
    await producer.start()
    try:
        with store_commands() as commands:
            relay = OutboxRelay(
                [store.collection],
                EventPublisher(producer, topic_prefix),
                owner="pace",
                sweep_interval=0.2,
                sweep_at_most=1.6,
            )
            task = asyncio.create_task(relay.run())
            await store.create("pace-own", {"value": 1}, [CounterIncremented(counter_id="pace-own", value=1)])
            relay.notify()
            await asyncio.sleep(3.0)
            alone = commands.count("find counters")
            entries = store._entries("pace-other", 1, [CounterIncremented(counter_id="pace-other", value=1)])
            await store.collection.insert_one(
                {"_id": "pace-other", "value": 1, "version": 1, "outbox": entries, "outbox_pending": True}
            )
            await _until_published(store.collection, "pace-other", within=1.6 + 1.0)
            found = commands.count("find counters")
            await asyncio.sleep(1.5)  # back at 0.2 s: sweeps about 0.2, 0.6 and 1.4 s after (at 1.6 s: one at most)
            after = commands.count("find counters") - found
            await relay.stop()
            await task
    finally:
        await producer.stop()
    assert not await _pending(store.collection, "pace-own")
    assert alone <= 6, f"{alone} sweeps in 3 s (every 0.2 s would be 15)"
    assert after >= 2, f"{after} sweeps in the 1.5 s after another process's write was found"
