"""`parkgrid seed` for spaces' stays: residencies and an office waitlist, relative to today.

Runs after community's seeder (the `spaces-stays` seeder): spaces knows member organisations
only from `community.member`, so the seeder reads that topic into spaces' own `KnownMembers`
projection (a consumer group of its own, from the beginning) until the members stop coming or
`SPACES_SEED_WAIT` seconds (20) pass. Then `plan` (pure: today, the sites' spaces, the members;
tested without infrastructure in tests/demo) says who holds which office, and the seeder carries
it out through spaces' own `Residencies` and `Waitlist`, so each residency and entry is published
(`spaces.residency`, `spaces.waitlist`) for the web app, bookings' room calendar and insights:

- at every site the private offices go to its startups and small firms in the programme
  (incubation, acceleration, resident; the most advanced first), each started some months ago
  for the usual 18 months; one ends within 30 days (insights' "residency ending" notice);
- at up to two sites with more candidates than offices, every office is held and two members
  wait in the line for the site's smallest office (the staff Waitlists page shows a line);
- at another site an alumnus's residency ended a few days ago: its office is free and one
  member waits for it, for the front desk to offer;
- at every site open today, three guests expected today, hosted by its members' people
  (`spaces.seed_visits`), for the desk's expected visitors.

Residencies started months ago are recorded as staff recorded them then: the service's clock
stands at each one's first day while it starts (the rules allow a start at most 31 days back
of today). Residency ids (`seed-<office>-<member>`) do not depend on today, and a member with
any entry in a line already joins it no more, so seeding again changes nothing.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from parkgrid.clock import utc_now
from parkgrid.contracts.common import Actor, MemberKind, ProgrammeStage, SpaceKind
from parkgrid.contracts.spaces import SpaceStatus
from parkgrid.contracts.topics import topic
from parkgrid.known import KnownMembers
from parkgrid.outbox import pending_count
from parkgrid.runtime import Subscription
from parkgrid.settings import KitSettings
from parkgrid.zones import NETWORK_TIME_ZONE
from spaces.adapters.stores import SpacesStore
from spaces.domain.model import add_months
from spaces.domain.sites import Site, Space
from spaces.domain.stays import ResidencyRefused
from spaces.domain.waitlist import OPEN, WaitlistRefused
from spaces.entrypoints.consumers import member_handler
from spaces.service_layer.residencies import Allocation, Residencies
from spaces.service_layer.visits import Visits
from spaces.service_layer.waitlist import Waitlist

if TYPE_CHECKING:
    from spaces.bootstrap import Service

SEEDER = Actor(role="admin", subject="demo-seed")
OFFICE_KINDS = (MemberKind.STARTUP, MemberKind.TPE)
SENIORITY = (ProgrammeStage.RESIDENT, ProgrammeStage.ACCELERATION, ProgrammeStage.INCUBATION)
"""The programme stages that hold an office, the most advanced first (first served)."""
HOPEFUL_KINDS = (MemberKind.STARTUP, MemberKind.TPE, MemberKind.PROJECT_HOLDER)
TERM_MONTHS = 18
MONTHS_AGO = (4, 9, 2, 13, 6, 11, 3, 15, 7, 5, 10, 14, 8, 12)
"""How long ago each residency started, in turn: they end 3 to 16 months from today."""
ENDING_IN_DAYS = 19
FREED_DAYS_AGO = 6
LINE_SITES = 2


@dataclass(frozen=True)
class Organisation:
    """A member organisation as the plan needs it (from spaces' `KnownMembers` projection)."""

    member_id: str
    home_site_id: str
    kind: str
    stage: str

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Organisation:
        return cls(doc["member_id"], doc["home_site_id"], doc["kind"], doc["stage"])

    @property
    def holds_office(self) -> bool:
        return self.kind in OFFICE_KINDS and self.stage in SENIORITY

    @property
    def hopes_for_office(self) -> bool:
        return self.kind in HOPEFUL_KINDS and self.stage == ProgrammeStage.PRE_INCUBATION

    @property
    def alumnus(self) -> bool:
        return self.kind in OFFICE_KINDS and self.stage == ProgrammeStage.ALUMNI


@dataclass(frozen=True)
class PlannedResidency:
    residency_id: str
    member_id: str
    site_id: str
    space_id: str
    starts_on: date
    ends_on: date
    ended_on: date | None = None
    """A residency that ended early (its office freed), on this day."""


@dataclass(frozen=True)
class PlannedJoin:
    site_id: str
    member_id: str
    seats: int
    joined_on: date


@dataclass(frozen=True)
class StaysPlan:
    residencies: tuple[PlannedResidency, ...]
    joins: tuple[PlannedJoin, ...]


def residency_id_of(space_id: str, member_id: str) -> str:
    return f"seed-{space_id}-{member_id.removeprefix('member-')}"


def _term(today: date, number: int) -> tuple[date, date]:
    starts_on = add_months(today, -MONTHS_AGO[number % len(MONTHS_AGO)])
    return starts_on, add_months(starts_on, TERM_MONTHS) - timedelta(days=1)


def _ending_soon(today: date) -> tuple[date, date]:
    ends_on = today + timedelta(days=ENDING_IN_DAYS)
    return add_months(ends_on + timedelta(days=1), -TERM_MONTHS), ends_on


def plan(today: date, spaces: Iterable[Space], members: Iterable[Organisation]) -> StaysPlan:
    """Who holds which private office and who waits for one, seen from `today` (see the module).

    Line sites: the first (by id) whose candidates outnumber their offices by two or more (the
    pre-incubated hoping for one counted); the freed site: the first other with an alumnus and
    someone to wait for its freed office. The first residency of the first line site (else of the
    first site) ends within `ENDING_IN_DAYS`."""
    offices: dict[str, list[Space]] = {}
    for space in spaces:
        if space.kind == SpaceKind.PRIVATE_OFFICE and space.status == SpaceStatus.ACTIVE:
            offices.setdefault(space.site_id, []).append(space)
    for site_offices in offices.values():
        site_offices.sort(key=lambda s: (s.capacity, s.space_id))
    people = sorted(members, key=lambda m: m.member_id)

    def of(site: str, fits: str) -> list[Organisation]:
        return [m for m in people if m.home_site_id == site and getattr(m, fits)]

    holders = {
        s: sorted(of(s, "holds_office"), key=lambda m: SENIORITY.index(ProgrammeStage(m.stage))) for s in offices
    }

    def waiting(site: str, held: int) -> list[Organisation]:
        return holders[site][held:] + of(site, "hopes_for_office")

    sites = sorted(offices)
    lines = [s for s in sites if len(holders[s]) >= len(offices[s]) and len(waiting(s, len(offices[s]))) >= 2]
    lines = lines[:LINE_SITES]
    freed = next(
        (s for s in sites if s not in lines and of(s, "alumnus") and waiting(s, len(offices[s]) - 1)),
        None,
    )
    ending_site = next(iter(lines or sites), None)
    residencies: list[PlannedResidency] = []
    joins: list[PlannedJoin] = []
    for site in sites:
        smallest = offices[site][0]
        to_hold = offices[site][1:] if site == freed else offices[site]
        held = list(zip(to_hold, holders[site], strict=False))
        for office, member in held:
            ending = site == ending_site and office is to_hold[0]
            starts_on, ends_on = _ending_soon(today) if ending else _term(today, len(residencies))
            residencies.append(
                PlannedResidency(
                    residency_id_of(office.space_id, member.member_id),
                    member.member_id,
                    site,
                    office.space_id,
                    starts_on,
                    ends_on,
                )
            )
        if site == freed:
            former = of(site, "alumnus")[0]
            starts_on = add_months(today, -16)
            residencies.append(
                PlannedResidency(
                    residency_id_of(smallest.space_id, former.member_id),
                    former.member_id,
                    site,
                    smallest.space_id,
                    starts_on,
                    add_months(starts_on, TERM_MONTHS) - timedelta(days=1),
                    ended_on=today - timedelta(days=FREED_DAYS_AGO),
                )
            )
            first = waiting(site, len(held))[0]
            joins.append(PlannedJoin(site, first.member_id, smallest.capacity, today - timedelta(days=20)))
        elif site in lines:
            joins += [
                PlannedJoin(site, member.member_id, smallest.capacity, today - timedelta(days=days_ago))
                for member, days_ago in zip(waiting(site, len(held))[:2], (12, 5), strict=True)
            ]
    return StaysPlan(tuple(residencies), tuple(joins))


class SeedClock:
    """The service's clock for the seeder: now, or a past day while what happened then is recorded."""

    def __init__(self) -> None:
        self.then: datetime | None = None

    def __call__(self) -> datetime:
        return self.then or utc_now()

    def at(self, day: date) -> SeedClock:
        self.then = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=10)
        return self

    def now(self) -> None:
        self.then = None


P = TypeVar("P")


def _part(service: Service, kind: type[P]) -> P:
    return next(c for c in service.components if isinstance(c, kind))


async def _wait_for_members(members: KnownMembers, within: float) -> list[Organisation]:
    """The active members once the projection stops growing for 3 s (or the time is up)."""
    deadline = time.monotonic() + within
    last, steady_since = -1, time.monotonic()
    while True:
        found = [Organisation.from_document(d) for d in await members.active()]
        if len(found) != last:
            last, steady_since = len(found), time.monotonic()
        if (found and time.monotonic() - steady_since > 3) or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.5)


async def carry_out(
    stays: StaysPlan, residencies: Residencies, waitlist: Waitlist, clock: SeedClock
) -> tuple[int, int, int, list[str]]:
    """Start (and end) the planned residencies, join the planned lines: (residencies there,
    new ones, members waiting, refusals)."""
    there = new = 0
    refused: list[str] = []
    for planned in stays.residencies:
        clock.at(planned.starts_on)
        try:
            _, started = await residencies.start(
                Allocation(
                    residency_id=planned.residency_id,
                    member_id=planned.member_id,
                    site_id=planned.site_id,
                    space_id=planned.space_id,
                    starts_on=planned.starts_on,
                    ends_on=planned.ends_on,
                    allocated_by=SEEDER,
                )
            )
            if planned.ended_on is not None:
                clock.now()
                await residencies.end(planned.residency_id, planned.ended_on, "graduated from the programme")
        except ResidencyRefused as refusal:
            refused.append(f"{planned.residency_id}: {refusal}")
            continue
        finally:
            clock.now()
        there += 1
        new += started
    waiting = 0
    for join in stays.joins:
        entries = await waitlist.waitlist.of_member(join.member_id, join.site_id, join.seats)
        if entries:
            waiting += any(d["status"] in OPEN for d in entries)
            continue  # in this line already, or was: seeding again changes nothing
        clock.at(join.joined_on)
        try:
            await waitlist.join(join.site_id, join.member_id, join.seats)
            waiting += 1
        except WaitlistRefused as refusal:
            refused.append(f"{join.member_id} at {join.site_id}: {refusal}")
        finally:
            clock.now()
    return there, new, waiting, refused


async def _spaces_of(store: SpacesStore) -> list[Space]:
    return [Space.from_document(d) for d in await store.spaces.collection.find({}).to_list()]


async def seed_visitors(service: Service, store: SpacesStore, members: KnownMembers) -> tuple[int, list[str]]:
    """A few guests expected today at each site open today (`spaces.seed_visits`): (how many, refusals)."""
    from spaces import seed_visits

    visits = _part(service, Visits)
    await visits.store.ensure_indexes()
    sites = {d["site_id"]: Site.from_document(d) for d in await store.sites.collection.find({}).to_list()}
    today = {site_id: visits.today_at(site) for site_id, site in sites.items()}
    planned = seed_visits.plan(today, sites.values(), await members.active())
    return await seed_visits.carry_out(planned, visits, sites)


async def seed(settings: KitSettings | None = None, wait: float | None = None) -> str:
    from spaces.bootstrap import SpacesSettings, build  # builds an app at import: not for the plan's users

    settings = settings or SpacesSettings()
    within = wait if wait is not None else float(os.environ.get("SPACES_SEED_WAIT", "20"))
    clock = SeedClock()
    service = build(settings, clock)
    runtime = service.runtime
    # The service's own consumers (its groups) stay with the running service; the seeder reads
    # `community.member` from the beginning in a group of its own.
    runtime.consumers.clear()
    runtime.projections.clear()
    members = _part(service, KnownMembers)
    runtime.subscribe(
        Subscription(
            "members",
            [topic("community.member")],
            member_handler(members),
            group=f"{settings.service_name}.members-seed-{os.getpid()}-{uuid.uuid4().hex[:8]}",
        )
    )
    await runtime.start()
    try:
        store = _part(service, SpacesStore)
        await store.ensure_indexes()
        waitlist = _part(service, Waitlist)
        await waitlist.waitlist.ensure_indexes()
        known = await _wait_for_members(members, within)
        today = utc_now().astimezone(ZoneInfo(NETWORK_TIME_ZONE)).date()
        stays = plan(today, await _spaces_of(store), known)
        there, new, waiting, refused = await carry_out(stays, _part(service, Residencies), waitlist, clock)
        guests, turned_away = await seed_visitors(service, store, members)
        refused += turned_away
        runtime.notify_relay()
        outboxes = [
            *store.outbox_collections,
            waitlist.waitlist.entries.collection,
            _part(service, Visits).store.visits.collection,
        ]
        deadline = time.monotonic() + 30
        while sum([await pending_count(c) for c in outboxes]) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
    finally:
        await runtime.stop()
    summary = f"{there} residencies ({new} new), {waiting} waiting for an office"
    if guests:
        summary += f", {guests} visitors expected today"
    if refused:
        summary += f"; refused: {'; '.join(refused[:5])}{' …' if len(refused) > 5 else ''}"
    if not known:
        summary += "; no members projected yet: seed community, then seed again"
    return summary
