"""A member's "today": the date on their home site's clock (issue 23), not the server's.

The member's record (community) names their home site, whose zone the web app's projection of
`spaces.site` knows (spaces' own read of a site is staff-only); a site not known there, spaces
is asked; community down, the network's default zone is used, as for a staff page."""

from __future__ import annotations

from datetime import date

from frontdesk.adapters.services import Services
from frontdesk.domain.today import local_date
from frontdesk.entrypoints.http.panels import Panel, attempt
from frontdesk.entrypoints.http.visitors import Visitor
from parkgrid.api.community import MemberRead


async def home_zone(services: Services, visitor: Visitor, member: Panel[MemberRead]) -> str:
    """The IANA zone of the member's home site, else the network's default."""
    if member.data is None:
        return services.default_time_zone
    known = await services.sites.time_zone(member.data.home_site_id) if services.sites else None
    if known:
        return known
    site = await attempt(services.spaces.site(visitor.token, member.data.home_site_id))
    return site.data.time_zone if site.data else services.default_time_zone


async def member_today(services: Services, visitor: Visitor, member: Panel[MemberRead]) -> date:
    return local_date(services.clock(), await home_zone(services, visitor, member))
