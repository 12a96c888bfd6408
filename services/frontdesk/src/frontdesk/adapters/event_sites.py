"""Where each community event takes place, projected from `community.event`.

Registration events name their event but not its site; the live feed needs the site to
reach the right front desks, so the web app keeps this one small projection.
"""

from __future__ import annotations

from parkgrid.envelope import Envelope
from parkgrid.projection import Projection
from parkgrid.store import Collection


class EventSites:
    def __init__(self, collection: Collection) -> None:
        self.projection = Projection(collection)

    async def record(self, envelope: Envelope) -> None:
        await self.projection.apply_event(envelope, {"site_id": envelope.data.get("site_id")})

    async def site_of(self, event_id: str) -> str | None:
        doc = await self.projection.get(event_id)
        site = doc.get("site_id") if doc else None
        return str(site) if site else None
