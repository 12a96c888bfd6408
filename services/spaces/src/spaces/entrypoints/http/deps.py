"""What routes are given: the service's parts by type (`provide` in bootstrap), and look-ups that
answer by the kit's one rule of what a caller sees (`parkgrid.http.access.Scope`, DESIGN.md):
a site named in a body is unknown (422) or another desk's (403); a site in a path, or a thing
of another site or organisation, is not found (404)."""

from __future__ import annotations

from typing import Annotated

from parkgrid.auth import Principal
from parkgrid.http.access import Scope, at_site, component
from parkgrid.known import KnownMembers
from parkgrid.refusals import Refused
from parkgrid.store import Document
from spaces.adapters.day_passes import DayPassStore
from spaces.adapters.stores import SpacesStore
from spaces.domain.sites import Site
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


async def site_in_scope(store: SpacesStore, principal: Principal, site_id: str) -> tuple[Site, int]:
    """The site of a path, and its version: unknown, or not the caller's to see, is not found (404)."""
    Scope(principal).require(f"site {site_id}", site_id=site_id)
    found = await store.site(site_id)
    if found is None:
        raise Refused.not_found(f"there is no site {site_id}")
    return found


def in_scope(doc: Document | None, principal: Principal, what: str) -> Document:
    """A stored thing of a site (and of a member organisation, if it has one), if the caller sees it; else 404."""
    if doc is None:
        raise Refused.not_found(f"there is no {what}")
    Scope(principal).require(what, site_id=doc["site_id"], member_id=doc.get("member_id"))
    return doc
