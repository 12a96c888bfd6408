"""`parkgrid seed` for bookings: a few dozen demo bookings through the service layer.

Bookings learns offerings, members and sites only from their events: the seeder reads
`catalogue.offering`, `community.member` and `spaces.site` into its projections (its own
consumer groups, from the beginning) for up to `BOOKINGS_SEED_WAIT` seconds (20), then books
sessions of the seeded offerings for the members it knows, each with a deterministic id
(`seed-NN`), so seeding again finds the first run's bookings. Members or offerings not yet
published are simply not booked (seed community and catalogue first, then seed again).
Offerings that need a room are pending until the running spaces service answers.
"""

from __future__ import annotations

import asyncio
import os
import time
from datetime import UTC, datetime, timedelta

from bookings.bootstrap import BookingsSettings, build
from bookings.domain.booking import Actor, BookingRefused, MemberFacts, check_eligible
from bookings.domain.slots import sessions_between
from bookings.entrypoints.consumers import projections
from bookings.service_layer.commands import BookCommand
from bookings.service_layer.service import BookingService
from parkgrid.contracts.catalogue import OfferingSnapshot
from parkgrid.outbox import pending_count
from parkgrid.settings import KitSettings

WANTED = 36
SEEDER = Actor("system", "bookings-seed")


async def _wait_for_facts(service: BookingService, within: float) -> tuple[list[OfferingSnapshot], list[MemberFacts]]:
    """Wait until the projections stop growing (or the time is up)."""
    deadline = time.monotonic() + within
    last = (-1, -1)
    steady_since = time.monotonic()
    while True:
        offerings = await service.projections.offerings.published()
        members = await service.projections.active_members()
        now = (len(offerings), len(members))
        if now != last:
            last, steady_since = now, time.monotonic()
        if (offerings and members and time.monotonic() - steady_since > 3) or time.monotonic() > deadline:
            return offerings, members
        await asyncio.sleep(0.5)


async def seed_bookings(service: BookingService, offerings: list[OfferingSnapshot], members: list[MemberFacts]) -> int:
    """Book up to WANTED sessions, each for an eligible member; returns how many exist now."""
    if not offerings or not members:
        return 0
    made = 0
    today = datetime.now(UTC).date()
    for number in range(WANTED):
        offering = offerings[(number * 5) % len(offerings)]
        zone = await service.projections.sites.time_zone(offering.site_id) or offering.time_zone
        sessions = sessions_between(
            offering, zone, today + timedelta(days=2), today + timedelta(days=21), service.clock()
        )
        if not sessions:
            continue
        session = sessions[(number * 7) % len(sessions)]
        for offset in range(len(members)):
            candidate = members[(number * 3 + offset) % len(members)]
            try:
                person = check_eligible(offering, candidate, None)
            except BookingRefused:
                continue
            try:
                await service.book(
                    BookCommand(
                        booking_id=f"seed-{number:02d}",
                        offering_id=offering.offering_id,
                        member_id=candidate.member_id,
                        person_id=person,
                        starts_at=session.starts_at,
                        party_size=1,
                        join_waitlist=True,
                        actor=SEEDER,
                    )
                )
                made += 1
            except BookingRefused:
                continue
            break
    return made


async def seed(settings: KitSettings | None = None, wait: float | None = None) -> str:
    settings = settings or BookingsSettings()
    within = wait if wait is not None else float(os.environ.get("BOOKINGS_SEED_WAIT", "20"))
    wiring = build(settings, consumers=False)
    wiring.runtime.subscribe(
        *projections(settings, wiring.runtime.db, wiring.service, group_suffix=f"-seed-{os.getpid()}")
    )
    await wiring.runtime.start()
    service = wiring.service
    try:
        await service.bookings.ensure_indexes()
        offerings, members = await _wait_for_facts(service, within)
        made = await seed_bookings(service, offerings, members)
        wiring.runtime.notify_relay()
        deadline = time.monotonic() + 30
        while await pending_count(service.bookings.collection) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        total = await service.bookings.collection.count_documents({})
    finally:
        await wiring.runtime.stop()
    summary = (
        f"{total} bookings ({made} booked or found by this run, "
        f"for {len(members)} members and {len(offerings)} offerings)"
    )
    if not members or not offerings:
        summary += "; no members or offerings projected yet: seed community and catalogue, then seed again"
    return summary
