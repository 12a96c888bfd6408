"""The network's member organisations as the web app knows them, projected from `community.member`.

Community shows a front desk only the members based at its sites (another site's is a 404),
yet a member based elsewhere may book here: the desk's page of that member still names the
organisation and its home site from this projection. Only what a name needs is kept (the kit's
`KnownMembers`: name, kind, stage, status, home site, person ids; no person's name or email).
Version-guarded, rebuildable (`parkgrid rebuild frontdesk members`), filled by the web app's one
shared consumer group.
"""

from __future__ import annotations

from dataclasses import dataclass

from parkgrid.consumer import Delivery
from parkgrid.contracts.community import MemberSnapshot
from parkgrid.known import KnownMembers
from parkgrid.store import Collection


@dataclass(frozen=True)
class KnownMember:
    """What any desk may be told of an organisation: its name and where it is based."""

    member_id: str
    name: str
    home_site_id: str | None


class MemberDirectory:
    """Names and home sites of the member organisations, from the web app's own store."""

    def __init__(self, collection: Collection) -> None:
        self.known = KnownMembers(collection)

    @property
    def collection(self) -> Collection:
        return self.known.projection.collection

    async def record(self, delivery: Delivery) -> None:
        """Apply a member's snapshot; the topic's other messages are passed over."""
        if isinstance(delivery.event, MemberSnapshot):
            await self.known.apply(delivery.envelope, delivery.event)

    async def get(self, member_id: str) -> KnownMember | None:
        doc = await self.known.get(member_id)
        if doc is None:
            return None
        return KnownMember(member_id, str(doc["name"]), doc.get("home_site_id"))
