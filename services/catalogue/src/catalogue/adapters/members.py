"""The members projection: each member organisation's kind, stage and status from community.

Kept by the kit's version guard, so duplicates and out-of-order redeliveries leave the
newest state; eligibility searches read it instead of calling community.
"""

from __future__ import annotations

from catalogue.domain.member import MemberFacts
from parkgrid.contracts.community import MemberSnapshot, MemberStatus
from parkgrid.envelope import Envelope
from parkgrid.projection import Projection
from parkgrid.store import Collection


class Members:
    def __init__(self, collection: Collection) -> None:
        self.projection = Projection(collection)

    async def apply(self, envelope: Envelope, member: MemberSnapshot) -> bool:
        return await self.projection.apply_event(
            envelope,
            {"kind": member.kind.value, "stage": member.programme.stage.value, "status": member.status.value},
        )

    async def get(self, member_id: str) -> MemberFacts | None:
        doc = await self.projection.get(member_id)
        if doc is None:
            return None
        return MemberFacts(
            member_id=member_id, kind=doc["kind"], stage=doc["stage"], left=doc["status"] == MemberStatus.LEFT.value
        )
