"""What the catalogue knows of a member organisation: enough to decide eligibility locally."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MemberFacts:
    """A member's kind, programme stage and cohort as community last said; `left` members use nothing."""

    member_id: str
    kind: str
    stage: str
    left: bool
    cohort: str | None = None
