"""Community's aggregates as domain models over the kit's `AggregateStore` and its `change`.

A rule of the domain takes the model and answers the changed model and what happened; this
turns it into the kit's rule over documents, the facts into their public events (through
`publication`, where the aggregate is saved), so every command is one load → decide → save
with the version retry, and a stale `If-Match` is a 412 on `If-Match`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from pydantic import BaseModel

from community.service_layer.publication import publication
from parkgrid.aggregates import AggregateStore, Decision, change
from parkgrid.domain import DomainEvent
from parkgrid.outbox import AlreadyExists
from parkgrid.refusals import Refused
from parkgrid.store import Document

M = TypeVar("M", bound=BaseModel)

Decide = Callable[[M], tuple[M, Sequence[DomainEvent]]]


class Versioned(Generic[M]):
    """One kind of aggregate: read as `M`, changed by pure rules under the version guard."""

    def __init__(
        self,
        store: AggregateStore,
        *,
        load: Callable[[Document], M],
        state: Callable[[M], Document],
        what: str,
        notify: Callable[[], None] = lambda: None,
    ) -> None:
        self.store = store
        self.load = load
        self.state = state
        self.what = what
        self.notify = notify

    async def find(self, aggregate_id: str) -> tuple[M, int] | None:
        doc = await self.store.get(aggregate_id)
        return None if doc is None else (self.load(doc), int(doc["version"]))

    async def get(self, aggregate_id: str) -> tuple[M, int]:
        found = await self.find(aggregate_id)
        if found is None:
            raise Refused.not_found(f"there is no {self.what} {aggregate_id}")
        return found

    async def create(self, aggregate_id: str, model: M, happened: Sequence[DomainEvent]) -> tuple[M, int, bool]:
        """Create the aggregate, and True; a retry of the same command finds the first one, and False."""
        try:
            version = await self.store.create(aggregate_id, self.state(model), publication(happened))
        except AlreadyExists:
            return (*await self.get(aggregate_id), False)
        self.notify()
        return model, version, True

    async def change(self, aggregate_id: str, decide: Decide[M], expected_version: int | None = None) -> tuple[M, int]:
        """Apply `decide`; no events and no change writes nothing. Tells the relay when events were written."""
        published: list[bool] = []

        def rule(doc: Document) -> Decision | None:
            published.clear()  # the decision of this attempt only, not of one that lost a race
            current = self.load(doc)
            changed, happened = decide(current)
            if not happened and changed == current:
                return None
            events = publication(happened)
            published.append(bool(events))
            return self.state(changed), events

        doc, version = await change(self.store, aggregate_id, rule, expected_version=expected_version, what=self.what)
        if any(published):
            self.notify()
        return self.load(doc), version
