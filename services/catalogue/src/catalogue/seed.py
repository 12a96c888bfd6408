"""`parkgrid seed` for the catalogue: the demo service grid, through the command handlers.

Sites are spaces' facts: the catalogue learns them only from `spaces.site` events, and
the seeder publishes nothing about sites itself. It reads that topic into the sites
projection (its own consumer group, from the beginning) for up to
`CATALOGUE_SEED_SITE_WAIT` seconds (default 20) until the eight demo sites are known,
then creates and publishes the offerings of every known site and of the whole network.
Offerings of a site spaces has not registered yet are skipped and named in the summary;
seeding again after spaces has seeded adds them (ids are deterministic, so what exists is
left as it is). Seed spaces before the catalogue.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

from catalogue.bootstrap import build_runtime, settings_from_env
from catalogue.domain.offering import OfferingDetails
from catalogue.entrypoints.consumers import consume_sites
from catalogue.seed_data import DEMO_SITES, demo_offerings
from catalogue.service_layer.handlers import Catalogue
from parkgrid.contracts.catalogue import OfferingStatus
from parkgrid.outbox import pending_count
from parkgrid.settings import KitSettings

SEED_CONCURRENCY = 4


async def _wait_for_sites(catalogue: Catalogue, within: float) -> set[str]:
    deadline = time.monotonic() + within
    while True:
        known = await catalogue.sites.known_ids()
        if set(DEMO_SITES) <= known or time.monotonic() > deadline:
            return known
        await asyncio.sleep(0.5)


async def seed_offerings(catalogue: Catalogue, known_sites: set[str]) -> tuple[int, int, list[str]]:
    """Create and publish what is missing; returns (created, published, skipped sites)."""
    skipped = sorted({b["site_id"] for _, b in demo_offerings() if b.get("site_id") not in (None, *known_sites)})
    wanted = [(i, b) for i, b in demo_offerings() if b.get("site_id") is None or b["site_id"] in known_sites]
    done: list[tuple[bool, bool]] = []
    gate = asyncio.Semaphore(SEED_CONCURRENCY)

    async def one(offering_id: str, body: dict[str, Any]) -> None:
        async with gate:
            created = published = False
            found = await catalogue.offerings.get(offering_id)
            if found is None:
                await catalogue.create_offering(offering_id, OfferingDetails.model_validate(body), publish=True)
                created = published = True
            elif found[0].status == OfferingStatus.DRAFT:
                await catalogue.publish_offering(offering_id)
                published = True
            done.append((created, published))

    await asyncio.gather(*(one(i, b) for i, b in wanted))
    return sum(c for c, _ in done), sum(p for _, p in done), skipped


async def seed(settings: KitSettings | None = None, site_wait: float | None = None) -> str:
    settings = settings or settings_from_env()
    within = site_wait if site_wait is not None else float(os.environ.get("CATALOGUE_SEED_SITE_WAIT", "20"))
    runtime, catalogue, _members = build_runtime(settings, sites_consumer=False, members_consumer=False)
    consume_sites(runtime, catalogue, group=f"{settings.service_name}.sites-seed-{os.getpid()}")
    await runtime.start()
    try:
        await catalogue.offerings.ensure_indexes()
        known = await _wait_for_sites(catalogue, within)
        created, published, skipped = await seed_offerings(catalogue, known)
        runtime.notify_relay()
        deadline = time.monotonic() + 60
        while await pending_count(catalogue.offerings.collection) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        waiting = await pending_count(catalogue.offerings.collection)
    finally:
        await runtime.stop()
    total = await _count(settings)
    summary = f"{total} published offerings ({created} created, {published} published now)"
    if waiting:
        summary += f"; {waiting} events still in the outbox (the service's relay will send them)"
    if skipped:
        summary += f"; skipped sites not yet registered by spaces: {', '.join(skipped)} (seed again after spaces)"
    return summary


async def _count(settings: KitSettings) -> int:
    runtime, catalogue, _members = build_runtime(settings, sites_consumer=False, members_consumer=False)
    try:
        return await catalogue.offerings.collection.count_documents({"status": OfferingStatus.PUBLISHED.value})
    finally:
        await runtime.mongo.close()
