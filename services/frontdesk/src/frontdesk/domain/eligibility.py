"""Why a member organisation may not use an offering, in words a member understands.

Catalogue decides eligibility; this only explains an offering the grid left out, so
the member sees the reason before bookings refuses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from frontdesk.domain.messages import Translate


def ineligibility(offering: Mapping[str, Any], member: Mapping[str, Any], t: Translate) -> str | None:
    """None if the member may use the offering, else the reason (kind first, then stage)."""
    if member.get("status") == "left":
        return t("ineligible.left")
    rules = offering.get("eligibility") or {}
    kinds = list(rules.get("member_kinds") or [])
    stages = list(rules.get("stages") or [])
    kind = member.get("kind")
    stage = (member.get("programme") or {}).get("stage")
    if kinds and kind not in kinds:
        return t("ineligible.kind", kinds=", ".join(kinds), kind=kind or "?")
    if stages and stage not in stages:
        return t("ineligible.stage", stages=", ".join(stages), stage=stage or "?")
    return None


def open_to(offering: Mapping[str, Any], t: Translate) -> str:
    """Who an offering is for, e.g. `startup, project_holder (incubation)`."""
    rules = offering.get("eligibility") or {}
    kinds = ", ".join(rules.get("member_kinds") or []) or t("offering.anyone")
    stages = ", ".join(rules.get("stages") or [])
    return f"{kinds} ({stages})" if stages else kinds
