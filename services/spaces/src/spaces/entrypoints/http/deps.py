"""What routes are given: the service's parts by type (`provide` in bootstrap), and site look-ups
that answer the way DESIGN.md says (a site named in a body: 422; a path of another site: 404)."""

from __future__ import annotations

from typing import Annotated

from parkgrid.auth import Principal
from parkgrid.http.access import at_site, component
from parkgrid.known import KnownMembers
from parkgrid.refusals import Refused
from parkgrid.store import Document
from spaces.adapters.day_passes import DayPassStore
from spaces.adapters.stores import SpacesStore
from spaces.domain.model import Site
from spaces.service_layer.day_passes import DayPasses
from spaces.service_layer.handlers import Inventory, Reservations
from spaces.service_layer.residencies import Residencies
from spaces.service_layer.waitlist import Waitlist

Store = Annotated[SpacesStore, component(SpacesStore)]
InventoryPart = Annotated[Inventory, component(Inventory)]
ReservationsPart = Annotated[Reservations, component(Reservations)]
ResidenciesPart = Annotated[Residencies, component(Residencies)]
WaitlistPart = Annotated[Waitlist, component(Waitlist)]
DayPassesPart = Annotated[DayPasses, component(DayPasses)]
DayPassCounts = Annotated[DayPassStore, component(DayPassStore)]
Members = Annotated[KnownMembers, component(KnownMembers)]


async def named_site(store: SpacesStore, principal: Principal, site_id: str) -> Site:
    """The site a request body names: unknown is invalid input (422), another desk's is forbidden (403)."""
    found = await store.site(site_id)
    if found is None:
        raise Refused.invalid(f"there is no site {site_id}", field="site_id")
    at_site(principal, site_id)
    return found[0]


async def visible_site(store: SpacesStore, principal: Principal, site_id: str) -> Site:
    """The site of a path: unknown, or another desk's, is not found (404)."""
    found = await store.site(site_id)
    if found is None:
        raise Refused.not_found(f"there is no site {site_id}")
    at_site(principal, site_id, hidden=True)
    return found[0]


def members_own(doc: Document | None, principal: Principal, what: str, aggregate_id: str) -> Document:
    """A member organisation's thing (residency, waitlist entry), if the caller may see it: theirs, at their site."""
    if doc is None or not (
        principal.may_act_for_member(doc["member_id"]) and principal.may_act_at_site(doc["site_id"])
    ):
        raise Refused.not_found(f"there is no {what} {aggregate_id}")
    return doc
