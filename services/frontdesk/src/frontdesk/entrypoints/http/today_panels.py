"""Today's panels, each from one service through `attempt` (a service down costs its panel only):
the bookings of the site's day by hour and as the rooms' timeline (with the people, the rooms and,
on an empty day, the next booked one), its events, its rooms and its expected visitors. The page
and its per-panel fragments (`staff_today.py`) are built from these."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from frontdesk.adapters import visit_calls
from frontdesk.adapters.services import Services
from frontdesk.domain.desk import day_label
from frontdesk.domain.today import Hour, Timeline, can_check_in, hours_of, timeline_of
from frontdesk.entrypoints.http.panels import Panel, attempt
from frontdesk.entrypoints.http.staff_sites import day_bounds
from frontdesk.entrypoints.http.visitors import Visitor
from parkgrid.api.bookings import SiteDayBooking
from parkgrid.api.community import EventRead
from parkgrid.api.spaces import SpaceOccupancy, VisitRead

REJECTED_SHOWN = 100
"""The rejected bookings of a day whose reasons Today shows (one page of bookings' list)."""


@dataclass
class DeskDay:
    """The bookings panel: the day's hours (arrivals, each row a person, a room and a link), the
    timeline of rooms by hours, the people's names and rooms' names, and who may be checked in now."""

    hours: list[Hour]
    timeline: Timeline
    people: dict[str, str]
    rooms: dict[str, str]
    now: datetime
    site_id: str
    next_day: date | None = None
    """With nothing booked that day: the next local day with a booking at the site (within a page
    of bookings' list), so a desk looking at an empty evening is one click from tomorrow's."""
    next_label: str = ""
    """That day as the reader says it ("Tuesday 09/12")."""

    def can_check_in(self, b: SiteDayBooking) -> bool:
        return can_check_in(b.status, self.site_id, self.site_id, b.starts_at, b.ends_at, self.now)

    def __bool__(self) -> bool:
        return bool(self.hours)

    def __iter__(self) -> Iterator[Hour]:
        return iter(self.hours)


PEOPLE_LOOKED_UP = 40
"""Member organisations whose people Today names (one community call each)."""


async def bookings_panel(services: Services, visitor: Visitor, site_id: str, day: date, zone: str) -> Panel[DeskDay]:
    """The day by hour and as a timeline; a rejected booking says why (its reason and detail come
    from the bookings list: the day does not carry them; that list failing costs the reasons only).
    The people's names come from community (down: their ids), the rooms from spaces."""
    start, end = day_bounds(day, zone)
    found, refused, occupancy = await asyncio.gather(
        attempt(services.bookings.day(visitor.token, site_id, day)),
        attempt(
            services.bookings.bookings(
                visitor.token, status="rejected", limit=REJECTED_SHOWN, **{"from": start, "to": end}
            )
        ),
        attempt(services.spaces.occupancy(visitor.token, site_id, day)),
    )
    rejected = {b.booking_id: b for b in refused.data.items if b.site_id == site_id} if refused.data else {}
    site_day = found.data
    if site_day is None:
        return found.map(lambda _: DeskDay([], Timeline([], []), {}, {}, services.clock(), site_id))
    member_ids = sorted({b.member_id for h in site_day.hours for b in h.bookings})[:PEOPLE_LOOKED_UP]
    members = await asyncio.gather(*(attempt(services.community.member(visitor.token, m)) for m in member_ids))
    people = {p.person_id: p.name for m in members if m.data for p in m.data.people}
    spaces = occupancy.data.spaces if occupancy.data else []
    lanes = [
        (s.space_id, s.name, s.kind.value, s.buffer_before_minutes, s.buffer_after_minutes)
        for s in spaces
        if s.kind.value in TIMELINE_KINDS
    ]
    hours = hours_of(site_day, rejected)
    next_day = None if hours else await next_booked_day(services, visitor, site_id, end, zone)
    return Panel(
        data=DeskDay(
            hours,
            timeline_of(site_day, lanes),
            people,
            {s.space_id: s.name for s in spaces},
            services.clock(),
            site_id,
            next_day,
            day_label(next_day, visitor.t) if next_day else "",
        )
    )


NEXT_LOOKED_AT = 100
"""Bookings after an empty day that Today looks through for the site's next booked day (one page)."""


async def next_booked_day(services: Services, visitor: Visitor, site_id: str, after: str, zone: str) -> date | None:
    """The site's next local day with a booking still on (pending, confirmed, checked in), or None
    (none in the next page of bookings the desk sees, or bookings down: the link is only a help)."""
    found = await attempt(services.bookings.bookings(visitor.token, limit=NEXT_LOOKED_AT, **{"from": after}))
    if found.data is None:
        return None
    on = next((b for b in found.data.items if b.site_id == site_id and b.status in STILL_ON), None)
    return None if on is None else on.session.starts_at.astimezone(ZoneInfo(zone)).date()


STILL_ON = ("pending", "awaiting_approval", "confirmed", "checked_in")


TIMELINE_KINDS = ("meeting_room", "event_hall", "hot_desk_area")
"""The rooms booked by the hour: offices and desks held by residencies are the rooms panel's."""


async def events_panel(
    services: Services, visitor: Visitor, site_id: str, day: date, zone: str
) -> Panel[list[EventRead]]:
    start, end = day_bounds(day, zone)
    found = await attempt(services.community.events(visitor.token, site_id=site_id, **{"from": start, "to": end}))
    return found.map(lambda page: page.items)


async def rooms_panel(services: Services, visitor: Visitor, site_id: str, day: date) -> Panel[list[SpaceOccupancy]]:
    return (await attempt(services.spaces.occupancy(visitor.token, site_id, day))).map(lambda d: d.spaces)


async def visitors_panel(services: Services, visitor: Visitor, site_id: str, day: date) -> Panel[list[VisitRead]]:
    """The guests expected on the site's day (spaces), by expected time, with their host organisation."""
    return (await attempt(visit_calls.expected_at(services.spaces, visitor.token, site_id, day))).map(lambda v: v.items)
