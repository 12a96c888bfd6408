"""The port every service's write side stands on, its in-memory fake, and `change`.

`AggregateStore` is what a service layer needs of its store: read an aggregate, create it,
replace it under a version guard with its events. `MongoAggregateStore` (parkgrid.outbox)
is the real one; `InMemoryAggregateStore` behaves the same in memory, so a service's rules
are tested in milliseconds with no broker and no store. One suite
(`parkgrid.testing.aggregate_contract`) runs against both, which is what makes the fake
trustworthy.

`change` is the one load → decide → save loop with the version retry: a handler states its
rule as a pure function of the current document and never writes `except VersionConflict`.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable, Sequence
from typing import Protocol

from parkgrid.events import EventRegistry, IntegrationEvent
from parkgrid.outbox import AlreadyExists, Answer, VersionConflict, check_state, outbox_entries, readable
from parkgrid.refusals import Refused, StaleVersion
from parkgrid.store import Document

Decision = tuple[Document, Sequence[IntegrationEvent]]
"""A rule's answer: the aggregate's new state and the events that say what happened."""

Rule = Callable[[Document], Decision | None]
"""A pure rule over the current document: its decision, None for "nothing to change", or `Refused`."""


class AggregateStore(Protocol):
    """Version-guarded reads and writes of one kind of aggregate, with its events (embedded outbox)."""

    async def get(self, aggregate_id: str) -> Document | None: ...

    async def create(
        self, aggregate_id: str, state: Document, events: Sequence[IntegrationEvent], *, answer: Answer | None = None
    ) -> int: ...

    async def kept_answer(self, aggregate_id: str) -> Document | None:
        """The answer kept by `create`, if it kept one."""
        ...

    async def update(
        self, aggregate_id: str, expected_version: int, state: Document, events: Sequence[IntegrationEvent]
    ) -> int: ...

    async def outbox(self, aggregate_id: str) -> list[Document]: ...


class InMemoryAggregateStore:
    """`AggregateStore` in a dict: same versions, same outbox entries, same errors as MongoDB's."""

    def __init__(self, *, registry: EventRegistry, source: str, topic: str) -> None:
        self.registry = registry
        self.source = source
        self.topic = topic
        self.documents: dict[str, Document] = {}

    def _entries(self, aggregate_id: str, first_sequence: int, events: Sequence[IntegrationEvent]) -> list[Document]:
        return outbox_entries(self.registry, self.source, self.topic, aggregate_id, first_sequence, events)

    async def get(self, aggregate_id: str) -> Document | None:
        await asyncio.sleep(0)
        doc = self.documents.get(aggregate_id)
        if doc is None:
            return None
        return copy.deepcopy({k: v for k, v in doc.items() if k not in ("outbox", "kept_answer")})

    async def kept_answer(self, aggregate_id: str) -> Document | None:
        await asyncio.sleep(0)
        doc = self.documents.get(aggregate_id)
        return None if doc is None else copy.deepcopy(doc.get("kept_answer"))

    async def outbox(self, aggregate_id: str) -> list[Document]:
        doc = self.documents.get(aggregate_id)
        return readable(doc.get("outbox", [])) if doc else []

    async def create(
        self, aggregate_id: str, state: Document, events: Sequence[IntegrationEvent], *, answer: Answer | None = None
    ) -> int:
        check_state(state)
        await asyncio.sleep(0)  # a real store's round trip: concurrent writers interleave here too
        if aggregate_id in self.documents:
            raise AlreadyExists(aggregate_id)
        version = max(len(events), 1)
        self.documents[aggregate_id] = {
            **copy.deepcopy(state),
            "_id": aggregate_id,
            "version": version,
            "outbox": self._entries(aggregate_id, version - len(events) + 1, events),
            "outbox_pending": bool(events),
        }
        if answer is not None:
            self.documents[aggregate_id]["kept_answer"] = answer(version)
        return version

    async def update(
        self, aggregate_id: str, expected_version: int, state: Document, events: Sequence[IntegrationEvent]
    ) -> int:
        check_state(state)
        await asyncio.sleep(0)  # a real store's round trip: concurrent writers interleave here too
        doc = self.documents.get(aggregate_id)
        if doc is None or doc["version"] != expected_version:
            raise VersionConflict(f"{aggregate_id} is not at version {expected_version}")
        version = expected_version + max(len(events), 1)
        doc.update(copy.deepcopy(state))
        doc["version"] = version
        if events:
            doc["outbox_pending"] = True
            doc["outbox"] = [*doc["outbox"], *self._entries(aggregate_id, expected_version + 1, events)]
        return version


async def change(
    store: AggregateStore,
    aggregate_id: str,
    rule: Rule,
    *,
    expected_version: int | None = None,
    what: str = "aggregate",
    stale: str | None = None,
    attempts: int = 100,
    known: Document | None = None,
) -> tuple[Document, int]:
    """Load the aggregate, apply `rule`, save under the version guard; reload and retry if it moved.

    With `expected_version` (an If-Match) a moved aggregate is not retried: the caller read
    something else than what is there now, so `StaleVersion` (412, its detail `stale` when
    given). A missing aggregate is
    `Refused.not_found` naming `what`. Returns the document as saved and its version.

    `known` is the document as this process last wrote it (its `version` included), when it has
    it: the first attempt decides on it instead of reading. It may be stale; the version guard
    then refuses the write and the aggregate is read as usual. Only a write proves it current,
    so when the rule wants no write on it (or an If-Match names another version), the aggregate
    is read and decided again.
    """
    for _ in range(attempts):
        remembered, known = known, None
        doc = remembered if remembered is not None else await store.get(aggregate_id)
        if doc is None:
            raise Refused.not_found(f"there is no {what} {aggregate_id}")
        version = int(doc["version"])
        if expected_version is not None and version != expected_version:
            if remembered is not None:
                continue
            raise StaleVersion(stale or f"{what} {aggregate_id} is at version {version}, not {expected_version}")
        decision = rule(doc)
        if decision is None:
            if remembered is not None:
                continue
            return doc, version
        state, events = decision
        try:
            saved = await store.update(aggregate_id, version, state, events)
        except VersionConflict:
            if expected_version is not None and remembered is None:
                raise StaleVersion(stale or f"{what} {aggregate_id} changed meanwhile") from None
            continue
        return {**doc, **state, "version": saved}, saved
    raise VersionConflict(f"{what} {aggregate_id} kept changing; gave up after {attempts} attempts")


__all__ = ["AggregateStore", "Decision", "InMemoryAggregateStore", "Rule", "change"]
