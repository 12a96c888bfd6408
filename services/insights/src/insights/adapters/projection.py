"""The insights projection: a fact log keyed by event id and each aggregate's latest state.

- `facts`: one document per event, `_id` = the envelope's id. Inserting an event twice is a
  duplicate key, so redelivery and replay change nothing; KPIs over any range and as of
  any moment are folded from here.
- `aggregates`: one document per aggregate (`<topic>:<subject>`), kept at its newest
  event by the kit's version guard; the mailer reads people, bookings, registrations and
  residencies from it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.errors import BulkWriteError

from insights.domain import erasure
from insights.domain.facts import Fact, aggregate_of
from insights.domain.kpis_billing import BILLING_TOPICS
from parkgrid.contracts.topics import topics
from parkgrid.envelope import Envelope
from parkgrid.projection import SEQ_FIELD, Projection
from parkgrid.store import Database, Document, DuplicateKeyError, create_index
from parkgrid.topics import TopicSpec

PROJECTED_TOPICS = (
    "catalogue.offering",
    "bookings.booking",
    "bookings.waitlist",
    "spaces.site",
    "spaces.space",
    "spaces.residency",
    "spaces.reservation",
    "spaces.day_pass",
    "community.member",
    "community.event",
    "community.registration",
    *BILLING_TOPICS,
)
"""Every fact topic: the log the KPIs, the audit trail and the rebuild read (billing's since the money KPIs)."""

WEBHOOK_TOPICS = tuple(t for t in PROJECTED_TOPICS if t not in BILLING_TOPICS)
"""The topics the webhooks' consumer reads: billing's facts are not offered (`domain.webhooks.offered`)."""


def aggregate_id(aggregate: str, subject: str) -> str:
    return f"{aggregate}:{subject}"


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def fact_document(envelope: Envelope) -> Document:
    return {
        "_id": envelope.id,
        "type": envelope.type,
        "subject": envelope.subject,
        "sequence": envelope.sequence,
        "time": envelope.time,
        "actor": envelope.actor,
        "data": envelope.data,
    }


def fact_of(document: Document) -> Fact:
    return Fact(
        document["_id"],
        document["type"],
        document["subject"],
        document["sequence"],
        aware(document["time"]),
        document["data"],
    )


REGISTRATION = "community.registration"


def aggregate_fields(envelope: Envelope) -> Document:
    """The latest state, plus flat fields the mailer's queries filter on (a registration's event, by index)."""
    data = envelope.data
    aggregate = aggregate_of(envelope.type)
    fields: Document = {"aggregate": aggregate, "type": envelope.type, "state": data}
    if "status" in data:
        fields["status"] = data["status"]
    if aggregate == REGISTRATION and "event_id" in data:
        fields["event_id"] = data["event_id"]
    return fields


class InsightsStore:
    def __init__(self, db: Database, prefix: str = "") -> None:
        self.db = db
        self.facts = db[prefix + "facts"]
        self.aggregates = db[prefix + "aggregates"]
        self.latest = Projection(self.aggregates)

    async def ensure_indexes(self) -> None:
        """Also after a rebuild's drop, while the live consumer may be re-creating the collections:
        `create_index` takes the same index made meanwhile as done (a FerretDB race)."""
        await create_index(self.facts, [("time", ASCENDING)])
        await create_index(self.facts, [("subject", ASCENDING), ("time", ASCENDING)], name="audit_subject")
        await create_index(self.facts, [("actor", ASCENDING), ("time", ASCENDING)], name="audit_actor")
        await create_index(self.aggregates, [("aggregate", ASCENDING), ("status", ASCENDING)])
        await create_index(self.aggregates, [("aggregate", ASCENDING), ("event_id", ASCENDING)], name="event")
        await self.flatten_event_ids()

    async def flatten_event_ids(self) -> int:
        """Registrations projected before they kept their event's id flat get it (once, at start)."""
        stale = {"aggregate": REGISTRATION, "event_id": {"$exists": False}}
        fixed = 0
        async for doc in self.aggregates.find(stale, {"state.event_id": 1}):
            event_id = doc.get("state", {}).get("event_id")
            if event_id is not None:
                await self.aggregates.update_one({"_id": doc["_id"]}, {"$set": {"event_id": event_id}})
                fixed += 1
        return fixed

    async def record(self, envelope: Envelope) -> bool:
        """Store one event; False if it was already there (the aggregate is guarded anyway)."""
        key = aggregate_id(aggregate_of(envelope.type), envelope.subject)
        try:
            await self.facts.insert_one(fact_document(envelope))
        except DuplicateKeyError:
            # A redelivery: the aggregate is normally at this sequence already (one read); it is
            # not only if the first delivery stopped between the two writes.
            if await self.aggregates.find_one({"_id": key, SEQ_FIELD: {"$gte": envelope.sequence}}, {"_id": 1}):
                return False
            await self.latest.apply(key, envelope.sequence, aggregate_fields(envelope))
            return False
        await self.latest.apply(key, envelope.sequence, aggregate_fields(envelope))
        return True

    async def record_many(self, envelopes: Sequence[Envelope]) -> None:
        """A batch of a replay: facts in one unordered insert, each aggregate once at its newest event."""
        if not envelopes:
            return
        try:
            await self.facts.insert_many([fact_document(e) for e in envelopes], ordered=False)
        except BulkWriteError as exc:
            others = [e for e in exc.details.get("writeErrors", []) if e.get("code") != 11000]
            if others:
                raise
        newest: dict[str, Envelope] = {}
        for envelope in envelopes:
            key = aggregate_id(aggregate_of(envelope.type), envelope.subject)
            if key not in newest or newest[key].sequence < envelope.sequence:
                newest[key] = envelope
        # A replay into an emptied projection creates most aggregates: one unordered insert, and
        # the version guard for those that exist already (the live consumer may have written them).
        documents = [{"_id": k, **aggregate_fields(e), SEQ_FIELD: e.sequence} for k, e in newest.items()]
        existing: set[str] = set()
        try:
            await self.aggregates.insert_many(documents, ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != 11000 for e in errors):
                raise
            existing = {documents[e["index"]]["_id"] for e in errors}
        for key in existing:
            envelope = newest[key]
            await self.latest.apply(key, envelope.sequence, aggregate_fields(envelope))

    async def forget_person(self, member_id: str, person_id: str) -> set[str]:
        """Take the person out of their organisation's facts and latest state (`insights.domain.erasure`):
        a fact about them alone goes. The addresses they had, to forget the mails sent to them."""
        found: set[str] = set()
        async for fact in self.facts.find({"subject": member_id}, {"type": 1, "data": 1}):
            if not str(fact["type"]).startswith(erasure.MEMBER_EVENTS):
                continue
            found |= erasure.addresses(fact["data"], person_id)
            kept = erasure.without(fact["data"], person_id)
            if kept is None:
                await self.facts.delete_one({"_id": fact["_id"]})
            elif kept != fact["data"]:
                await self.facts.update_one({"_id": fact["_id"]}, {"$set": {"data": kept}})
        key = aggregate_id(aggregate_of(erasure.ERASED), member_id)
        latest = await self.aggregates.find_one({"_id": key}, {"state": 1})
        if latest is not None:
            found |= erasure.addresses(latest["state"], person_id)
            kept = erasure.without(latest["state"], person_id)
            if kept is not None and kept != latest["state"]:
                await self.aggregates.update_one({"_id": key}, {"$set": {"state": kept}})
        return found

    async def all_facts(self) -> list[Fact]:
        return [fact_of(d) async for d in self.facts.find({}).batch_size(5000)]

    async def facts_of(self, aggregates: Sequence[str]) -> list[Fact]:
        """The facts of these aggregates (topic names) alone: the mailer's overdue invoices read
        billing's documents and payments, not the whole log."""
        types = "|".join(re.escape(a) for a in aggregates)
        query: Document = {"type": {"$regex": f"^parkgrid\\.({types})\\."}}
        return [fact_of(d) async for d in self.facts.find(query).batch_size(5000)]

    async def facts_until(self, as_of: datetime) -> list[Fact]:
        # The local store filters without an index in its own process: filtering here is faster.
        return [f for f in await self.all_facts() if f.time <= as_of]

    async def state(self, aggregate: str, subject: str) -> dict[str, Any] | None:
        doc = await self.latest.get(aggregate_id(aggregate, subject))
        return None if doc is None else dict(doc["state"])

    async def states(self, aggregate: str, status: str | None = None) -> list[dict[str, Any]]:
        query: Document = {"aggregate": aggregate}
        if status is not None:
            query["status"] = status
        return [dict(d["state"]) async for d in self.aggregates.find(query, {"state": 1})]

    async def registrations_of_event(self, event_id: str) -> list[dict[str, Any]]:
        """The registrations of one community event, by the `{aggregate, event_id}` index."""
        query: Document = {"aggregate": REGISTRATION, "event_id": event_id}
        return [dict(d["state"]) async for d in self.aggregates.find(query, {"state": 1})]

    async def fingerprint(self) -> tuple[int, list[tuple[str, int]]]:
        """How many facts, and every aggregate at its sequence: equal projections have equal fingerprints."""
        count = await self.facts.count_documents({})
        seqs = sorted([(d["_id"], d[SEQ_FIELD]) async for d in self.aggregates.find({}, {SEQ_FIELD: 1})])
        return count, seqs

    async def drop(self) -> None:
        await self.facts.drop()
        await self.aggregates.drop()


def topics_of(names: Iterable[str] = PROJECTED_TOPICS) -> list[TopicSpec]:
    return topics(*names)
