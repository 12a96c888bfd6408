"""The embedded outbox: a command's state change and its events in one atomic write.

FerretDB has no multi-document transactions, so an aggregate document carries its own
unpublished events in an `outbox` array. A command updates the aggregate with a
version guard and pushes its events in the same single-document update; the relay
then publishes them (idempotent producer, acks=all) and removes them. A crash between
publish and removal publishes again, which consumers absorb through the projection
version guard.

An aggregate written in a process whose relay watches its collection is written already
leased to that relay (for `INSERT_LEASE` at most), and the relay publishes it from the
document as written: the claim a `findAndModify` would make costs no round trip of its own.
An insert takes the lease as it creates the document; an update takes it only if no other
relay holds one, and returns the outbox as it is then. A crash before it is published leaves
a lease that expires within seconds.

The relay measures what an operator watches (`parkgrid.metrics`): each batch's publish
latency, the events published by type, and, every few seconds, the backlog and the age of
the oldest waiting event. Its publish spans continue each event's trace (`parkgrid.telemetry`).

An entry is `{id, topic, envelope}`, the envelope as one JSON text (`Envelope.stored`): the
store decodes and encodes every value of a document on each command that touches it, and an
envelope as a document was 15-40 of them. Entries written as documents before are still read;
a relay of an older version cannot read the text, so older replicas are stopped before newer
ones start.

Fields the kit reserves on an aggregate document: `_id`, `version`, `outbox`,
`outbox_pending`, `outbox_lease_owner`, `outbox_lease_until`, and `kept_answer` (the answer to
the command that created it, `parkgrid.http.idempotency`; never read with the state).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError, PyMongoError

from parkgrid.envelope import Envelope
from parkgrid.events import EventRegistry, IntegrationEvent
from parkgrid.kafka import EventPublisher
from parkgrid.logging import get_logger
from parkgrid.metrics import OUTBOX_BACKLOG, OUTBOX_OLDEST_AGE, PUBLISHED, RELAY_PUBLISH_SECONDS
from parkgrid.store import Collection, Document, Inserts, create_index
from parkgrid.telemetry import publishing_span

log = get_logger(__name__)

INSERT_LEASE = timedelta(seconds=5)
"""The longest a lease taken with an insert lasts (shorter if the relay's own lease is): the
relay publishes within milliseconds, and a process that dies first delays its entries only this
long before another relay claims them."""

RESERVED_FIELDS = frozenset(
    {"_id", "version", "outbox", "outbox_pending", "outbox_lease_owner", "outbox_lease_until", "kept_answer"}
)
_NOT_STATE = {"outbox": 0, "kept_answer": 0}
_LEASE = {"outbox_lease_owner": "", "outbox_lease_until": ""}

Answer = Callable[[int], Document]
"""The answer to the command that creates an aggregate, given the version it is created at:
kept with it by the same insert (`parkgrid.http.idempotency`: a repeat of the command gets it)."""


class VersionConflict(Exception):
    """The aggregate changed since it was read (or does not exist): reload and retry, or 409/412."""


class AlreadyExists(Exception):
    """An aggregate with this id exists already."""


class MongoAggregateStore:
    """Version-guarded reads and writes of one kind of aggregate, with its events, in MongoDB.

    The store the services run on; `parkgrid.aggregates.InMemoryAggregateStore` is its fake,
    and `parkgrid.testing.aggregate_contract` the one suite both pass.
    """

    def __init__(
        self,
        collection: Collection,
        *,
        registry: EventRegistry,
        source: str,
        topic: str,
        written: Callable[[str, Document], None] | None = None,
    ) -> None:
        self.collection = collection
        self.inserts = Inserts(collection)
        """New aggregates asked for at once go together (a group commit: `parkgrid.store.Inserts`)."""
        self.registry = registry
        self.source = source
        self.topic = topic
        self.written = written
        """Told of every write through this store (create, update), done or not, with the aggregate
        and the state written: what the process remembers of it (`parkgrid.known.Lately`) goes."""

    async def ensure_indexes(self) -> None:
        await create_index(self.collection, [("outbox_pending", ASCENDING)], name="outbox_pending")

    async def get(self, aggregate_id: str) -> Document | None:
        return await self.collection.find_one({"_id": aggregate_id}, _NOT_STATE)

    async def kept_answer(self, aggregate_id: str) -> Document | None:
        doc = await self.collection.find_one({"_id": aggregate_id}, {"kept_answer": 1})
        return None if doc is None else doc.get("kept_answer")

    async def outbox(self, aggregate_id: str) -> list[Document]:
        """The aggregate's entries not yet published (a test's view of what it will say)."""
        doc = await self.collection.find_one({"_id": aggregate_id}, {"outbox": 1})
        return readable(doc.get("outbox", [])) if doc else []

    def _entries(self, aggregate_id: str, first_sequence: int, events: Sequence[IntegrationEvent]) -> list[Document]:
        return outbox_entries(self.registry, self.source, self.topic, aggregate_id, first_sequence, events)

    async def create(
        self, aggregate_id: str, state: Document, events: Sequence[IntegrationEvent], *, answer: Answer | None = None
    ) -> int:
        """Insert a new aggregate at version len(events); each event gets its own sequence, and
        `answer`, if given, is kept with it (`kept_answer`)."""
        try:
            return await self._create(aggregate_id, state, events, answer)
        finally:
            if self.written is not None:
                self.written(aggregate_id, state)

    async def update(
        self, aggregate_id: str, expected_version: int, state: Document, events: Sequence[IntegrationEvent]
    ) -> int:
        """Replace the aggregate's state if still at `expected_version`, appending its events."""
        try:
            return await self._update(aggregate_id, expected_version, state, events)
        finally:
            if self.written is not None:
                self.written(aggregate_id, state)

    async def _create(
        self, aggregate_id: str, state: Document, events: Sequence[IntegrationEvent], answer: Answer | None
    ) -> int:
        check_state(state)
        version = max(len(events), 1)
        doc = {
            **state,
            "_id": aggregate_id,
            "version": version,
            "outbox": self._entries(aggregate_id, version - len(events) + 1, events),
            "outbox_pending": bool(events),
        }
        if answer is not None:
            doc["kept_answer"] = answer(version)
        key = _key(self.collection)
        lessee = _written_here.lessee(key) if events else None
        if lessee is not None:
            doc["outbox_lease_owner"] = lessee.owner
            doc["outbox_lease_until"] = datetime.now(UTC) + lessee.insert_lease
        try:
            await self.inserts.insert(doc)
        except DuplicateKeyError:
            raise AlreadyExists(aggregate_id) from None
        if lessee is not None:
            # All the relay reads of a leased document. The entries hold only strings (the
            # envelope as text), so they are as a read would return them, and the removal's
            # `$pullAll` matches them exactly.
            _written_here.lease(key, {"_id": aggregate_id, "outbox": doc["outbox"]})
        elif events:
            _written_here.add(key, aggregate_id)
        return version

    async def _update(
        self, aggregate_id: str, expected_version: int, state: Document, events: Sequence[IntegrationEvent]
    ) -> int:
        check_state(state)
        version = expected_version + max(len(events), 1)
        update: dict[str, Any] = {"$set": {**state, "version": version}}
        if events:
            update["$set"]["outbox_pending"] = True
            update["$push"] = {"outbox": {"$each": self._entries(aggregate_id, expected_version + 1, events)}}
            if await self._update_leased(aggregate_id, expected_version, update):
                return version
        result = await self.collection.update_one({"_id": aggregate_id, "version": expected_version}, update)
        if result.matched_count != 1:
            raise VersionConflict(f"{aggregate_id} is not at version {expected_version}")
        if events:
            _written_here.add(_key(self.collection), aggregate_id)
        return version

    async def _update_leased(self, aggregate_id: str, expected_version: int, update: dict[str, Any]) -> bool:
        """The update, taking the lease for this process's relay in the same write, as an insert does.

        Only a document with nothing left to publish is leased this way (the filter says so: an
        empty outbox, and no other relay's lease), so the outbox the write returns holds exactly
        this update's entries, and the relay publishes from that. An outbox with entries may be
        being published right now (by this relay too): a copy of it would publish them twice. So
        then, as when the version moved, nothing matches, and False: the caller writes as without
        a relay, and the relay claims the document by its hint once the entries before are gone."""
        key = _key(self.collection)
        lessee = _written_here.lessee(key)
        if lessee is None:
            return False
        now = datetime.now(UTC)
        leased = {
            "$set": {
                **update["$set"],
                "outbox_lease_owner": lessee.owner,
                "outbox_lease_until": now + lessee.insert_lease,
            },
            "$push": update["$push"],
        }
        doc = await self.collection.find_one_and_update(
            {
                "_id": aggregate_id,
                "version": expected_version,
                "outbox": {"$size": 0},
                "$or": unleased_or_held_by(lessee.owner, now),
            },
            leased,
            return_document=ReturnDocument.AFTER,  # whole: FerretDB 1.24 has no findAndModify projection
        )
        if doc is None:
            return False
        _written_here.lease(key, doc)
        return True


def unleased_or_held_by(owner: str, now: datetime) -> list[Document]:
    """The `$or` a lease is taken under: no relay holds the document, its lease has expired, or
    `owner` holds it already."""
    return [
        {"outbox_lease_until": None},
        {"outbox_lease_until": {"$lt": now}},
        {"outbox_lease_owner": owner},
    ]


def outbox_entries(
    registry: EventRegistry,
    source: str,
    topic: str,
    aggregate_id: str,
    first_sequence: int,
    events: Sequence[IntegrationEvent],
) -> list[Document]:
    """Outbox entries: facts to the aggregate's `topic`, commands to the topic they are addressed to,
    each keyed as the event declares (`IntegrationEvent.partition_key`), numbered from `first_sequence`."""
    entries = []
    for offset, event in enumerate(events):
        envelope = registry.envelope(
            event, source=source, subject=event.partition_key(aggregate_id), sequence=first_sequence + offset
        )
        entries.append({"id": envelope.id, "topic": event.addressed_to or topic, "envelope": envelope.stored()})
    return entries


def readable(entries: Sequence[Document]) -> list[Document]:
    """Outbox entries with each envelope as a document (`Envelope.to_document`), whatever form
    it is stored in: what a test reads of what an aggregate will say."""
    return [{**entry, "envelope": Envelope.from_stored(entry["envelope"]).to_document()} for entry in entries]


def check_state(state: Document) -> None:
    clash = RESERVED_FIELDS.intersection(state)
    if clash:
        raise ValueError(f"aggregate state may not set reserved fields {sorted(clash)}")


def default_owner(service: str) -> str:
    return f"{service}@{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class _Lessee:
    owner: str
    insert_lease: timedelta


class _WrittenHere:
    """Aggregates this process wrote with events since its relay last looked: a hint, never the truth.

    Searching every outbox collection for `outbox_pending` on each write cost a query per
    collection per write, and FerretDB answers it by scanning the collection: it was most of
    the store's work in a saga. With the ids at hand the relay claims them directly; its
    periodic sweep still finds whatever a hint missed (another process's writes, a crash).
    Only collections a running relay watches are recorded, so nothing grows without a reader.

    A collection watched by exactly one relay in this process also takes leases at insert: the
    new document is handed to that relay as written (`lease`), already claimed for it. With two
    relays watching, neither could be sure the other would not publish it, so only hints are kept.
    """

    def __init__(self) -> None:
        self._ids: dict[tuple[str, str], set[str]] = {}
        self._leased: dict[tuple[str, str], dict[str, Document]] = {}
        self._watchers: dict[tuple[str, str], list[_Lessee]] = {}

    def watch(self, key: tuple[str, str], owner: str, insert_lease: timedelta) -> None:
        self._watchers.setdefault(key, []).append(_Lessee(owner, insert_lease))
        self._ids.setdefault(key, set())
        self._leased.setdefault(key, {})

    def unwatch(self, key: tuple[str, str], owner: str) -> None:
        watchers = self._watchers[key]
        watchers.remove(next(w for w in watchers if w.owner == owner))
        if not watchers:
            del self._watchers[key]
            self._ids.pop(key, None)
            self._leased.pop(key, None)

    def lessee(self, key: tuple[str, str]) -> _Lessee | None:
        """The relay a new document of this collection is leased to at insert, if there is one."""
        watchers = self._watchers.get(key)
        return watchers[0] if watchers is not None and len(watchers) == 1 else None

    def add(self, key: tuple[str, str], aggregate_id: str) -> None:
        ids = self._ids.get(key)
        if ids is not None:
            ids.add(aggregate_id)

    def lease(self, key: tuple[str, str], doc: Document) -> None:
        leased = self._leased.get(key)
        if leased is not None:
            leased[doc["_id"]] = doc
        else:  # the relay stopped meanwhile: its successor's sweep finds it once the lease expires
            self.add(key, doc["_id"])

    def published(self, key: tuple[str, str], entry_ids: set[str]) -> None:
        """Forget a document handed over after the relay had already claimed it by a search (its
        insert answered after the sweep found it): nothing in it is left to publish."""
        leased = self._leased.get(key)
        if not leased:
            return
        for aggregate_id, doc in list(leased.items()):
            if {entry["id"] for entry in doc.get("outbox", [])} <= entry_ids:
                del leased[aggregate_id]

    def named(self, key: tuple[str, str]) -> set[str]:
        """The ids written here since the relay last took them (hinted or leased), not taken."""
        return {*self._ids.get(key, ()), *self._leased.get(key, {})}

    def take(self, key: tuple[str, str]) -> tuple[list[str], list[Document]]:
        """The ids to claim, and the documents already leased (none of them among the ids: a
        document also named by a hint was written again since, and is claimed as it is now)."""
        ids = self._ids.get(key)
        leased = self._leased.get(key)
        taken = list(ids) if ids else []
        if ids:
            ids.clear()
        if not leased:
            return taken, []
        named = set(taken)
        docs = [doc for aggregate_id, doc in leased.items() if aggregate_id not in named]
        leased.clear()
        return taken, docs


_written_here = _WrittenHere()


def _key(collection: Collection) -> tuple[str, str]:
    return (collection.database.name, collection.name)


class OutboxRelay:
    """Publishes and removes outbox entries; safe with many relays on the same documents.

    A relay leases a document before publishing its entries, so two relays never work
    on the same aggregate at once, and a relay that dies mid-way leaves a lease that
    expires. Writes of this process are claimed by id as soon as `notify` wakes the relay;
    every `sweep_interval` seconds it also searches for pending documents, which is how
    whatever a crash or another process left behind is found.
    """

    def __init__(
        self,
        collections: Sequence[Collection],
        publisher: EventPublisher,
        *,
        owner: str,
        lease: timedelta = timedelta(seconds=30),
        batch_size: int = 100,
        sweep_interval: float = 1.0,
        sweep_at_most: float | None = None,
        backlog_interval: float = 5.0,
    ) -> None:
        self.collections = list(collections)
        self.publisher = publisher
        self.owner = owner
        self.service = owner.partition("@")[0]
        self.backlog_interval = backlog_interval
        self._publish_seconds = RELAY_PUBLISH_SECONDS.labels(self.service)
        self.lease = lease
        self.batch_size = batch_size
        self.sweep_interval = sweep_interval
        self.sweep_at_most = max(sweep_interval, sweep_at_most or sweep_interval)
        """A sweep that finds nothing this process did not write doubles the wait for the next, up
        to this: a relay whose process names its writes by hints sweeps only for what others (or a
        crash) left, and on FerretDB each sweep scans the whole collection. One that finds any sweeps
        at `sweep_interval` again. A relay without writers of its own (`serve_relay`) keeps its pace."""
        self._found_foreign = False
        self._swept_full = False
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self.published_count = 0

    def notify(self) -> None:
        """Tell the relay a write just added events, so it need not wait for its next sweep."""
        self._wake.set()

    async def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        keys = [_key(c) for c in self.collections]
        for key in keys:
            _written_here.watch(key, self.owner, min(self.lease, INSERT_LEASE))
        measuring = asyncio.create_task(self._measure_backlog_every(), name="outbox-backlog")
        try:
            await self._run()
        finally:
            measuring.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await measuring
            for key in keys:
                _written_here.unwatch(key, self.owner)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        failures = 0
        sweep = True
        last_sweep = loop.time()
        every = self.sweep_interval
        while not self._stopping.is_set():
            try:
                published = await self.drain_once(sweep=sweep)
                failures = 0
            except Exception as exc:  # store or broker away: keep the entries, try again
                failures += 1
                log.warning("outbox.relay_failed", owner=self.owner, error=repr(exc), attempt=failures)
                await self._idle(min(10.0, 0.2 * 2**failures))
                sweep = True  # the hints taken by the failed pass are found again by searching
                every = self.sweep_interval
                continue
            if sweep:
                last_sweep = loop.time()
                every = self.sweep_interval if self._found_foreign else min(self.sweep_at_most, every * 2)
            if published:
                # Go on at once; sweep again at once only if the sweep filled its batch (more may
                # be waiting), else once its interval is over: a sweep scans the whole collection
                # on FerretDB, and what this process writes is named by its hints.
                sweep = (sweep and self._swept_full) or loop.time() - last_sweep >= every
                continue
            woken = await self._idle(max(0.0, last_sweep + every - loop.time()))
            sweep = not woken or loop.time() - last_sweep >= every

    async def _measure_backlog_every(self) -> None:
        while True:
            try:
                await self.measure_backlog()
            except Exception as exc:  # the store may be away; the relay's own loop says so
                log.debug("outbox.backlog_unmeasured", owner=self.owner, error=repr(exc))
            await asyncio.sleep(self.backlog_interval)

    async def measure_backlog(self) -> None:
        """Set the backlog and oldest-age gauges of every collection (one query each, on the
        `outbox_pending` index; only pending documents are read)."""
        now = datetime.now(UTC)
        for collection in self.collections:
            count, oldest = await backlog(collection)
            OUTBOX_BACKLOG.labels(self.service, collection.name).set(count)
            age = 0.0 if oldest is None else max(0.0, (now - oldest).total_seconds())
            OUTBOX_OLDEST_AGE.labels(self.service, collection.name).set(age)

    async def _idle(self, seconds: float) -> bool:
        """Wait for `notify` or `seconds`; whether it was `notify`."""
        woken = False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
            woken = True
        self._wake.clear()
        return woken

    async def drain_once(self, *, sweep: bool = True) -> int:
        """One pass over every collection: claim, publish, remove. Returns events published.

        Without `sweep`, only the aggregates this process wrote since the last pass.
        """
        total = 0
        self._found_foreign = self._swept_full = False
        for collection in self.collections:
            total += await self._drain(collection, sweep=sweep)
        self.published_count += total
        return total

    async def _drain(self, collection: Collection, *, sweep: bool) -> int:
        now = datetime.now(UTC)
        ids, claimed = _written_here.take(_key(collection))
        if sweep:
            found = await collection.find({"outbox_pending": True}, {"_id": 1}).limit(self.batch_size).to_list()
            self._swept_full = self._swept_full or len(found) >= self.batch_size
            ours = {*ids, *(doc["_id"] for doc in claimed), *_written_here.named(_key(collection))}
            self._found_foreign = self._found_foreign or any(doc["_id"] not in ours for doc in found)
            ids = list(dict.fromkeys([*ids, *(doc["_id"] for doc in found)]))
        if claimed:  # leased at insert: claimed already, unless a hint or the sweep names it too
            named = set(ids)
            claimed = [doc for doc in claimed if doc["_id"] not in named]
        for aggregate_id in ids:
            doc = await collection.find_one_and_update(
                {
                    "_id": aggregate_id,
                    "outbox_pending": True,
                    "$or": unleased_or_held_by(self.owner, now),
                },
                {"$set": {"outbox_lease_owner": self.owner, "outbox_lease_until": now + self.lease}},
                return_document=ReturnDocument.AFTER,
            )
            if doc is not None:
                claimed.append(doc)
        if not claimed:
            return 0
        items = [
            (entry["topic"], Envelope.from_stored(entry["envelope"]))
            for doc in claimed
            for entry in doc.get("outbox", [])
        ]
        spans = [
            publishing_span(
                f"publish {envelope.type}",
                envelope.traceparent,
                envelope.tracestate,
                {
                    "messaging.system": "kafka",
                    "messaging.operation.type": "send",
                    "messaging.destination.name": self.publisher.topic_prefix + topic,
                    "messaging.message.id": envelope.id,
                    "cloudevents.event_type": envelope.type,
                },
            )
            for topic, envelope in items
        ]
        started = time.perf_counter()
        try:
            await self.publisher.publish_many(items)
        finally:
            for span in spans:
                if span is not None:
                    span.end()
        self._publish_seconds.observe(time.perf_counter() - started)
        for _, envelope in items:
            PUBLISHED.labels(self.service, envelope.type).inc()
        await self._remove_published(collection, claimed)
        if ids:  # claimed by id: a copy of one of them handed over meanwhile is published already
            sent = {entry["id"] for doc in claimed for entry in doc.get("outbox", [])}
            _written_here.published(_key(collection), sent)
        return len(items)

    async def _remove_published(self, collection: Collection, claimed: Sequence[Document]) -> None:
        """Remove the entries just published, and the lease; clear `outbox_pending` if none is left.

        Entries are only ever appended, and removed only by the lease holder: while the lease is
        ours, an outbox of the size we read holds exactly what we published. So the documents
        read with outboxes of one size are emptied by one command (`_id $in`, the size and our
        lease in the filter); any it did not match grew meanwhile and lose only what was published.
        """
        by_size: dict[int, list[Document]] = {}
        for doc in claimed:
            by_size.setdefault(len(doc.get("outbox", [])), []).append(doc)
        for size, docs in by_size.items():
            ids = [doc["_id"] for doc in docs]
            ours: Document = {"outbox_lease_owner": self.owner, "outbox": {"$size": size}}
            emptying = {"$set": {"outbox": [], "outbox_pending": False}, "$unset": _LEASE}
            if len(ids) == 1:
                emptied = await collection.update_one({"_id": ids[0], **ours}, emptying)
            else:
                emptied = await collection.update_many({"_id": {"$in": ids}, **ours}, emptying)
            if emptied.matched_count == len(ids):
                continue
            grown = {doc["_id"] for doc in docs} if len(ids) == 1 else {
                found["_id"]
                for found in await collection.find(
                    {"_id": {"$in": ids}, "outbox_lease_owner": self.owner}, {"_id": 1}
                ).to_list()
            }  # fmt: skip
            for doc in docs:
                if doc["_id"] in grown:
                    await self._pull_published(collection, doc)

    async def _pull_published(self, collection: Collection, doc: Document) -> None:
        """Events were appended meanwhile: remove ours only ($pullAll with the entries exactly as
        read: FerretDB's $pull ignores conditions); the next pass publishes the rest."""
        await collection.update_one(
            {"_id": doc["_id"], "outbox_lease_owner": self.owner},
            {"$pullAll": {"outbox": doc.get("outbox", [])}, "$unset": _LEASE},
        )
        await collection.update_one({"_id": doc["_id"], "outbox": {"$size": 0}}, {"$set": {"outbox_pending": False}})


async def backlog(collection: Collection) -> tuple[int, datetime | None]:
    """Entries waiting in a collection's outboxes, and when the oldest of them was written."""
    total = 0
    oldest: datetime | None = None
    async for doc in collection.find({"outbox_pending": True}, {"outbox": 1}):
        for entry in doc.get("outbox", []):
            total += 1
            written = Envelope.from_stored(entry["envelope"]).time
            written = written if written.tzinfo else written.replace(tzinfo=UTC)
            oldest = written if oldest is None or written < oldest else oldest
    return total, oldest


async def pending_count(collection: Collection) -> int:
    """Entries still waiting in the outbox of a collection (for health and tests)."""
    total = 0
    async for doc in collection.find({"outbox_pending": True}, {"outbox": 1}):
        total += len(doc.get("outbox", []))
    return total


__all__ = [
    "AlreadyExists",
    "Answer",
    "MongoAggregateStore",
    "OutboxRelay",
    "PyMongoError",
    "VersionConflict",
    "backlog",
    "default_owner",
    "pending_count",
]
