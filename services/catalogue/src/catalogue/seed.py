"""`parkgrid seed` for the catalogue: the demo service grid, through the command handlers.

Sites are spaces' facts: the catalogue learns them only from `spaces.site` events, and
the seeder publishes nothing about sites itself. It reads that topic into the sites
projection (its own consumer group, from the beginning) for up to
`CATALOGUE_SEED_SITE_WAIT` seconds (default 20) until the eight demo sites are known,
and `spaces.space` (the spaces of each site) until every known site has spaces and none
arrived for a second, then creates and publishes the offerings of every known site and of
the whole network. Offerings of a site spaces has not registered yet are skipped and named
in the summary; an offering no known space of its site can host stays a draft and is named
too; seeding again after spaces has seeded adds and publishes them (ids are deterministic,
so what exists is left as it is). Seed spaces before the catalogue.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import replace
from typing import Any

from catalogue.adapters.spaces import KnownSpaces
from catalogue.bootstrap import CatalogueParts, build, subscriptions
from catalogue.domain.offering import NoSpaceFor, OfferingDetails
from catalogue.seed_data import DEMO_SITES, demo_offerings
from catalogue.settings import CatalogueSettings
from parkgrid.contracts.catalogue import OfferingStatus
from parkgrid.known import KnownSites
from parkgrid.outbox import pending_count
from parkgrid.settings import KitSettings

SEED_CONCURRENCY = 4


async def _wait_for_sites(sites: KnownSites, within: float) -> set[str]:
    deadline = time.monotonic() + within
    while True:
        known = await sites.known_ids()
        if set(DEMO_SITES) <= known or time.monotonic() > deadline:
            return known
        await asyncio.sleep(0.5)


async def _wait_for_spaces(spaces: KnownSpaces, site_ids: set[str], within: float) -> None:
    """Until every site has spaces known and no new space arrived for a second (or `within` s)."""
    deadline = time.monotonic() + within
    seen, quiet_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        count = await spaces.projection.collection.count_documents({})
        if count != seen:
            seen, quiet_since = count, time.monotonic()
        missing = [s for s in site_ids if await spaces.at_site(s) is None]
        if not missing and time.monotonic() - quiet_since >= 1.0:
            return
        await asyncio.sleep(0.3)


async def seed_offerings(parts: CatalogueParts, known_sites: set[str]) -> tuple[int, int, list[str], list[str]]:
    """Create and publish what is missing; returns (created, published, skipped sites, offerings left drafts)."""
    skipped = sorted({b["site_id"] for _, b in demo_offerings() if b.get("site_id") not in (None, *known_sites)})
    wanted = [(i, b) for i, b in demo_offerings() if b.get("site_id") is None or b["site_id"] in known_sites]
    done: list[tuple[bool, bool]] = []
    unhosted: list[str] = []
    gate = asyncio.Semaphore(SEED_CONCURRENCY)

    async def one(offering_id: str, body: dict[str, Any]) -> None:
        async with gate:
            created = published = False
            found = await parts.offerings.get(offering_id)
            try:
                if found is None:
                    created = True
                    await parts.catalogue.create_offering(
                        offering_id, OfferingDetails.model_validate(body), publish=True
                    )
                    published = True
                elif found["status"] == OfferingStatus.DRAFT.value:
                    await parts.catalogue.publish_offering(offering_id)
                    published = True
            except NoSpaceFor as refused:
                if found is None:  # kept as a draft, published by a later seed once a space can host it
                    await parts.catalogue.create_offering(offering_id, OfferingDetails.model_validate(body))
                unhosted.append(f"{offering_id} ({refused.detail})")
            done.append((created, published))

    await asyncio.gather(*(one(i, b) for i, b in wanted))
    return sum(c for c, _ in done), sum(p for _, p in done), skipped, sorted(unhosted)


async def seed(settings: KitSettings | None = None, site_wait: float | None = None) -> str:
    config = CatalogueSettings.of(settings)
    within = site_wait if site_wait is not None else float(os.environ.get("CATALOGUE_SEED_SITE_WAIT", "20"))
    parts = build(config, consumers=False)
    runtime = parts.runtime
    sites_subscription, spaces_subscription = subscriptions(parts.sites, parts.members, parts.spaces)[:2]
    runtime.subscribe(
        replace(sites_subscription, group=f"{config.service_name}.sites-seed-{os.getpid()}"),
        replace(spaces_subscription, group=f"{config.service_name}.spaces-seed-{os.getpid()}"),
    )
    await runtime.start()
    try:
        await parts.offerings.ensure_indexes()
        known = await _wait_for_sites(parts.sites, within)
        await _wait_for_spaces(parts.spaces, known & set(DEMO_SITES), within)
        created, published, skipped, drafts = await seed_offerings(parts, known)
        runtime.notify_relay()
        deadline = time.monotonic() + 60
        while await pending_count(parts.offerings.collection) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        waiting = await pending_count(parts.offerings.collection)
    finally:
        await runtime.stop()
    total = await _count(config)
    summary = f"{total} published offerings ({created} created, {published} published now)"
    if waiting:
        summary += f"; {waiting} events still in the outbox (the service's relay will send them)"
    if skipped:
        summary += f"; skipped sites not yet registered by spaces: {', '.join(skipped)} (seed again after spaces)"
    if drafts:
        summary += f"; left as drafts, no known space hosts them: {'; '.join(drafts)}"
    return summary


async def _count(settings: KitSettings) -> int:
    parts = build(CatalogueSettings.of(settings), consumers=False)
    try:
        return await parts.offerings.collection.count_documents({"status": OfferingStatus.PUBLISHED.value})
    finally:
        await parts.runtime.mongo.close()
