"""Residencies: a member organisation holds an office or dedicated desks for months.

Each space has a residency calendar of whole days; starting, extending, moving or ending a
residency changes its days there with the same version guard as reservations, so two
staff allocating one office at once cannot both succeed. A residency that moved has one
stay per space (`domain.stays`), each holding its own days under its own hold id.

Days are taken before the residency document says so and given back after: a crash in
between leaves a space held a little too long, never one allocated twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from parkgrid.contracts.common import Actor
from parkgrid.contracts.spaces import (
    ResidencyEnded,
    ResidencyExtended,
    ResidencyMoved,
    ResidencySnapshot,
    ResidencyStarted,
    ResidencyStatus,
    SpaceStatus,
)
from parkgrid.known import KnownMembers
from parkgrid.outbox import VersionConflict
from parkgrid.refusals import Refusal, Refused
from parkgrid.store import Document
from parkgrid.zones import NETWORK_TIME_ZONE
from spaces.adapters.stores import SpacesStore, create_once, stays_of
from spaces.domain.members import member_from
from spaces.domain.model import RESIDENCY_KINDS, Hold, Space, day_range, residency_term
from spaces.domain.stays import Stay, StayRefused, ended, extended, moved


class ResidencyRefused(Refused):
    """Invalid input (422, naming `field`), or `taken`: the space or the member is not available (409)."""

    def __init__(self, detail: str, field: str | None = None, *, taken: bool = False) -> None:
        super().__init__(Refusal.CONFLICT if taken else Refusal.INVALID, detail, field=None if taken else field)
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


def _state(snapshot: ResidencySnapshot, stays: list[Stay] | None = None) -> Document:
    """The published snapshot, and where the residency is day by day (`stays`, `sites`)."""
    state: Document = snapshot.model_dump(mode="json")
    if stays is not None:
        state["stays"] = [s.to_document() for s in stays]
        state["sites"] = sorted({s.site_id for s in stays})
    return state


@dataclass(frozen=True)
class Move:
    residency_id: str
    site_id: str
    space_id: str
    moves_on: date


class Residencies:
    def __init__(
        self,
        store: SpacesStore,
        members: KnownMembers,
        notify: Callable[[], None] = lambda: None,
        *,
        default_time_zone: str = NETWORK_TIME_ZONE,
    ) -> None:
        self.store = store
        self.members = members
        self.default_time_zone = default_time_zone
        self.notify = notify

    async def get(self, residency_id: str) -> Document | None:
        return await self.store.residencies.get(residency_id)

    async def start(self, allocation: Allocation) -> tuple[Document, bool]:
        existing = await self.get(allocation.residency_id)
        if existing is not None:
            return existing, False
        member = member_from(await self.members.get(allocation.member_id))
        if member is None:
            raise ResidencyRefused(f"there is no member {allocation.member_id}", "member_id")
        if not member.active:
            raise ResidencyRefused(f"{member.name} has left the programme", "member_id", taken=True)
        space = await self._residency_space(allocation.site_id, allocation.space_id)
        ends_on, wrong = residency_term(allocation.starts_on, allocation.ends_on)
        if wrong is not None:
            raise ResidencyRefused(wrong, "ends_on")
        rid = allocation.residency_id
        start, end = day_range(allocation.starts_on, ends_on)
        if not await self.store.residency_calendars.take_days(space.space_id, space.site_id, Hold(rid, start, end)):
            raise ResidencyRefused(f"{space.name} is allocated on some of these days", taken=True)
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
        state = _state(snapshot, [Stay(rid, space.site_id, space.space_id, allocation.starts_on, ends_on)])
        doc, new = await create_once(self.store.residencies, rid, state, [ResidencyStarted(**snapshot.model_dump())])
        if new:
            self.notify()
        return doc, new

    async def _hold_stay(self, stay: Stay) -> None:
        """Make the stay's space calendar hold exactly the stay's days (refused if taken)."""
        start, end = day_range(stay.first_day, stay.last_day)
        calendars = self.store.residency_calendars
        while True:
            calendar = await calendars.get(stay.space_id, stay.site_id)
            held = calendar.held_by(stay.hold_id)
            if held is not None and (held.starts_at, held.ends_at) == (start, end):
                return
            if not calendar.is_free(start, end, ignoring=stay.hold_id):
                raise ResidencyRefused("the space is allocated to someone else on some of these days", taken=True)
            if await calendars.replace_hold(calendar, Hold(stay.hold_id, start, end)):
                return

    async def _release_stay(self, stay: Stay) -> None:
        await self.store.residency_calendars.remove_hold(stay.space_id, stay.site_id, stay.hold_id)

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
            stays = extended(stays_of(doc), ends_on)
            await self._hold_stay(stays[-1])
            snapshot = ResidencySnapshot.model_validate({**doc, "ends_on": ends_on})
            event = ResidencyExtended(**snapshot.model_dump(), previous_ends_on=previous)
            if await self._save(doc, _state(snapshot, stays), event):
                return {**doc, **_state(snapshot, stays)}

    async def today_at(self, site_id: str) -> date:
        """Today on the site's wall clock (the default zone for a site not known)."""
        found = await self.store.site(site_id)
        zone = found[0].time_zone if found else self.default_time_zone
        return datetime.now(ZoneInfo(zone)).date()

    async def end(self, residency_id: str, on: date | None, reason: str | None) -> Document:
        """End the residency on `on` (today at its site by default); an ended one stays as it is."""
        while True:
            doc = await self.get(residency_id)
            if doc is None:
                raise LookupError(residency_id)
            if doc["status"] != ResidencyStatus.ACTIVE:
                return doc
            if on is None:
                on = await self.today_at(doc["site_id"])
            planned = date.fromisoformat(doc["ends_on"])
            starts = date.fromisoformat(doc["starts_on"])
            last_day = max(starts, min(on, planned))
            before = stays_of(doc)
            stays = ended(before, last_day)
            last = stays[-1]
            snapshot = ResidencySnapshot.model_validate(
                {
                    **doc,
                    "site_id": last.site_id,
                    "space_id": last.space_id,
                    "ends_on": last_day,
                    "status": ResidencyStatus.ENDED,
                }
            )
            event = ResidencyEnded(**snapshot.model_dump(), ended_early=last_day < planned, reason=reason)
            if await self._save(doc, _state(snapshot, stays), event):
                kept = {s.hold_id for s in stays}
                for stay in before:
                    if stay.hold_id not in kept:
                        await self._release_stay(stay)
                await self._hold_stay(last)
                return {**doc, **_state(snapshot, stays)}

    async def move(self, move: Move) -> Document:
        """Move the residency to another office or desk (same site or not) from `moves_on`."""
        rid = move.residency_id
        while True:
            doc = await self.get(rid)
            if doc is None:
                raise LookupError(rid)
            if doc["status"] != ResidencyStatus.ACTIVE:
                raise ResidencyRefused("the residency has ended", taken=True)
            target = await self._residency_space(move.site_id, move.space_id)
            before = stays_of(doc)
            moves = int(doc.get("moves", 0)) + 1
            try:
                stays = moved(
                    before, site_id=target.site_id, space_id=target.space_id, on=move.moves_on, hold_id=f"{rid}/{moves}"
                )
            except StayRefused as refused:
                raise ResidencyRefused(refused.detail, refused.field) from None
            new = stays[-1]
            await self._hold_stay(new)
            previous = before[-1]
            snapshot = ResidencySnapshot.model_validate(
                {
                    **doc,
                    "site_id": target.site_id,
                    "space_id": target.space_id,
                    "space_kind": target.kind,
                    "seats": target.capacity,
                }
            )
            event = ResidencyMoved(
                **snapshot.model_dump(),
                previous_space_id=previous.space_id,
                previous_site_id=previous.site_id if previous.site_id != target.site_id else None,
                moved_on=move.moves_on,
            )
            state = {**_state(snapshot, stays), "moves": moves}
            if not await self._save(doc, state, event):
                current = await self.get(rid)
                if current is None or (new.hold_id, new.space_id) not in {
                    (s.hold_id, s.space_id) for s in stays_of(current)
                }:
                    await self._release_stay(new)
                continue
            if len(stays) == len(before):  # moved from the first day in the old space
                await self._release_stay(previous)
            else:
                await self._hold_stay(stays[-2])
            return {**doc, **state}

    async def _residency_space(self, site_id: str, space_id: str) -> Space:
        found = await self.store.space(space_id)
        if found is None or found[0].site_id != site_id:
            raise ResidencyRefused(f"no space {space_id} at {site_id}", "space_id")
        space = found[0]
        if space.kind not in RESIDENCY_KINDS or space.status != SpaceStatus.ACTIVE:
            raise ResidencyRefused(f"{space.name} is not an office or desk open to residency", "space_id")
        return space

    async def _save(self, doc: Document, state: Document, event: Any) -> bool:
        try:
            await self.store.residencies.update(doc["_id"], doc["version"], state, [event])
        except VersionConflict:
            return False
        self.notify()
        return True
