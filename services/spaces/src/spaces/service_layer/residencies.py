"""Residencies: a member organisation holds an office or dedicated desks for months.

Each space has a residency calendar of whole days; starting, extending or ending a
residency changes its days there with the same version guard as reservations, so two
staff allocating one office at once cannot both succeed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from parkgrid.contracts.common import Actor
from parkgrid.contracts.spaces import (
    ResidencyEnded,
    ResidencyExtended,
    ResidencySnapshot,
    ResidencyStarted,
    ResidencyStatus,
    SpaceStatus,
)
from parkgrid.outbox import AlreadyExists, VersionConflict
from parkgrid.store import Document
from spaces.adapters.members import Members
from spaces.adapters.stores import SpacesStore
from spaces.domain.model import INCUBATION, RESIDENCY_KINDS, Hold, add_months, day_range


class ResidencyRefused(Exception):
    def __init__(self, detail: str, field: str | None = None, *, taken: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.taken = taken


@dataclass(frozen=True)
class Allocation:
    residency_id: str
    member_id: str
    site_id: str
    space_id: str
    starts_on: date
    ends_on: date | None
    allocated_by: Actor


def _state(snapshot: ResidencySnapshot) -> Document:
    state: Document = snapshot.model_dump(mode="json")
    return state


class Residencies:
    def __init__(self, store: SpacesStore, members: Members, notify: Callable[[], None] = lambda: None) -> None:
        self.store = store
        self.members = members
        self.notify = notify

    async def get(self, residency_id: str) -> Document | None:
        return await self.store.residencies.get(residency_id)

    async def start(self, allocation: Allocation) -> tuple[Document, bool]:
        existing = await self.get(allocation.residency_id)
        if existing is not None:
            return existing, False
        member = await self.members.get(allocation.member_id)
        if member is None:
            raise ResidencyRefused(f"there is no member {allocation.member_id}", "member_id")
        if not member.active:
            raise ResidencyRefused(f"{member.name} has left the programme", "member_id", taken=True)
        found = await self.store.space(allocation.space_id)
        if found is None or found[0].site_id != allocation.site_id:
            raise ResidencyRefused(f"no space {allocation.space_id} at {allocation.site_id}", "space_id")
        space = found[0]
        if space.kind not in RESIDENCY_KINDS or space.status != SpaceStatus.ACTIVE:
            raise ResidencyRefused(f"{space.name} is not an office or desk open to residency", "space_id")
        ends_on = allocation.ends_on or add_months(allocation.starts_on, INCUBATION) - timedelta(days=1)
        if ends_on < allocation.starts_on:
            raise ResidencyRefused("ends_on must not be before starts_on", "ends_on")
        if ends_on > allocation.starts_on + timedelta(days=366 * 5):
            raise ResidencyRefused("a residency lasts at most 5 years", "ends_on")
        rid = allocation.residency_id
        start, end = day_range(allocation.starts_on, ends_on)
        calendars = self.store.residency_calendars
        while True:
            calendar = await calendars.get(space.space_id, space.site_id)
            if calendar.held_by(rid) is not None:
                break
            if not calendar.is_free(start, end):
                raise ResidencyRefused(f"{space.name} is allocated on some of these days", taken=True)
            if await calendars.add_hold(calendar, Hold(rid, start, end)):
                break
        snapshot = ResidencySnapshot(
            residency_id=rid,
            member_id=allocation.member_id,
            site_id=allocation.site_id,
            space_id=space.space_id,
            space_kind=space.kind,
            seats=space.capacity,
            starts_on=allocation.starts_on,
            ends_on=ends_on,
            status=ResidencyStatus.ACTIVE,
            allocated_by=allocation.allocated_by,
        )
        try:
            version = await self.store.residencies.create(
                rid, _state(snapshot), [ResidencyStarted(**snapshot.model_dump())]
            )
        except AlreadyExists:
            first = await self.get(rid)
            assert first is not None
            return first, False
        self.notify()
        return {**_state(snapshot), "_id": rid, "version": version}, True

    async def _change_days(self, doc: Document, ends_on: date) -> None:
        rid = doc["residency_id"]
        start, end = day_range(date.fromisoformat(doc["starts_on"]), ends_on)
        calendars = self.store.residency_calendars
        while True:
            calendar = await calendars.get(doc["space_id"], doc["site_id"])
            if not calendar.is_free(start, end, ignoring=rid):
                raise ResidencyRefused("the space is allocated to someone else on some of these days", taken=True)
            if await calendars.replace_hold(calendar, Hold(rid, start, end)):
                return

    async def extend(self, residency_id: str, ends_on: date) -> Document:
        while True:
            doc = await self.get(residency_id)
            if doc is None:
                raise LookupError(residency_id)
            if doc["status"] != ResidencyStatus.ACTIVE:
                raise ResidencyRefused("the residency has ended", "ends_on")
            previous = date.fromisoformat(doc["ends_on"])
            if ends_on <= previous:
                raise ResidencyRefused(f"an extension ends after {previous}", "ends_on")
            await self._change_days(doc, ends_on)
            snapshot = ResidencySnapshot.model_validate({**doc, "ends_on": ends_on})
            event = ResidencyExtended(**snapshot.model_dump(), previous_ends_on=previous)
            if await self._save(doc, snapshot, event):
                return {**doc, **_state(snapshot)}

    async def end(self, residency_id: str, on: date, reason: str | None) -> Document:
        while True:
            doc = await self.get(residency_id)
            if doc is None:
                raise LookupError(residency_id)
            if doc["status"] != ResidencyStatus.ACTIVE:
                return doc
            planned = date.fromisoformat(doc["ends_on"])
            starts = date.fromisoformat(doc["starts_on"])
            last_day = max(starts, min(on, planned))
            await self._change_days(doc, last_day)
            snapshot = ResidencySnapshot.model_validate({**doc, "ends_on": last_day, "status": ResidencyStatus.ENDED})
            event = ResidencyEnded(**snapshot.model_dump(), ended_early=last_day < planned, reason=reason)
            if await self._save(doc, snapshot, event):
                return {**doc, **_state(snapshot)}

    async def _save(self, doc: Document, snapshot: ResidencySnapshot, event: Any) -> bool:
        try:
            await self.store.residencies.update(doc["_id"], doc["version"], _state(snapshot), [event])
        except VersionConflict:
            return False
        self.notify()
        return True
