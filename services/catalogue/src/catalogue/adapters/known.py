"""The kit's sites and members projections (`parkgrid.known`) and the catalogue's spaces, read as its facts.

The documents are the kit's; only their mapping to `SiteFacts` and `MemberFacts` is the
catalogue's own, so the domain decides on its own types.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from catalogue.adapters.spaces import KnownSpaces
from catalogue.domain.member import MemberFacts
from catalogue.domain.offering import SiteFacts
from catalogue.domain.spaces import SpaceFacts
from parkgrid.contracts.community import MemberStatus
from parkgrid.contracts.spaces import SiteStatus
from parkgrid.known import KnownMembers, KnownSites
from parkgrid.store import Document

SiteLookup = Callable[[str], Awaitable[SiteFacts | None]]
MemberLookup = Callable[[str], Awaitable[MemberFacts | None]]


def site_facts(doc: Document | None, spaces: tuple[SpaceFacts, ...] | None = None) -> SiteFacts | None:
    if doc is None:
        return None
    return SiteFacts(
        site_id=doc["_id"],
        time_zone=doc["time_zone"],
        open=doc["status"] == SiteStatus.OPEN.value,
        name=str(doc.get("name") or doc["_id"]),
        spaces=spaces,
    )


def member_facts(doc: Document | None) -> MemberFacts | None:
    if doc is None:
        return None
    left = doc["status"] == MemberStatus.LEFT.value
    return MemberFacts(member_id=doc["_id"], kind=doc["kind"], stage=doc["stage"], left=left, cohort=doc.get("cohort"))


def site_lookup(sites: KnownSites, spaces: KnownSpaces) -> SiteLookup:
    """A site with its active spaces (what publishing an offering decides on)."""

    async def lookup(site_id: str) -> SiteFacts | None:
        doc = await sites.get(site_id)
        return None if doc is None else site_facts(doc, await spaces.at_site(site_id))

    return lookup


def member_lookup(members: KnownMembers) -> MemberLookup:
    async def lookup(member_id: str) -> MemberFacts | None:
        return member_facts(await members.get(member_id))

    return lookup
