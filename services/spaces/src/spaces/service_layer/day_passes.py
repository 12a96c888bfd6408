"""Day passes: a member checks in to a hot-desk area for a day, within its capacity.

A pass holds one place on the area's calendar for the site's local day, in the same
version-guarded write that reservations of the area hold their seats with
(`Calendar.places_free`): day passes and reservations racing for the last places never
pass the area's capacity together. A person has at most one pass per area and day (the
pass id says so, and is the hold's id): checking in twice returns the first pass and takes
no second place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from parkgrid.clock import utc_now
from parkgrid.contracts.common import SpaceKind
from parkgrid.contracts.spaces import SpaceStatus
from parkgrid.store import Document
from spaces.adapters.day_passes import DayPassStore
from spaces.adapters.stores import SpacesStore, create_once
from spaces.domain.model import Hold, SpacesRefused, day_pass_granted, local_day
from spaces.domain.sites import Space
from spaces.service_layer.publication import publication


class DayPassRefused(SpacesRefused):
    """Invalid input (422, naming `field`), or a `conflict`: the area is full that day (409)."""


@dataclass(frozen=True)
class CheckIn:
    site_id: str
    space_id: str
    member_id: str
    person_id: str
    day: date


class DayPasses:
    def __init__(
        self,
        spaces: SpacesStore,
        store: DayPassStore,
        notify: Callable[[], None] = lambda: None,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.spaces = spaces
        self.store = store
        self.notify = notify
        self.clock = clock

    async def issue(self, check_in: CheckIn) -> tuple[Document, bool]:
        """The pass, and whether it was issued now (False: the person had it already)."""
        found = await self.spaces.space(check_in.space_id)
        if found is None or found[0].site_id != check_in.site_id:
            raise DayPassRefused(f"no space {check_in.space_id} at {check_in.site_id}", "space_id")
        area = found[0]
        if area.kind != SpaceKind.HOT_DESK_AREA or area.status != SpaceStatus.ACTIVE:
            raise DayPassRefused(f"{area.name} is not an open hot-desk area", "space_id")
        site = await self.spaces.site(check_in.site_id)
        assert site is not None
        closure = site[0].closure_on(check_in.day)
        if closure is not None or not any(w.weekday == check_in.day.isoweekday() for w in site[0].opening_hours):
            raise DayPassRefused(f"{site[0].name} is closed on {check_in.day}", "day")
        pass_id = f"{area.space_id}:{check_in.day.isoformat()}:{check_in.person_id}"
        existing = await self.store.passes.get(pass_id)
        if existing is not None:
            return existing, False
        start, end = local_day(check_in.day, site[0].time_zone)
        taken = await self._take_place(area, Hold(pass_id, start, end, places=1), check_in.day)
        state, happened = day_pass_granted(
            {
                "day_pass_id": pass_id,
                "site_id": check_in.site_id,
                "space_id": area.space_id,
                "member_id": check_in.member_id,
                "person_id": check_in.person_id,
                "day": check_in.day.isoformat(),
                "places_taken": taken,
                "capacity": area.capacity,
            }
        )
        doc, new = await create_once(self.store.passes, pass_id, state, publication(happened))
        if new:
            self.notify()
        return doc, new

    async def _take_place(self, area: Space, hold: Hold, day: date) -> int:
        """Hold a place for the day (held already by this pass: kept); the places then taken that day."""
        calendars = self.spaces.calendars
        while True:
            calendar = await calendars.get(area.space_id, area.site_id)
            if calendar.held_by(hold.reservation_id) is None:
                if calendar.is_history(hold.starts_at):
                    raise DayPassRefused(f"{day} is past: no pass can be issued for it any more", "day")
                if not calendar.places_free(hold.starts_at, hold.ends_at, 1, area.capacity):
                    raise DayPassRefused(f"{area.name} is full on {day}", conflict=True)
                if not await calendars.add_hold(calendar, hold):
                    continue  # the calendar changed under us: read it again
                calendar = replace(calendar, holds=[*calendar.holds, hold])
            return max(1, min(area.capacity, calendar.peak(hold.starts_at, hold.ends_at, area.capacity)))

    async def absorb(self) -> int:
        """Put the passes of earlier versions (counted apart, not on the calendars) on their areas'
        calendars, from two days back on; once per pass (the pass id is the hold's). How many moved."""
        moved = 0
        zones: dict[str, str] = {}
        for doc in await self.store.issued_since(self.clock().date() - timedelta(days=2)):
            if doc["site_id"] not in zones:
                site = await self.spaces.site(doc["site_id"])
                if site is None:
                    continue
                zones[doc["site_id"]] = site[0].time_zone
            start, end = local_day(date.fromisoformat(doc["day"]), zones[doc["site_id"]])
            hold = Hold(doc["day_pass_id"], start, end, places=1)
            while True:
                calendar = await self.spaces.calendars.get(doc["space_id"], doc["site_id"])
                if calendar.held_by(hold.reservation_id) is not None or calendar.is_history(start):
                    break
                if await self.spaces.calendars.add_hold(calendar, hold):
                    moved += 1
                    break
        return moved
