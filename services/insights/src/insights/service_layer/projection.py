"""The projection's event handlers: every contracted fact into the log and the latest state.

`on_event` is the live consumer's; `on_batch` is the rebuild's (`parkgrid.rebuild`), the
same outcome for a whole fetched batch in a few bulk writes.
"""

from __future__ import annotations

from collections.abc import Sequence

from insights.adapters.projection import InsightsStore
from parkgrid.consumer import Delivery
from parkgrid.rebuild import ProjectionSpec


class Projector:
    def __init__(self, store: InsightsStore) -> None:
        self.store = store

    async def on_event(self, delivery: Delivery) -> None:
        await self.store.record(delivery.envelope)

    async def on_batch(self, deliveries: Sequence[Delivery]) -> None:
        await self.store.record_many([d.envelope for d in deliveries])

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
