"""The demo's visitors: a few guests expected today at each site, for the desk's Today page.

Part of the stays seeder (`seed_stays.seed`, after community's): hosts are the people of the
members spaces has projected, so without community's seed there are none. `plan` is pure
(today at each site, the sites, the members); the seeder registers each guest through spaces'
own `Visits`, so each is published (`spaces.visit`). A site closed today expects nobody. Visit
ids are `seed-visit-<site>-<day>-<n>`: seeding again the same day changes nothing, and the
next day's seeding adds that day's guests (yesterday's are forgotten with the retention).

A guest whose time has passed when the seeder runs was checked in, and out, by the desk as
`desk_steps` says, at those times: a demo seeded in the afternoon shows the morning's guests
come and gone, not still expected at 09:30.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from spaces.domain.sites import Site
from spaces.domain.visits import Visit, VisitRefused
from spaces.seed_stays import SEEDER
from spaces.service_layer.visits import Visits

GUESTS = (
    ("Salma Idrissi", "Maghreb Seed Fund", "09:30"),
    ("Karim Benali", None, "11:00"),
    ("Nadia El Fassi", "Banque Populaire", "14:30"),
)
"""Who is expected at each site, in turn: a name, a company (or none), a time."""


def plan(today: Mapping[str, date], sites: Iterable[Site], members: Iterable[Mapping[str, Any]]) -> list[Visit]:
    """Up to three guests at each site open today, each hosted in turn by the first person of one
    of the site's member organisations (by id, so the plan does not depend on projection order)."""
    hosts: dict[str, list[tuple[str, str]]] = {}
    for member in sorted(members, key=lambda m: m["member_id"]):
        if member.get("people"):
            hosts.setdefault(member["home_site_id"], []).append((member["member_id"], member["people"][0]))
    planned: list[Visit] = []
    for site in sorted(sites, key=lambda s: s.site_id):
        day = today.get(site.site_id)
        at_site = hosts.get(site.site_id, [])
        if day is None or not at_site or site.open_hours_on(day) <= 0:
            continue
        for n, (name, company, at) in enumerate(GUESTS):
            member_id, person_id = at_site[n % len(at_site)]
            visit_id = f"seed-visit-{site.site_id.removeprefix('site-')}-{day.isoformat()}-{n + 1}"
            planned.append(
                Visit(visit_id, site.site_id, day, site.time_zone, at, member_id, person_id, name, company, SEEDER)
            )
    return planned


LATE, STAY = timedelta(minutes=7), timedelta(minutes=75)
"""A seeded guest comes a few minutes after the time given and stays an hour and a quarter."""


def desk_steps(visit: Visit, now: datetime) -> list[tuple[str, datetime]]:
    """What the desk has done for a seeded guest by `now`: ("arrive", when), then ("leave", when),
    each only once its time has passed."""
    if visit.expected_at is None:
        return []
    given = time.fromisoformat(visit.expected_at)
    arrived = datetime.combine(visit.day, given, tzinfo=ZoneInfo(visit.time_zone)) + LATE
    steps = [("arrive", arrived), ("leave", arrived + STAY)]
    return [(step, at) for step, at in steps if at <= now]


def as_of(visits: Visits, moment: datetime) -> Visits:
    """The same visits on a clock stopped at `moment`: a step recorded as the desk took it then."""
    then = copy.copy(visits)
    then.clock = lambda: moment
    return then


async def carry_out(planned: Iterable[Visit], visits: Visits, sites: Mapping[str, Site]) -> tuple[int, list[str]]:
    """Register the planned guests, and check in and out those whose time has passed, at their
    times (`Visits` on a clock of that moment): (guests registered, refusals)."""
    expected = 0
    refused: list[str] = []
    for visit in planned:
        try:
            await visits.register(sites[visit.site_id], visit)
            for step, at in desk_steps(visit, visits.clock()):
                then = as_of(visits, at)
                await (then.arrive if step == "arrive" else then.leave)(visit.visit_id)
        except VisitRefused as refusal:
            refused.append(f"{visit.visit_id}: {refusal}")
            continue
        expected += 1
    return expected, refused
