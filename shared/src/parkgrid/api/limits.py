"""Bookings' read models of the per-period limits per plan: a site's rules (admins and its
staff) and how much of each a member has used this period (the member and staff)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from parkgrid.contracts.bookings import LimitRule
from parkgrid.contracts.common import Actor
from parkgrid.http.models import ReadModel


class LimitPolicyRead(ReadModel):
    """A site's limits; `version` is the ETag an admin sends back in If-Match (0: never set)."""

    site_id: str
    version: int
    rules: list[LimitRule]
    changed_by: Actor | None = None
    changed_at: dt.datetime | None = None


class LimitUsageRead(ReadModel):
    """One rule that applies to the member, and how much of it this period's bookings hold."""

    rule: LimitRule
    period_start: dt.date
    period_end: dt.date = Field(description="Last day, inclusive.")
    used: float = Field(description="Hours (room_hours) or sessions (sessions) held by this period's bookings.")
    max: int
    remaining: float


class LimitUsagePage(ReadModel):
    """The member's limits at a site (its home site unless named)."""

    member_id: str
    site_id: str | None
    items: list[LimitUsageRead]


__all__ = ["LimitPolicyRead", "LimitUsagePage", "LimitUsageRead"]
