"""The catalogue's projection of spaces (`spaces.space`): each space's site, kind, seats, features, status.

One document per space under the kit's version guard (`parkgrid.projection`): every
SpaceAdded/SpaceUpdated/SpaceRetired carries the space's full state, so a duplicate, a
replay or a late event changes nothing, and `parkgrid rebuild catalogue spaces` drops and
refills it. Publishing an offering reads the active spaces of its site from here.
"""

from __future__ import annotations

from catalogue.domain.spaces import SpaceFacts
from parkgrid.contracts.spaces import SpaceSnapshot, SpaceStatus
from parkgrid.envelope import Envelope
from parkgrid.projection import Projection
from parkgrid.store import Collection


class KnownSpaces:
    """Spaces as spaces publishes them, by site."""

    def __init__(self, collection: Collection) -> None:
        self.projection = Projection(collection)

    async def ensure_indexes(self) -> None:
        await self.projection.ensure_indexes("site_id")

    async def apply(self, envelope: Envelope, space: SpaceSnapshot) -> bool:
        return await self.projection.apply_event(
            envelope,
            {
                "site_id": space.site_id,
                "kind": space.kind.value,
                "capacity": space.capacity,
                "features": list(space.features),
                "status": space.status.value,
            },
        )

    async def at_site(self, site_id: str) -> tuple[SpaceFacts, ...] | None:
        """The site's active spaces; None when no space of the site (active or retired) is known."""
        docs = await self.projection.collection.find({"site_id": site_id, "_removed": {"$ne": True}}).to_list()
        if not docs:
            return None
        return tuple(
            SpaceFacts(d["_id"], d["kind"], int(d["capacity"]), frozenset(d["features"]))
            for d in sorted(docs, key=lambda d: d["_id"])
            if d["status"] == SpaceStatus.ACTIVE.value
        )
