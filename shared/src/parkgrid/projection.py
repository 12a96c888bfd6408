"""The projection version guard: apply an event only if it is newer than what is held.

Every projection document keyed by an aggregate id keeps the `sequence` of the last
event applied in `_seq`. An update is filtered on `_seq < sequence`, so duplicates,
replays and out-of-order redeliveries change nothing, with single-document atomicity
only (no transactions), on FerretDB and MongoDB alike.
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from parkgrid.envelope import Envelope
from parkgrid.store import Collection, Document, create_index

SEQ_FIELD = "_seq"


class Projection:
    """A collection of documents, one per aggregate, each kept at its newest event."""

    def __init__(self, collection: Collection) -> None:
        self.collection = collection

    async def ensure_indexes(self, *fields: str) -> None:
        for field in fields:
            await create_index(self.collection, [(field, ASCENDING)])

    async def apply(self, aggregate_id: str, sequence: int, fields: Document) -> bool:
        """Set `fields` on the aggregate's document if `sequence` is newer; True if applied.

        One round trip in the common cases (a new aggregate, a newer event): a guarded
        upsert. When the document exists at this sequence or a newer one, the filter misses
        and the upsert's insert collides on `_id` (FerretDB 1.24 and MongoDB alike); the
        document may also have been inserted by a concurrent writer with an older sequence
        just now, so one more guarded update (no upsert) decides.
        """
        update: dict[str, Any] = {"$set": {**fields, SEQ_FIELD: sequence}}
        guard = {"_id": aggregate_id, SEQ_FIELD: {"$lt": sequence}}
        try:
            await self.collection.update_one(guard, update, upsert=True)
            return True
        except DuplicateKeyError:
            return bool((await self.collection.update_one(guard, update)).matched_count)

    async def apply_event(self, envelope: Envelope, fields: Document) -> bool:
        return await self.apply(envelope.subject, envelope.sequence, fields)

    async def remove(self, aggregate_id: str, sequence: int) -> bool:
        """Mark the aggregate removed (a tombstone keeps the guard for late duplicates)."""
        return await self.apply(aggregate_id, sequence, {"_removed": True})

    async def get(self, aggregate_id: str) -> Document | None:
        return await self.collection.find_one({"_id": aggregate_id, "_removed": {"$ne": True}})

    async def drop(self) -> None:
        await self.collection.drop()
