"""What bookings knows of the other contexts, projected from their events (version-guarded).

- offerings from `catalogue.offering` (v2; the registry upcasts v1 payloads on read),
  kept as the full snapshot, since slots and rules need all of it: bookings' own projection;
- members from `community.member` and sites from `spaces.site`: the kit's `KnownMembers`
  and `KnownSites` (collections `members` and `sites`), read here as bookings' `MemberFacts`.

Every booking command reads its offering, its member, and its site's time zone and calendar.
They change rarely and reach bookings through Kafka anyway, seconds after the fact at worst,
so this process keeps what it read for `RECENT_SECONDS` (and forgets an entry as soon as it
applies a change to it): three store reads fewer per command, for staleness of the same order
as the projection's.
"""

from __future__ import annotations

from collections.abc import Sequence

from bookings.domain.booking import MemberFacts
from parkgrid.contracts.catalogue import OfferingSnapshot
from parkgrid.contracts.community import MemberStatus
from parkgrid.envelope import Envelope
from parkgrid.known import KnownMembers, KnownSites, Recent
from parkgrid.projection import Projection
from parkgrid.store import Collection, Database, Document


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

    async def at_sites(self, site_ids: Sequence[str | None]) -> list[str]:
        """The ids of the offerings at these sites (None: the offerings of no site, online)."""
        docs = await self.projection.collection.find({"site_id": {"$in": list(site_ids)}}, {"_id": 1}).to_list()
        return [str(d["_id"]) for d in docs]

    async def published(self) -> list[OfferingSnapshot]:
        docs = await self.projection.collection.find({"status": "published"}).sort("_id", 1).to_list()
        return [OfferingSnapshot.model_validate(d["snapshot"]) for d in docs]


def member_facts(doc: Document) -> MemberFacts:
    """A `KnownMembers` document as what bookings' rules need of a member."""
    return MemberFacts(
        member_id=str(doc["_id"]),
        name=str(doc["name"]),
        kind=str(doc["kind"]),
        stage=str(doc["stage"]),
        active=doc["status"] == MemberStatus.ACTIVE.value,
        home_site_id=str(doc["home_site_id"]) if doc.get("home_site_id") else None,
        people=tuple(str(p) for p in doc.get("people") or []),
        cohort=str(doc["cohort"]) if doc.get("cohort") else None,
    )


class Projections:
    """The three projections of one database."""

    def __init__(self, db: Database) -> None:
        self.offerings = Offerings(db["offerings"])
        self.members = KnownMembers(db["members"])
        self.sites = KnownSites(db["sites"])

    async def member(self, member_id: str) -> MemberFacts | None:
        doc = await self.members.get(member_id)
        return None if doc is None else member_facts(doc)

    async def member_lately(self, member_id: str) -> MemberFacts | None:
        """The member as read at most `RECENT_SECONDS` ago: what a booking command checks."""
        doc = await self.members.lately(member_id)
        return None if doc is None else member_facts(doc)

    async def members_at(self, site_ids: Sequence[str]) -> list[str]:
        """The ids of the member organisations whose home is one of these sites."""
        found = self.members.projection.collection.find({"home_site_id": {"$in": list(site_ids)}}, {"_id": 1})
        return [str(d["_id"]) for d in await found.to_list()]

    async def active_members(self) -> list[MemberFacts]:
        return [member_facts(d) for d in await self.members.active()]

    async def ensure_indexes(self) -> None:
        await self.offerings.projection.ensure_indexes("status")
        await self.members.projection.ensure_indexes("status")
