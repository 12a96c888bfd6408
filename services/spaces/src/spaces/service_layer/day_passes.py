"""Day passes: a member checks in to a hot-desk area for a day, within its capacity.

A person has at most one pass per area and day (the pass id says so): checking in twice
returns the first pass and takes no second place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from parkgrid.contracts.common import SpaceKind
from parkgrid.contracts.spaces import SpaceStatus
from parkgrid.store import Document
from spaces.adapters.day_passes import DayPassStore
from spaces.adapters.stores import SpacesStore, create_once
from spaces.domain.model import SpacesRefused, day_pass_granted
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
    def __init__(self, spaces: SpacesStore, store: DayPassStore, notify: Callable[[], None] = lambda: None) -> None:
        self.spaces = spaces
        self.store = store
        self.notify = notify

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
        taken = await self.store.take_place(area.space_id, check_in.day, area.capacity)
        if taken is None:
            raise DayPassRefused(f"{area.name} is full on {check_in.day}", conflict=True)
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
        if not new:  # the same person checking in twice at once: keep one place
            await self.store.give_back(area.space_id, check_in.day)
            return doc, False
        self.notify()
        return doc, True
