"""The projection's event handler: every contracted fact into the log and the latest state."""

from __future__ import annotations

from insights.adapters.projection import InsightsStore
from parkgrid.consumer import Delivery


class Projector:
    def __init__(self, store: InsightsStore) -> None:
        self.store = store

    async def on_event(self, delivery: Delivery) -> None:
        await self.store.record(delivery.envelope)
