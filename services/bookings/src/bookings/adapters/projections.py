"""What bookings knows of the other contexts, projected from their events (version-guarded).

- offerings from `catalogue.offering` (v2; the registry upcasts v1 payloads on read),
  kept as the full snapshot, since slots and rules need all of it;
- members from `community.member`: kind, stage, status, people, home site;
- sites from `spaces.site`: name and IANA time zone.
"""

from __future__ import annotations

from bookings.domain.booking import MemberFacts
from parkgrid.contracts.catalogue import OfferingSnapshot
from parkgrid.contracts.community import MemberSnapshot, MemberStatus
from parkgrid.contracts.spaces import SiteSnapshot
from parkgrid.envelope import Envelope
from parkgrid.projection import Projection
from parkgrid.store import Collection, Database


class Offerings:
    def __init__(self, collection: Collection) -> None:
        self.projection = Projection(collection)

    async def apply(self, envelope: Envelope, offering: OfferingSnapshot) -> bool:
        return await self.projection.apply_event(
            envelope,
            {
                "snapshot": offering.model_dump(mode="json"),
                "site_id": offering.site_id,
                "status": offering.status.value,
            },
        )

    async def get(self, offering_id: str) -> OfferingSnapshot | None:
        doc = await self.projection.get(offering_id)
        return None if doc is None else OfferingSnapshot.model_validate(doc["snapshot"])

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

    async def apply(self, envelope: Envelope, site: SiteSnapshot) -> bool:
        return await self.projection.apply_event(
            envelope, {"name": site.name, "city": site.city, "time_zone": site.time_zone, "status": site.status.value}
        )

    async def time_zone(self, site_id: str | None) -> str | None:
        if site_id is None:
            return None
        doc = await self.projection.get(site_id)
        return None if doc is None else str(doc["time_zone"])

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
