"""Command handlers of the catalogue, and the handlers that keep the sites and members projections.

Each command reads one offering, applies a pure domain function and writes the result
with its events in one version-guarded update (the kit's embedded outbox), so an event
is published if and only if its change is stored.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from catalogue.adapters.members import Members
from catalogue.adapters.offerings import Offerings
from catalogue.adapters.sites import Sites
from catalogue.domain import offering as rules
from catalogue.domain.offering import Offering, OfferingDetails
from parkgrid.consumer import Delivery
from parkgrid.contracts.community import MemberSnapshot
from parkgrid.contracts.spaces import SiteSnapshot
from parkgrid.events import IntegrationEvent
from parkgrid.outbox import AlreadyExists, VersionConflict


class UnknownOffering(LookupError):
    pass


class StaleVersion(Exception):
    """The offering changed since the version the caller saw."""


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Catalogue:
    """What the command handlers need: the repositories, a clock, and a nudge for the relay."""

    offerings: Offerings
    sites: Sites
    clock: Callable[[], datetime] = _now
    written: Callable[[], None] = field(default=lambda: None)

    async def create_offering(
        self, offering_id: str, details: OfferingDetails, *, publish: bool = False
    ) -> tuple[Offering, int]:
        """A new draft (or, with `publish`, a draft published in the same write).

        A retried command with the same id finds the first run's offering."""
        site = await self.sites.get(details.site_id) if details.site_id else None
        offering = rules.draft(offering_id, details, site, self.clock())
        events: list[IntegrationEvent] = []
        if publish:
            offering, events = rules.publish(offering, site, self.clock())
        try:
            version = await self.offerings.add(offering, events)
        except AlreadyExists:
            found = await self.offerings.get(offering_id)
            if found is None:  # pragma: no cover - created and gone at once
                raise
            return found
        if events:
            self.written()
        return offering, version

    async def get(self, offering_id: str) -> tuple[Offering, int]:
        found = await self.offerings.get(offering_id)
        if found is None:
            raise UnknownOffering(offering_id)
        return found

    async def revise_offering(
        self, offering_id: str, expected_version: int, change: Callable[[OfferingDetails], OfferingDetails]
    ) -> tuple[Offering, int]:
        offering, version = await self.get(offering_id)
        if version != expected_version:
            raise StaleVersion(f"offering {offering_id} is at version {version}, not {expected_version}")
        details = change(offering.details)
        site = await self.sites.get(details.site_id) if details.site_id else None
        revised, events = rules.revise(offering, details, site, self.clock())
        return revised, await self._save(revised, version, events)

    async def publish_offering(self, offering_id: str, expected_version: int | None = None) -> tuple[Offering, int]:
        offering, version = await self.get(offering_id)
        if expected_version is not None and version != expected_version:
            raise StaleVersion(f"offering {offering_id} is at version {version}, not {expected_version}")
        site_id = offering.details.site_id
        site = await self.sites.get(site_id) if site_id else None
        published, events = rules.publish(offering, site, self.clock())
        return published, await self._save(published, version, events)

    async def withdraw_offering(self, offering_id: str, expected_version: int | None = None) -> tuple[Offering, int]:
        offering, version = await self.get(offering_id)
        if expected_version is not None and version != expected_version:
            raise StaleVersion(f"offering {offering_id} is at version {version}, not {expected_version}")
        withdrawn, events = rules.withdraw(offering, self.clock())
        return withdrawn, await self._save(withdrawn, version, events)

    async def _save(self, offering: Offering, version: int, events: list[Any]) -> int:
        try:
            new_version = await self.offerings.save(offering, version, events)
        except VersionConflict:
            raise StaleVersion(f"offering {offering.offering_id} changed meanwhile") from None
        self.written()
        return new_version

    async def on_site_event(self, delivery: Delivery) -> None:
        """SiteRegistered / SiteUpdated → the local sites projection (idempotent by sequence)."""
        if isinstance(delivery.event, SiteSnapshot):
            await self.sites.apply(delivery.envelope, delivery.event)


def member_handler(members: Members) -> Callable[[Delivery], Awaitable[None]]:
    """Every community.member event carries the member's full state → the members projection."""

    async def on_member_event(delivery: Delivery) -> None:
        if isinstance(delivery.event, MemberSnapshot):
            await members.apply(delivery.envelope, delivery.event)

    return on_member_event
