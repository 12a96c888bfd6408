"""The sites projection: what spaces says about each site, kept locally for site checks."""

from __future__ import annotations

from catalogue.domain.offering import SiteFacts
from parkgrid.contracts.spaces import SiteSnapshot, SiteStatus
from parkgrid.envelope import Envelope
from parkgrid.projection import Projection
from parkgrid.store import Collection


class Sites:
    def __init__(self, collection: Collection) -> None:
        self.projection = Projection(collection)

    async def apply(self, envelope: Envelope, site: SiteSnapshot) -> bool:
        return await self.projection.apply_event(
            envelope,
            {"name": site.name, "city": site.city, "time_zone": site.time_zone, "status": site.status.value},
        )

    async def get(self, site_id: str) -> SiteFacts | None:
        doc = await self.projection.get(site_id)
        if doc is None:
            return None
        return SiteFacts(site_id=site_id, time_zone=doc["time_zone"], open=doc["status"] == SiteStatus.OPEN.value)

    async def known_ids(self) -> set[str]:
        return {doc["_id"] async for doc in self.projection.collection.find({}, {"_id": 1})}
