"""Bookings' per-period limits per plan, as the web app calls them: a site's rules (staff read,
admins replace them under If-Match) and a member's usage of them this period."""

from __future__ import annotations

from typing import Any

from frontdesk.adapters.services import Bookings
from parkgrid.api.limits import LimitPolicyRead, LimitUsagePage


async def site_limits(bookings: Bookings, token: str, site_id: str) -> LimitPolicyRead:
    return await bookings.read(LimitPolicyRead, f"/v1/sites/{site_id}/limits", token)


async def set_site_limits(
    bookings: Bookings, token: str, site_id: str, rules: list[dict[str, Any]], version: str
) -> LimitPolicyRead:
    """Replace the site's rules if they are still at `version` (the one the form was drawn from)."""
    path = f"/v1/sites/{site_id}/limits"
    response = await bookings.call("PUT", path, token, body={"rules": rules}, headers={"If-Match": f'"{version}"'})
    return bookings.parse(LimitPolicyRead, response.json(), path)


async def member_limits(bookings: Bookings, token: str, member_id: str) -> LimitUsagePage:
    return await bookings.read(LimitUsagePage, f"/v1/members/{member_id}/limits", token)
