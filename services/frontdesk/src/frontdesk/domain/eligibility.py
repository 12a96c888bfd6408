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


def named(t: Translate, vocabulary: str, value: str | None) -> str:
    """A member kind or programme stage in the reader's words (`member.kind.tpe` is "very small
    business"); a value the catalogues do not know yet is shown as it is, never as a key."""
    if not value:
        return "?"
    key = f"{vocabulary}.{value}"
    text = t(key)
    return value if text == key else text


def ineligibility(rules: Eligibility, member: Standing, t: Translate) -> str | None:
    """None if the member may use an offering with these rules, else the reason (kind first, then stage)."""
    if member.left:
        return t("ineligible.left")
    kinds = [str(k) for k in rules.member_kinds]
    stages = [str(s) for s in rules.stages]
    if kinds and member.kind not in kinds:
        return t(
            "ineligible.kind",
            kinds=", ".join(named(t, "member.kind", k) for k in kinds),
            kind=named(t, "member.kind", member.kind),
        )
    if stages and member.stage not in stages:
        return t(
            "ineligible.stage",
            stages=", ".join(named(t, "member.stage", s) for s in stages),
            stage=named(t, "member.stage", member.stage),
        )
    return None


def open_to(rules: Eligibility, t: Translate) -> str:
    """Who an offering is for, in the reader's words, e.g. `startup, project holder (incubation)`."""
    kinds = ", ".join(named(t, "member.kind", str(k)) for k in rules.member_kinds) or t("offering.anyone")
    stages = ", ".join(named(t, "member.stage", str(s)) for s in rules.stages)
    return f"{kinds} ({stages})" if stages else kinds
