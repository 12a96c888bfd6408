"""The member organisations of the community context, as spaces knows them.

A projection of `community.member` (one document per member, version-guarded), so a
residency is allocated only to an organisation the community service knows and that
has not left, and views can show the organisation's name without asking anyone.
"""

from __future__ import annotations

from dataclasses import dataclass

from parkgrid.contracts.community import MemberSnapshot, MemberStatus
from parkgrid.envelope import Envelope
from parkgrid.projection import Projection
from parkgrid.store import Database


@dataclass(frozen=True)
class Member:
    member_id: str
    name: str
    status: MemberStatus
    home_site_id: str

    @property
    def active(self) -> bool:
        return self.status == MemberStatus.ACTIVE


class Members:
    """Read side of the members: applied from events, read by residencies and views."""

    def __init__(self, db: Database) -> None:
        self.projection = Projection(db["members"])

    async def apply(self, envelope: Envelope, member: MemberSnapshot) -> bool:
        """Keep the member as the event says, unless a newer event was already applied."""
        return await self.projection.apply(
            member.member_id,
            envelope.sequence,
            {
                "member_id": member.member_id,
                "name": member.name,
                "kind": member.kind.value,
                "status": member.status.value,
                "home_site_id": member.home_site_id,
                "stage": member.programme.stage.value,
            },
        )

    async def get(self, member_id: str) -> Member | None:
        doc = await self.projection.get(member_id)
        if doc is None:
            return None
        return Member(
            member_id=doc["member_id"],
            name=doc["name"],
            status=MemberStatus(doc["status"]),
            home_site_id=doc["home_site_id"],
        )

    async def names(self, member_ids: set[str]) -> dict[str, str]:
        """The names of these members (those not known are left out)."""
        if not member_ids:
            return {}
        docs = await self.projection.collection.find(
            {"_id": {"$in": sorted(member_ids)}}, {"_id": 1, "name": 1}
        ).to_list()
        return {d["_id"]: d["name"] for d in docs}
