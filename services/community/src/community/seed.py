"""`parkgrid seed` for community: the demo members and community events, through the service layer.

Sites are spaces' facts: the seeder reads `spaces.site` into the sites projection (its own
consumer group, from the beginning) for up to `COMMUNITY_SEED_SITE_WAIT` seconds (20), then
registers the 40 demo organisations of the known sites and schedules and publishes the 12
events. An event with a venue is published once spaces answers its reservation request,
which the running community service receives. Idempotent: ids are stable and what exists
is left as it is. Seed spaces first.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from community.bootstrap import Community, CommunitySettings, build
from community.domain.events import CommunityEvent
from community.entrypoints.consumers import SITES_TOPIC, site_handler
from community.seed_data import SITES, events, members
from parkgrid.contracts.common import Eligibility, LocalizedText, SpaceRequirement, TimeRange
from parkgrid.contracts.community import CommunityEventStatus, Person
from parkgrid.outbox import pending_count
from parkgrid.settings import KitSettings

ZONE = "Africa/Casablanca"


NOTICE = timedelta(hours=2)
"""An event of this week is seeded at least this long ahead: people can still register."""


def at(day: date, start: str, hours: int) -> TimeRange:
    hour, minute = (int(x) for x in start.split(":"))
    starts = datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(ZONE))
    return TimeRange(starts_at=starts, ends_at=starts + timedelta(hours=hours))


def event_time(week: int, weekday: int, start: str, hours: int, today: date) -> TimeRange:
    """`week` weeks after the coming Monday, at local `start` on `weekday`, in Casablanca time."""
    monday = today + timedelta(days=7 - today.weekday())
    return at(monday + timedelta(weeks=week - 1, days=weekday - 1), start, hours)


def this_week(row: dict[str, Any], now: datetime, may_host: Callable[[TimeRange], bool]) -> TimeRange:
    """An event of this week (`in_days` from today): the first day from then, within a week, that
    its site's calendar can host, at least NOTICE ahead (a day already too late moves on)."""
    today = now.astimezone(ZoneInfo(ZONE)).date()
    for offset in range(row["in_days"], row["in_days"] + 8):
        slot = at(today + timedelta(days=offset), row["start"], row["hours"])
        if slot.starts_at >= now + NOTICE and may_host(slot):
            return slot
    return at(today + timedelta(days=row["in_days"] + 7), row["start"], row["hours"])


def demo_events(now: datetime, may_host: Callable[[str | None, TimeRange], bool] | None = None) -> list[CommunityEvent]:
    """The `[[event]]` rows of the demo, as drafts dated from `now`: rows with `in_days` this
    week (on a day their site is open, `may_host`), the others in the weeks after."""
    today = now.astimezone(ZoneInfo(ZONE)).date()

    def when(row: dict[str, Any]) -> TimeRange:
        if "in_days" in row:
            return this_week(row, now, lambda slot: may_host is None or may_host(row.get("site"), slot))
        return event_time(row["week"], row["weekday"], row["start"], row["hours"], today)

    return [
        CommunityEvent(
            event_id=f"cevt-{row['slug']}",
            site_id=row.get("site"),
            kind=row["kind"],
            mode=row["mode"],
            title=LocalizedText.model_validate(row["title"]),
            description=LocalizedText(
                fr=f"{row['title']['fr']} — programme du technopark.",
                en=f"{row['title']['en']} — a technopark programme.",
            ),
            time=when(row),
            time_zone=ZONE,
            capacity=row["capacity"],
            audience=Eligibility(member_kinds=row["audience_kinds"], stages=row["audience_stages"]),
            venue_requirement=SpaceRequirement.model_validate(row["venue"]) if row["venue"] else None,
            status=CommunityEventStatus.DRAFT,
        )
        for row in events()
    ]


async def _wait_for_sites(community: Community, within: float) -> set[str]:
    deadline = time.monotonic() + within
    while True:
        known = await community.store.sites.known_ids()
        if set(SITES) <= known or time.monotonic() > deadline:
            return known
        await asyncio.sleep(0.5)


async def seed_into(community: Community, known_sites: set[str], now: datetime) -> tuple[int, int, list[str]]:
    """Create what is missing; returns (members created, events created, skipped sites)."""
    created_members = created_events = 0
    skipped: set[str] = set()
    for body in members():
        if body["home_site_id"] not in known_sites:
            skipped.add(body["home_site_id"])
            continue
        people = [Person.model_validate(p) for p in body.pop("people")]
        fields: dict[str, Any] = {k: v for k, v in body.items() if k != "member_id"}
        _, _, new = await community.members.register(body["member_id"], planned_end_on=None, people=people, **fields)
        created_members += new
    calendars: dict[tuple[str, datetime], bool] = {}
    for site_id in known_sites:  # which days each site can host this week's events (its calendar)
        for row in events():
            if row.get("site") == site_id and "in_days" in row:
                for offset in range(row["in_days"], row["in_days"] + 8):
                    day = now.astimezone(ZoneInfo(ZONE)).date() + timedelta(days=offset)
                    slot = at(day, row["start"], row["hours"])
                    refusal = await community.store.sites.refusal_for(site_id, slot.starts_at, slot.ends_at)
                    calendars[(site_id, slot.starts_at)] = refusal is None
    for event in demo_events(now, lambda site, slot: site is None or calendars.get((site, slot.starts_at), True)):
        if event.site_id is not None and event.site_id not in known_sites:
            skipped.add(event.site_id)
            continue
        current, _, new = await community.events.schedule(event)
        created_events += new
        if current.status == CommunityEventStatus.DRAFT and current.venue_refusal is None:
            await community.events.publish(event.event_id)
    return created_members, created_events, sorted(skipped)


async def seed(settings: KitSettings | None = None, site_wait: float | None = None) -> str:
    settings = settings or CommunitySettings()
    within = site_wait if site_wait is not None else float(os.environ.get("COMMUNITY_SEED_SITE_WAIT", "20"))
    community = build(settings, consumers=False)
    runtime = community.runtime
    runtime.consume(
        name="sites-seed",
        topics=[SITES_TOPIC],
        handler=site_handler(community.store),
        group=f"{settings.service_name}.sites-seed-{os.getpid()}",
    )
    await runtime.start()
    try:
        await community.store.ensure_indexes()
        known = await _wait_for_sites(community, within)
        created_members, created_events, skipped = await seed_into(community, known, datetime.now(UTC))
        runtime.notify_relay()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and any([await pending_count(c) for c in community.store.outbox_collections]):
            await asyncio.sleep(0.2)
        total = await community.store.members.collection.count_documents({})
    finally:
        await runtime.stop()
    summary = (
        f"{total} member organisations ({created_members} created), {created_events} community events created "
        "(those with a venue are published once spaces reserves it)"
    )
    if skipped:
        summary += f"; skipped sites not yet registered by spaces: {', '.join(skipped)} (seed again after spaces)"
    return summary
