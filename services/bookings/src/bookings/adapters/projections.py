"""What bookings knows of the other contexts, projected from their events (version-guarded).

- offerings from `catalogue.offering` (v2; the registry upcasts v1 payloads on read),
  kept as the full snapshot, since slots and rules need all of it;
- members from `community.member`: kind, stage, status, people, home site;
- sites from `spaces.site`: name and IANA time zone.

Every booking command reads its offering and its site's time zone. Both change rarely and
reach bookings through Kafka anyway, seconds after the fact at worst, so this process keeps
what it read for `RECENT_SECONDS` (and forgets an entry as soon as it applies a change to
it): two store reads fewer per command, for staleness of the same order as the projection's.
"""

from __future__ import annotations

import time
from typing import Generic, TypeVar

from bookings.domain.booking import MemberFacts
from parkgrid.contracts.catalogue import OfferingSnapshot
from parkgrid.contracts.community import MemberSnapshot, MemberStatus
from parkgrid.contracts.spaces import SiteSnapshot
from parkgrid.envelope import Envelope
from parkgrid.projection import Projection
from parkgrid.store import Collection, Database

RECENT_SECONDS = 2.0
T = TypeVar("T")


class Recent(Generic[T]):
    """What was read lately, by id, for `RECENT_SECONDS`; at most `size` entries."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._entries: dict[str, tuple[float, T]] = {}

    def get(self, key: str) -> T | None:
        found = self._entries.get(key)
        if found is None or found[0] < time.monotonic():
            return None
        return found[1]

    def put(self, key: str, value: T) -> T:
        if len(self._entries) >= self.size:
            self._entries.clear()  # rare: a fresh start costs one read per id
        self._entries[key] = (time.monotonic() + RECENT_SECONDS, value)
        return value

    def forget(self, key: str) -> None:
        self._entries.pop(key, None)


class Offerings:
    def __init__(self, collection: Collection) -> None:
        self.projection = Projection(collection)
        self.recent: Recent[OfferingSnapshot] = Recent()

    async def apply(self, envelope: Envelope, offering: OfferingSnapshot) -> bool:
        try:
            return await self.projection.apply_event(
                envelope,
                {
                    "snapshot": offering.model_dump(mode="json"),
                    "site_id": offering.site_id,
                    "status": offering.status.value,
                },
            )
        finally:
            self.recent.forget(offering.offering_id)

    async def get(self, offering_id: str) -> OfferingSnapshot | None:
        """The offering as projected, read at most `RECENT_SECONDS` ago."""
        recent = self.recent.get(offering_id)
        if recent is not None:
            return recent
        doc = await self.projection.get(offering_id)
        return None if doc is None else self.recent.put(offering_id, OfferingSnapshot.model_validate(doc["snapshot"]))

    async def published(self) -> list[OfferingSnapshot]:
        docs = await self.projection.collection.find({"status": "published"}).sort("_id", 1).to_list()
        return [OfferingSnapshot.model_validate(d["snapshot"]) for d in docs]


class Members:
    def __init__(self, collection: Collection) -> None:
        self.projection = Projection(collection)

    async def apply(self, envelope: Envelope, member: MemberSnapshot) -> bool:
        return await self.projection.apply_event(
            envelope,
            {
                "name": member.name,
                "kind": member.kind.value,
                "stage": member.programme.stage.value,
                "status": member.status.value,
                "home_site_id": member.home_site_id,
                "people": [p.person_id for p in member.people],
            },
        )

    async def get(self, member_id: str) -> MemberFacts | None:
        doc = await self.projection.get(member_id)
        return None if doc is None else _facts(doc)

    async def active(self) -> list[MemberFacts]:
        docs = await self.projection.collection.find({"status": MemberStatus.ACTIVE.value}).sort("_id", 1).to_list()
        return [_facts(d) for d in docs]

    async def names(self, member_ids: set[str]) -> dict[str, str]:
        if not member_ids:
            return {}
        docs = await self.projection.collection.find({"_id": {"$in": sorted(member_ids)}}, {"name": 1}).to_list()
        return {d["_id"]: d["name"] for d in docs}


def _facts(doc: dict[str, object]) -> MemberFacts:
    return MemberFacts(
        member_id=str(doc["_id"]),
        name=str(doc["name"]),
        kind=str(doc["kind"]),
        stage=str(doc["stage"]),
        active=doc["status"] == MemberStatus.ACTIVE.value,
        home_site_id=str(doc["home_site_id"]) if doc.get("home_site_id") else None,
        people=tuple(str(p) for p in doc.get("people", []) or []),  # type: ignore[attr-defined]
    )


class Sites:
    def __init__(self, collection: Collection) -> None:
        self.projection = Projection(collection)
        self.zones: Recent[str] = Recent()

    async def apply(self, envelope: Envelope, site: SiteSnapshot) -> bool:
        try:
            return await self.projection.apply_event(
                envelope,
                {"name": site.name, "city": site.city, "time_zone": site.time_zone, "status": site.status.value},
            )
        finally:
            self.zones.forget(site.site_id)

    async def time_zone(self, site_id: str | None) -> str | None:
        """The site's IANA time zone, read at most `RECENT_SECONDS` ago."""
        if site_id is None:
            return None
        recent = self.zones.get(site_id)
        if recent is not None:
            return recent
        doc = await self.projection.get(site_id)
        return None if doc is None else self.zones.put(site_id, str(doc["time_zone"]))

    async def name(self, site_id: str | None) -> str | None:
        if site_id is None:
            return None
        doc = await self.projection.get(site_id)
        return None if doc is None else str(doc["name"])


class Projections:
    """The three projections of one database."""

    def __init__(self, db: Database) -> None:
        self.offerings = Offerings(db["offerings"])
        self.members = Members(db["members"])
        self.sites = Sites(db["sites"])

    async def ensure_indexes(self) -> None:
        await self.offerings.projection.ensure_indexes("status")
        await self.members.projection.ensure_indexes("status")
