"""Why a member organisation may not use an offering, in words a member understands.

Catalogue decides eligibility; this only explains an offering the grid left out, so
the member sees the reason before bookings refuses.
"""

from __future__ import annotations

from dataclasses import dataclass

from frontdesk.domain.messages import Translate
from parkgrid.contracts.common import Eligibility


@dataclass(frozen=True)
class Standing:
    """What eligibility looks at in a member organisation: its kind, programme stage, and whether it left."""

    kind: str | None
    stage: str | None
    left: bool = False


def ineligibility(rules: Eligibility, member: Standing, t: Translate) -> str | None:
    """None if the member may use an offering with these rules, else the reason (kind first, then stage)."""
    if member.left:
        return t("ineligible.left")
    kinds = [str(k) for k in rules.member_kinds]
    stages = [str(s) for s in rules.stages]
    if kinds and member.kind not in kinds:
        return t("ineligible.kind", kinds=", ".join(kinds), kind=member.kind or "?")
    if stages and member.stage not in stages:
        return t("ineligible.stage", stages=", ".join(stages), stage=member.stage or "?")
    return None


def open_to(rules: Eligibility, t: Translate) -> str:
    """Who an offering is for, e.g. `startup, project_holder (incubation)`."""
    kinds = ", ".join(str(k) for k in rules.member_kinds) or t("offering.anyone")
    stages = ", ".join(str(s) for s in rules.stages)
    return f"{kinds} ({stages})" if stages else kinds
