"""Turnover and utilisation of a site over a range of local days.

Turnover counts residencies, not spaces: who was resident on the first and on the last
day, who started and whose last day fell in the range, who moved in from or out to
another site; the rate is the residencies ended over the average of the residents at the
start and at the end (the park plans for 25-30 % a year). Utilisation is by kind of space,
over the days the site is open: offices and dedicated desks in space-days held by a
residency, hot-desk areas in places taken by day passes, meeting rooms and halls in hours
reserved over the hours open.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from parkgrid.contracts.common import SpaceKind
from parkgrid.contracts.spaces import SpaceStatus
from spaces.domain.model import RESIDENCY_KINDS
from spaces.domain.sites import Site, Space
from spaces.domain.stays import Stay, stay_on

LONGEST_REPORT = 366
"""Days a report may span: a year, leap or not."""


@dataclass(frozen=True)
class ResidencyFacts:
    residency_id: str
    member_id: str
    starts_on: date
    ends_on: date
    stays: Sequence[Stay]


@dataclass(frozen=True)
class Booked:
    """A confirmed reservation of a room or hall."""

    space_id: str
    starts_at: datetime
    ends_at: datetime


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def invalid_report_range(first: date, last: date) -> str | None:
    if last < first:
        return "to must not be before from"
    if (last - first).days + 1 > LONGEST_REPORT:
        return f"a report spans at most {LONGEST_REPORT} days"
    return None


def _ratio(used: float, available: float) -> float:
    return round(used / available, 4) if available else 0.0


def turnover(site_id: str, residencies: Iterable[ResidencyFacts], first: date, last: date) -> dict[str, Any]:
    def here(stays: Sequence[Stay], day: date) -> bool:
        stay = stay_on(stays, day)
        return stay is not None and stay.site_id == site_id

    at_start = at_end = started = ended = moved_in = moved_out = 0
    for r in residencies:
        stays = r.stays
        at_start += here(stays, first)
        at_end += here(stays, last)
        started += first <= r.starts_on <= last and stays[0].site_id == site_id
        ended += first <= r.ends_on <= last and stays[-1].site_id == site_id
        for before, after in itertools.pairwise(stays):
            if before.site_id != after.site_id and first <= after.first_day <= last:
                moved_in += after.site_id == site_id
                moved_out += before.site_id == site_id
    average = (at_start + at_end) / 2
    return {
        "residents_at_start": at_start,
        "residents_at_end": at_end,
        "started": started,
        "ended": ended,
        "moved_in": moved_in,
        "moved_out": moved_out,
        "turnover_rate": _ratio(ended, average),
    }


def utilisation(
    site: Site,
    spaces: Iterable[Space],
    first: date,
    last: date,
    *,
    residencies: Iterable[ResidencyFacts] = (),
    booked: Iterable[Booked] = (),
    passes: Mapping[tuple[str, date], int] | None = None,
) -> list[dict[str, Any]]:
    """One line per kind of space the site has (active spaces only), over its open days."""
    open_hours = {d: site.open_hours_on(d) for d in days(first, last)}
    open_days = [d for d, hours in open_hours.items() if hours > 0]
    active = [s for s in spaces if s.status == SpaceStatus.ACTIVE and s.site_id == site.site_id]
    stays = [s for r in residencies for s in r.stays if s.site_id == site.site_id]
    tz = ZoneInfo(site.time_zone)
    range_start = datetime.combine(first, time(0), tz)
    range_end = datetime.combine(last + timedelta(days=1), time(0), tz)
    lines = []
    for kind in SpaceKind:
        of_kind = [s for s in active if s.kind == kind]
        if not of_kind:
            continue
        ids = {s.space_id for s in of_kind}
        if kind in RESIDENCY_KINDS:
            unit = "space_days"
            available: float = len(of_kind) * len(open_days)
            used: float = sum(1 for s in stays if s.space_id in ids for d in open_days if s.covers(d))
        elif kind == SpaceKind.HOT_DESK_AREA:
            unit = "place_days"
            available = sum(s.capacity for s in of_kind) * len(open_days)
            used = sum((passes or {}).get((s.space_id, d), 0) for s in of_kind for d in open_days)
        else:
            unit = "hours"
            available = len(of_kind) * sum(open_hours.values())
            used = sum(
                (min(b.ends_at, range_end) - max(b.starts_at, range_start)).total_seconds() / 3600
                for b in booked
                if b.space_id in ids and b.starts_at < range_end and b.ends_at > range_start
            )
        lines.append(
            {
                "kind": kind.value,
                "spaces": len(of_kind),
                "unit": unit,
                "available": round(available, 2),
                "used": round(used, 2),
                "utilisation": _ratio(used, available),
            }
        )
    return lines
