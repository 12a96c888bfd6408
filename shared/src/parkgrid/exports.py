"""A service's answer to an export request (issue 22, item 2), the same in every service that holds
members' data: what changes from one service to another is only where the data lies (`Holding`).

The answer is an aggregate created once by export id in the service's `export_answers`, with its
parts (`contracts.privacy`) in its outbox: a redelivered request, or one answered by a process that
died before committing its offset, finds the answer there and sends nothing twice; a process that
dies before the write leaves nothing, and the redelivery answers. The answer keeps only what was
counted (no personal data stays here once the relay has sent the parts).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from parkgrid.clock import utc_now
from parkgrid.consumer import Delivery, Handler
from parkgrid.contracts.privacy import ANSWERS, PART_RECORDS, ExportAnswered, ExportRequested, ExportSubject
from parkgrid.contracts.topics import topic
from parkgrid.events import registry
from parkgrid.logging import get_logger
from parkgrid.outbox import AlreadyExists, MongoAggregateStore
from parkgrid.runtime import Subscription
from parkgrid.store import Collection, Database, Document

log = get_logger(__name__)

INTERNAL = frozenset({"outbox", "outbox_pending"})
"""Fields of a stored document that are the store's machinery, not data on anyone."""

Records = dict[str, list[Document]]


@dataclass(frozen=True)
class Holding:
    """One collection of a service that holds data on members: found by `member_field`, and, for a
    person's export, by `person_field` (a collection without one holds the organisation's data only,
    and is not part of a person's export)."""

    collection: str
    member_field: str = "member_id"
    person_field: str | None = "person_id"
    exclude: tuple[str, ...] = ()
    """Fields never exported (a secret of the service's own, not data on the member)."""
    people: tuple[str, ...] = ()
    """Lists of persons inside each document (an organisation's people, keyed `person_id`): a
    person's export keeps that person alone in them, not the others' names and emails."""

    def narrowed(self, doc: Document, subject: ExportSubject) -> Document:
        if subject.person_id is None:
            return doc
        narrowed = dict(doc)
        for field in self.people:
            narrowed[field] = [p for p in doc.get(field) or [] if p.get("person_id") == subject.person_id]
        return narrowed

    def query(self, subject: ExportSubject) -> Document | None:
        if subject.person_id is None:
            return {self.member_field: subject.member_id}
        if self.person_field is None:
            return None
        return {self.member_field: subject.member_id, self.person_field: subject.person_id}


def jsonable(value: Any) -> Any:
    """A stored value as JSON holds it: instants in ISO 8601 (UTC), days as dates, the rest as is."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items() if k not in INTERNAL}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def parts_of(records: Records, limit: int = PART_RECORDS) -> list[Records]:
    """The records cut into parts of at most `limit` records, collections kept in order (one part
    with no records when there are none, so the answer still says "nothing here")."""
    parts: list[Records] = [{}]
    size = 0
    for name, docs in records.items():
        parts[-1].setdefault(name, [])
        for doc in docs:
            if size == limit:
                parts.append({name: []})
                size = 0
            parts[-1][name].append(doc)
            size += 1
    return parts


class ExportAnswers:
    """Answers `insights.export.requested` for `service` from its `holdings` in `db`."""

    def __init__(self, db: Database, service: str, holdings: Sequence[Holding]) -> None:
        self.db = db
        self.service = service
        self.holdings = holdings
        self.answer_type: type[ExportAnswered] = ANSWERS[service]
        self.answers = MongoAggregateStore(
            db["export_answers"], registry=registry, source=service, topic=f"{service}.export"
        )

    @property
    def collection(self) -> Collection:
        """Where the answers (and their outbox) are: the service's relay publishes from it."""
        return self.answers.collection

    async def gather(self, subject: ExportSubject) -> Records:
        """What this service holds on the subject, collection by collection, as JSON documents."""
        records: Records = {}
        for holding in self.holdings:
            query = holding.query(subject)
            if query is None:
                continue
            hidden = {field: 0 for field in (*INTERNAL, *holding.exclude)}
            docs = await self.db[holding.collection].find(query, hidden).sort("_id", 1).to_list()
            records[holding.collection] = [jsonable(holding.narrowed(d, subject)) for d in docs]
        return records

    async def answer(self, request: ExportRequested) -> bool:
        """Answer once; False when another service was asked, or it was answered before."""
        if self.service not in request.services or await self.answers.get(request.export_id) is not None:
            return False
        parts = parts_of(await self.gather(request.subject))
        events = [
            self.answer_type(export_id=request.export_id, service=self.service, part=n, parts=len(parts), records=part)
            for n, part in enumerate(parts, start=1)
        ]
        counts: Counter[str] = Counter()
        for part in parts:
            counts.update({name: len(docs) for name, docs in part.items()})
        state = {
            "subject": request.subject.model_dump(),
            "answered_at": utc_now(),
            "parts": len(parts),
            "counts": dict(counts),
        }
        try:
            await self.answers.create(request.export_id, state, events)
        except AlreadyExists:
            return False
        log.info("export.answered", export_id=request.export_id, parts=len(parts))
        return True

    def subscription(self, notify_relay: Any) -> Subscription:
        """The consumer of export requests; `notify_relay` wakes the relay once an answer is stored."""

        async def handle(delivery: Delivery) -> None:
            if isinstance(delivery.event, ExportRequested) and await self.answer(delivery.event):
                notify_relay()

        handler: Handler = handle
        return Subscription("exports", [topic("insights.export")], handler)
