"""The member organisations of the community context, as spaces' rules need them.

The kit's `KnownMembers` keeps the projection of `community.member`; a residency or a place
in the waitlist goes only to an organisation it knows and that has not left.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from parkgrid.contracts.community import MemberStatus


@dataclass(frozen=True)
class Member:
    member_id: str
    name: str
    status: MemberStatus
    home_site_id: str

    @property
    def active(self) -> bool:
        return self.status == MemberStatus.ACTIVE


def member_from(doc: dict[str, Any] | None) -> Member | None:
    """The facts of a projected member document (None for a member not known)."""
    if doc is None:
        return None
    return Member(
        member_id=doc["member_id"],
        name=doc["name"],
        status=MemberStatus(doc["status"]),
        home_site_id=doc["home_site_id"],
    )
