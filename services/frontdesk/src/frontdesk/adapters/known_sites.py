"""The network's sites as the web app knows them, projected from `spaces.site`.

Spaces' site list is staff-only; a member page still names each site and reads the time on
its clock. The kit's `KnownSites` keeps one document per site (version-guarded, rebuildable:
`parkgrid rebuild frontdesk sites`), filled by the web app's one shared consumer group.
"""

from __future__ import annotations

from parkgrid.consumer import Delivery
from parkgrid.contracts.spaces import SiteSnapshot
from parkgrid.known import KnownSites
from parkgrid.store import Collection


class SiteDirectory:
    """Names and time zones of the sites, for any visitor, from the web app's own store."""

    def __init__(self, collection: Collection) -> None:
        self.known = KnownSites(collection)

    @property
    def collection(self) -> Collection:
        return self.known.projection.collection

    async def record(self, delivery: Delivery) -> None:
        """Apply a site's snapshot; the topic's other messages are passed over."""
        if isinstance(delivery.event, SiteSnapshot):
            await self.known.apply(delivery.envelope, delivery.event)

    async def names(self) -> dict[str, str]:
        """Every known site's name, by id."""
        return {str(doc["_id"]): str(doc["name"]) async for doc in self.collection.find({}, {"_id": 1, "name": 1})}

    async def time_zone(self, site_id: str | None) -> str | None:
        """The site's IANA zone; None for a site not (yet) known here."""
        return await self.known.time_zone(site_id)
