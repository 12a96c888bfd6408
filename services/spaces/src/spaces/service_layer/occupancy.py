"""Occupancy of a site over a range of days: turnover of residencies and utilisation by kind."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from parkgrid.contracts.common import SpaceKind
from spaces.adapters.day_passes import DayPassStore
from spaces.adapters.stores import SpacesStore, stays_of
from spaces.domain.model import Site
from spaces.domain.occupancy import Booked, ResidencyFacts, turnover, utilisation


async def site_report(store: SpacesStore, passes: DayPassStore, site: Site, first: date, last: date) -> dict[str, Any]:
    """The report of `site` over the local days [first, last] (the range is checked by the caller)."""
    residencies = [
        ResidencyFacts(
            residency_id=doc["residency_id"],
            member_id=doc["member_id"],
            starts_on=date.fromisoformat(doc["starts_on"]),
            ends_on=date.fromisoformat(doc["ends_on"]),
            stays=stays_of(doc),
        )
        for doc in await store.residencies_at(site.site_id, first, last)
    ]
    tz = ZoneInfo(site.time_zone)
    reservations = await store.reservations_between(
        site.site_id, datetime.combine(first, time(0), tz), datetime.combine(last + timedelta(days=1), time(0), tz)
    )
    booked = [Booked(d["space_id"], d["time"]["starts_at"], d["time"]["ends_at"]) for d in reservations]
    spaces = [s for s, _ in await store.spaces_of(site.site_id)]
    areas = [s.space_id for s in spaces if s.kind == SpaceKind.HOT_DESK_AREA]
    taken = await passes.taken_between(areas, first, last)
    return {
        "site_id": site.site_id,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "time_zone": site.time_zone,
        "open_days": sum(1 for n in range((last - first).days + 1) if site.open_hours_on(first + timedelta(n)) > 0),
        "residencies": turnover(site.site_id, residencies, first, last),
        "utilisation": utilisation(site, spaces, first, last, residencies=residencies, booked=booked, passes=taken),
    }
