"""Command handlers of the catalogue, and the handlers that keep the sites, spaces and members projections.

Each command is load → decide → save through the kit's `change`: the domain's pure rule
decides on the offering as stored and says what happened, the publication turns that into
the public events, and the result is written with them in one version-guarded update (the
embedded outbox), so an event is published if and only if its change is stored. Refusals
are the domain's `Refused` kinds; the kit turns them into problems.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from catalogue.adapters.known import SiteLookup
from catalogue.adapters.offerings import offering_of, state_of
from catalogue.adapters.spaces import KnownSpaces
from catalogue.domain import offering as rules
from catalogue.domain.offering import Offering, OfferingDetails, SiteFacts
from catalogue.service_layer.publication import publication
from parkgrid.aggregates import AggregateStore, change
from parkgrid.clock import utc_now
from parkgrid.consumer import Delivery
from parkgrid.contracts.community import MemberSnapshot
from parkgrid.contracts.spaces import SiteSnapshot, SpaceSnapshot
from parkgrid.domain import DomainEvent
from parkgrid.events import IntegrationEvent
from parkgrid.known import KnownMembers, KnownSites
from parkgrid.outbox import AlreadyExists
from parkgrid.refusals import Refusal, Refused
from parkgrid.store import Document

Step = Callable[[Offering, "Sites"], tuple[Offering, list[DomainEvent]]]
"""A pure lifecycle step: the offering as stored and the sites it names → the new offering and what happened."""


class UnknownOffering(Refused):
    def __init__(self, offering_id: str) -> None:
        super().__init__(Refusal.NOT_FOUND, f"there is no offering {offering_id}")


class _SiteNeeded(Exception):
    def __init__(self, site_id: str) -> None:
        super().__init__(site_id)
        self.site_id = site_id


class Sites:
    """The sites a step may name, as read before it ran; one it names unread makes the handler read it and rerun."""

    def __init__(self, known: dict[str, SiteFacts | None]) -> None:
        self.known = known

    def of(self, site_id: str | None) -> SiteFacts | None:
        if site_id is None:
            return None
        if site_id not in self.known:
            raise _SiteNeeded(site_id)
        return self.known[site_id]


@dataclass
class Catalogue:
    """What the command handlers need: the offerings' store, the sites lookup, a clock, and a nudge for the relay."""

    offerings: AggregateStore
    site_facts: SiteLookup
    clock: Callable[[], datetime] = utc_now
    written: Callable[[], None] = field(default=lambda: None)

    async def create_offering(
        self, offering_id: str, details: OfferingDetails, *, publish: bool = False
    ) -> tuple[Offering, int]:
        """A new draft (or, with `publish`, a draft published in the same write).

        A retried command with the same id finds the first run's offering."""
        site = await self.site_facts(details.site_id) if details.site_id else None
        offering, happened = rules.draft(offering_id, details, site, self.clock())
        if publish:
            offering, opened = rules.publish(offering, site, self.clock())
            happened = [*happened, *opened]
        events = publication(happened)
        try:
            version = await self.offerings.create(offering_id, state_of(offering), events)
        except AlreadyExists:
            return await self.get(offering_id)
        if events:
            self.written()
        return offering, version

    async def get(self, offering_id: str) -> tuple[Offering, int]:
        doc = await self.offerings.get(offering_id)
        if doc is None:
            raise UnknownOffering(offering_id)
        return offering_of(doc), int(doc["version"])

    async def revise_offering(
        self, offering_id: str, expected_version: int, revision: Callable[[OfferingDetails], OfferingDetails]
    ) -> tuple[Offering, int]:
        def step(offering: Offering, sites: Sites) -> tuple[Offering, list[DomainEvent]]:
            details = revision(offering.details)
            return rules.revise(offering, details, sites.of(details.site_id), self.clock())

        return await self._change(offering_id, expected_version, step)

    async def publish_offering(self, offering_id: str, expected_version: int | None = None) -> tuple[Offering, int]:
        def step(offering: Offering, sites: Sites) -> tuple[Offering, list[DomainEvent]]:
            return rules.publish(offering, sites.of(offering.details.site_id), self.clock())

        return await self._change(offering_id, expected_version, step)

    async def withdraw_offering(self, offering_id: str, expected_version: int | None = None) -> tuple[Offering, int]:
        def step(offering: Offering, sites: Sites) -> tuple[Offering, list[DomainEvent]]:
            return rules.withdraw(offering, self.clock())

        return await self._change(offering_id, expected_version, step)

    async def _change(self, offering_id: str, expected_version: int | None, step: Step) -> tuple[Offering, int]:
        known: dict[str, SiteFacts | None] = {}

        def rule(doc: Document) -> tuple[Document, Sequence[IntegrationEvent]]:
            changed, happened = step(offering_of(doc), Sites(known))
            return state_of(changed), publication(happened)

        while True:
            try:
                doc, version = await change(
                    self.offerings, offering_id, rule, expected_version=expected_version, what="offering"
                )
            except _SiteNeeded as needed:
                known[needed.site_id] = await self.site_facts(needed.site_id)
                continue
            self.written()
            return offering_of(doc), version


def site_handler(sites: KnownSites) -> Callable[[Delivery], Awaitable[None]]:
    """SiteRegistered / SiteUpdated → the sites projection (idempotent by sequence)."""

    async def on_site_event(delivery: Delivery) -> None:
        if isinstance(delivery.event, SiteSnapshot):
            await sites.apply(delivery.envelope, delivery.event)

    return on_site_event


def space_handler(spaces: KnownSpaces) -> Callable[[Delivery], Awaitable[None]]:
    """SpaceAdded / SpaceUpdated / SpaceRetired (each the space's full state) → the spaces projection."""

    async def on_space_event(delivery: Delivery) -> None:
        if isinstance(delivery.event, SpaceSnapshot):
            await spaces.apply(delivery.envelope, delivery.event)

    return on_space_event


def member_handler(members: KnownMembers) -> Callable[[Delivery], Awaitable[None]]:
    """Every community.member event carries the member's full state → the members projection."""

    async def on_member_event(delivery: Delivery) -> None:
        if isinstance(delivery.event, MemberSnapshot):
            await members.apply(delivery.envelope, delivery.event)

    return on_member_event
