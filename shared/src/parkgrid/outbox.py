"""The embedded outbox: a command's state change and its events in one atomic write.

FerretDB has no multi-document transactions, so an aggregate document carries its own
unpublished events in an `outbox` array. A command updates the aggregate with a
version guard and pushes its events in the same single-document update; the relay
then publishes them (idempotent producer, acks=all) and removes them. A crash between
publish and removal publishes again, which consumers absorb through the projection
version guard.

Fields the kit reserves on an aggregate document: `_id`, `version`, `outbox`,
`outbox_pending`, `outbox_lease_owner`, `outbox_lease_until`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError, PyMongoError

from parkgrid.envelope import Envelope
from parkgrid.events import EventRegistry, IntegrationEvent
from parkgrid.kafka import EventPublisher
from parkgrid.logging import get_logger
from parkgrid.store import Collection, Document

log = get_logger(__name__)

RESERVED_FIELDS = frozenset({"_id", "version", "outbox", "outbox_pending", "outbox_lease_owner", "outbox_lease_until"})


class VersionConflict(Exception):
    """The aggregate changed since it was read (or does not exist): reload and retry, or 409/412."""


class AlreadyExists(Exception):
    """An aggregate with this id exists already."""


class AggregateStore:
    """Version-guarded reads and writes of one kind of aggregate, with its events."""

    def __init__(self, collection: Collection, *, registry: EventRegistry, source: str, topic: str) -> None:
        self.collection = collection
        self.registry = registry
        self.source = source
        self.topic = topic

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("outbox_pending", ASCENDING)], name="outbox_pending")

    async def get(self, aggregate_id: str) -> Document | None:
        return await self.collection.find_one({"_id": aggregate_id}, {"outbox": 0})

    def _entries(self, aggregate_id: str, first_sequence: int, events: Sequence[IntegrationEvent]) -> list[Document]:
        entries = []
        for offset, event in enumerate(events):
            envelope = self.registry.envelope(
                event, source=self.source, subject=aggregate_id, sequence=first_sequence + offset
            )
            entries.append({"id": envelope.id, "topic": self.topic, "envelope": envelope.to_document()})
        return entries

    async def create(self, aggregate_id: str, state: Document, events: Sequence[IntegrationEvent]) -> int:
        """Insert a new aggregate at version len(events); each event gets its own sequence."""
        _check_state(state)
        version = max(len(events), 1)
        doc = {
            **state,
            "_id": aggregate_id,
            "version": version,
            "outbox": self._entries(aggregate_id, version - len(events) + 1, events),
            "outbox_pending": bool(events),
        }
        try:
            await self.collection.insert_one(doc)
        except DuplicateKeyError:
            raise AlreadyExists(aggregate_id) from None
        return version

    async def update(
        self, aggregate_id: str, expected_version: int, state: Document, events: Sequence[IntegrationEvent]
    ) -> int:
        """Replace the aggregate's state if still at `expected_version`, appending its events."""
        _check_state(state)
        version = expected_version + max(len(events), 1)
        update: dict[str, Any] = {"$set": {**state, "version": version}}
        if events:
            update["$set"]["outbox_pending"] = True
            update["$push"] = {"outbox": {"$each": self._entries(aggregate_id, expected_version + 1, events)}}
        result = await self.collection.update_one({"_id": aggregate_id, "version": expected_version}, update)
        if result.matched_count != 1:
            raise VersionConflict(f"{aggregate_id} is not at version {expected_version}")
        return version


def _check_state(state: Document) -> None:
    clash = RESERVED_FIELDS.intersection(state)
    if clash:
        raise ValueError(f"aggregate state may not set reserved fields {sorted(clash)}")


def default_owner(service: str) -> str:
    return f"{service}@{socket.gethostname()}:{os.getpid()}"


class OutboxRelay:
    """Publishes and removes outbox entries; safe with many relays on the same documents.

    A relay leases a document before publishing its entries, so two relays never work
    on the same aggregate at once, and a relay that dies mid-way leaves a lease that
    expires. Polling for pending documents is also the sweep: whatever a crash left
    behind is found on the next pass.
    """

    def __init__(
        self,
        collections: Sequence[Collection],
        publisher: EventPublisher,
        *,
        owner: str,
        lease: timedelta = timedelta(seconds=30),
        batch_size: int = 100,
        idle_interval: float = 0.25,
    ) -> None:
        self.collections = list(collections)
        self.publisher = publisher
        self.owner = owner
        self.lease = lease
        self.batch_size = batch_size
        self.idle_interval = idle_interval
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self.published_count = 0

    def notify(self) -> None:
        """Tell the relay a write just added events, so it need not wait for its next poll."""
        self._wake.set()

    async def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                published = await self.drain_once()
                failures = 0
            except Exception as exc:  # store or broker away: keep the entries, try again
                failures += 1
                published = 0
                log.warning("outbox.relay_failed", owner=self.owner, error=repr(exc), attempt=failures)
                await self._idle(min(10.0, 0.2 * 2**failures))
                continue
            if not published:
                await self._idle(self.idle_interval)

    async def _idle(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        self._wake.clear()

    async def drain_once(self) -> int:
        """One pass over every collection: claim, publish, remove. Returns events published."""
        total = 0
        for collection in self.collections:
            total += await self._drain(collection)
        self.published_count += total
        return total

    async def _drain(self, collection: Collection) -> int:
        now = datetime.now(UTC)
        candidates = await collection.find({"outbox_pending": True}, {"_id": 1}).limit(self.batch_size).to_list()
        claimed: list[Document] = []
        for candidate in candidates:
            doc = await collection.find_one_and_update(
                {
                    "_id": candidate["_id"],
                    "outbox_pending": True,
                    "$or": [
                        {"outbox_lease_until": None},
                        {"outbox_lease_until": {"$lt": now}},
                        {"outbox_lease_owner": self.owner},
                    ],
                },
                {"$set": {"outbox_lease_owner": self.owner, "outbox_lease_until": now + self.lease}},
                return_document=ReturnDocument.AFTER,
            )
            if doc is not None:
                claimed.append(doc)
        if not claimed:
            return 0
        items = [
            (entry["topic"], Envelope.from_document(entry["envelope"]))
            for doc in claimed
            for entry in doc.get("outbox", [])
        ]
        await self.publisher.publish_many(items)
        for doc in claimed:
            # $pullAll with the entries exactly as read: FerretDB's $pull ignores conditions.
            await collection.update_one(
                {"_id": doc["_id"], "outbox_lease_owner": self.owner},
                {
                    "$pullAll": {"outbox": doc.get("outbox", [])},
                    "$unset": {"outbox_lease_owner": "", "outbox_lease_until": ""},
                },
            )
            await collection.update_one(
                {"_id": doc["_id"], "outbox": {"$size": 0}}, {"$set": {"outbox_pending": False}}
            )
        return len(items)


async def pending_count(collection: Collection) -> int:
    """Entries still waiting in the outbox of a collection (for health and tests)."""
    total = 0
    async for doc in collection.find({"outbox_pending": True}, {"outbox": 1}):
        total += len(doc.get("outbox", []))
    return total


__all__ = [
    "AggregateStore",
    "AlreadyExists",
    "OutboxRelay",
    "PyMongoError",
    "VersionConflict",
    "default_owner",
    "pending_count",
]
