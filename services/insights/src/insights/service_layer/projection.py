"""The projection's event handlers: every contracted fact into the log and the latest state.

`on_event` is the live consumer's; `on_batch` is the rebuild's (`parkgrid.rebuild`), the
same outcome for a whole fetched batch in a few bulk writes.
"""

from __future__ import annotations

from collections.abc import Sequence

from insights.adapters.projection import InsightsStore
from insights.domain.erasure import ERASED
from insights.service_layer.erasure import Erasure
from parkgrid.consumer import Delivery
from parkgrid.envelope import Envelope
from parkgrid.rebuild import ProjectionSpec


class Projector:
    """Records each fact; an erasure also takes the person out of the facts before it (a redelivered
    erasure too: the facts it undoes may have been redelivered with it), then forgets the copies
    outside the projection when an `erasure` is given (the live consumer's, not a rebuild's)."""

    def __init__(self, store: InsightsStore, erasure: Erasure | None = None) -> None:
        self.store = store
        self.erasure = erasure

    async def on_event(self, delivery: Delivery) -> None:
        await self.store.record(delivery.envelope)
        await self._erase(delivery.envelope)

    async def on_batch(self, deliveries: Sequence[Delivery]) -> None:
        await self.store.record_many([d.envelope for d in deliveries])
        for delivery in deliveries:
            await self._erase(delivery.envelope)

    async def _erase(self, envelope: Envelope) -> None:
        if envelope.type != ERASED:
            return
        person_id = str(envelope.data["person_id"])
        addresses = await self.store.forget_person(envelope.subject, person_id)
        if self.erasure is not None:
            await self.erasure.forget_copies(envelope.subject, person_id, addresses)

    async def after_drop(self) -> None:
        await self.store.ensure_indexes()


PROJECTION = "projection"
"""The consumer's name, and the projection's: `parkgrid rebuild insights projection`."""


def projection_spec(projector: Projector, topic_names: Sequence[str]) -> ProjectionSpec:
    """The projection as `parkgrid.rebuild` replays it: in batches, its indexes back right after the drop."""
    store = projector.store
    return ProjectionSpec(
        name=PROJECTION,
        topics=list(topic_names),
        handler=projector.on_event,
        collections=[store.facts, store.aggregates],
        apply_batch=projector.on_batch,
        after_drop=projector.after_drop,
    )
