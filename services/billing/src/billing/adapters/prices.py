"""Price lists in the store: one document per site and version, never rewritten.

A new version is inserted as the site's highest plus one (`<site>:<version>`), so two admins
publishing at once cannot both be version 4: the second collides and is told to read again.
Charges are priced by the version in force on their day; a site's versions are read once a
minute at most once it has some, as prices change a few times a year (a new version is
published ahead of the day it applies from, so the minute does not matter).
"""

from __future__ import annotations

import time
from datetime import date

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import PyMongoError

from billing.adapters.documents import price_list_of, price_list_state
from billing.domain.prices import PriceList, in_force
from parkgrid.refusals import Refused
from parkgrid.store import Collection, create_index, is_duplicate_key

FRESH_SECONDS = 60.0


class PriceLists:
    def __init__(self, collection: Collection) -> None:
        self.collection = collection
        self._read: dict[str, tuple[float, list[PriceList]]] = {}

    async def ensure_indexes(self) -> None:
        await create_index(self.collection, [("site_id", ASCENDING), ("version", DESCENDING)], name="by_site")

    async def versions(self, site_id: str, *, fresh: bool = False) -> list[PriceList]:
        read = self._read.get(site_id)
        if read is not None and not fresh and time.monotonic() - read[0] < FRESH_SECONDS:
            return read[1]
        versions = [price_list_of(d) async for d in self.collection.find({"site_id": site_id}).sort("version", 1)]
        if versions:  # a site without prices is asked again: its first list may be on its way
            self._read[site_id] = (time.monotonic(), versions)
        return versions

    async def at(self, site_id: str, on: date) -> PriceList | None:
        return in_force(await self.versions(site_id), on)

    async def version(self, site_id: str, version: int) -> PriceList | None:
        """One version of the site's list, as it was published (versions are never rewritten)."""
        doc = await self.collection.find_one({"_id": f"{site_id}:{version}"})
        return None if doc is None else price_list_of(doc)

    async def current(self, site_id: str) -> PriceList | None:
        versions = await self.versions(site_id, fresh=True)
        return versions[-1] if versions else None

    async def publish(self, prices: PriceList, expected_version: int | None) -> PriceList:
        """Insert `prices` as the next version; `expected_version` (the one the admin read) guards it."""
        current = await self.current(prices.site_id)
        current_version = current.version if current else 0
        if expected_version is not None and expected_version != current_version:
            raise Refused.stale(f"the price list of {prices.site_id} is at version {current_version}")
        version = current_version + 1
        saved = PriceList(**{**prices.__dict__, "version": version})
        try:
            await self.collection.insert_one({"_id": f"{prices.site_id}:{version}", **price_list_state(saved)})
        except PyMongoError as exc:
            if not is_duplicate_key(exc):
                raise
            raise Refused.stale(f"the price list of {prices.site_id} changed meanwhile; read it again") from None
        self._read.pop(prices.site_id, None)
        return saved

    async def sites(self) -> list[str]:
        return sorted(str(s) for s in await self.collection.distinct("site_id"))
