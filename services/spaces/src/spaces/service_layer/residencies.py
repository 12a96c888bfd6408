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
from dataclasses import asdict, dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from parkgrid.aggregates import Decision, change
from parkgrid.clock import utc_now
from parkgrid.contracts.common import Actor
from parkgrid.contracts.spaces import ResidencyStatus, SpaceStatus
from parkgrid.known import KnownMembers
from parkgrid.outbox import VersionConflict
from parkgrid.store import Document
from parkgrid.zones import NETWORK_TIME_ZONE
from spaces.adapters.stores import SpacesStore, create_once
from spaces.domain.happened import Change
from spaces.domain.members import member_from
from spaces.domain.model import RESIDENCY_KINDS, Hold, SpacesRefused, day_range, residency_start_refusal, residency_term
from spaces.domain.sites import Space
from spaces.domain.stays import (
    Residency,
    ResidencyRefused,
    Stay,
    ongoing,
    residency_begun,
    residency_closed,
    residency_prolonged,
    residency_relocated,
    stays_of,
)
from spaces.service_layer.publication import publication, published


@dataclass(frozen=True)
class Allocation:
    residency_id: str
    member_id: str
    site_id: str
    space_id: str
    starts_on: date
    ends_on: date | None
    allocated_by: Actor


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
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = store
        self.members = members
        self.default_time_zone = default_time_zone
        self.notify = notify
        self.clock = clock

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
            raise ResidencyRefused(f"{member.name} has left the programme", "member_id", conflict=True)
        space = await self._residency_space(allocation.site_id, allocation.space_id)
        await self.check_start(allocation.site_id, allocation.starts_on, ResidencyRefused)
        ends_on, wrong = residency_term(allocation.starts_on, allocation.ends_on)
        if wrong is not None:
            raise ResidencyRefused(wrong, "ends_on")
        rid = allocation.residency_id
        start, end = day_range(allocation.starts_on, ends_on)
        if not await self.store.calendars.take_days(
            space.space_id, space.site_id, Hold(rid, start, end, residency=True)
        ):
            raise ResidencyRefused(f"{space.name} is allocated or reserved on some of these days", conflict=True)
        residency = Residency(
            **{**asdict(allocation), "space_id": space.space_id, "ends_on": ends_on},
            space_kind=space.kind,
            seats=space.capacity,
            status=ResidencyStatus.ACTIVE,
        )
        state, happened = residency_begun(residency.to_document())
        doc, new = await create_once(self.store.residencies, rid, state, publication(happened))
        if new:
            self.notify()
        return doc, new

    async def _hold_stay(self, stay: Stay) -> None:
        """Make the stay's space calendar hold exactly the stay's days (refused if taken)."""
        start, end = day_range(stay.first_day, stay.last_day)
        calendars = self.store.calendars
        while True:
            calendar = await calendars.get(stay.space_id, stay.site_id)
            held = calendar.held_by(stay.hold_id)
            if held is not None and (held.starts_at, held.ends_at) == (start, end):
                return
            if not calendar.days_free(start, end, ignoring=stay.hold_id):
                raise ResidencyRefused(
                    "the space is allocated to someone else or reserved on some of these days", conflict=True
                )
            if await calendars.replace_hold(calendar, Hold(stay.hold_id, start, end, residency=True)):
                return

    async def _release_stay(self, stay: Stay) -> None:
        await self.store.calendars.remove_hold(stay.space_id, stay.site_id, stay.hold_id)

    async def extend(self, residency_id: str, ends_on: date) -> Document:
        while True:
            doc = await self._residency(residency_id)
            prolonged = residency_prolonged(doc, ends_on)
            await self._hold_stay(stays_of(prolonged[0])[-1])
            saved = await self._save(doc, prolonged)
            if saved is not None:
                return saved

    async def today_at(self, site_id: str) -> date:
        """Today on the site's wall clock (the default zone for a site not known)."""
        found = await self.store.site(site_id)
        zone = found[0].time_zone if found else self.default_time_zone
        return self.clock().astimezone(ZoneInfo(zone)).date()

    async def check_start(self, site_id: str, starts_on: date, refused: type[SpacesRefused]) -> None:
        """A residency (or an offer of one) starts at most 31 days back and 2 years ahead of
        today at its site: anything else is `refused` (422 naming `starts_on`)."""
        wrong = residency_start_refusal(starts_on, await self.today_at(site_id))
        if wrong is not None:
            raise refused(wrong, "starts_on")

    async def end(self, residency_id: str, on: date | None, reason: str | None) -> Document:
        """End the residency on `on` (today at its site by default); an ended one stays as it is.

        The days after the end are given back once the residency says it ended.
        """
        doc = await self._residency(residency_id)
        if doc["status"] != ResidencyStatus.ACTIVE:
            return doc
        day = on or await self.today_at(doc["site_id"])
        decided: list[tuple[list[Stay], list[Stay]]] = []  # the stays before and after, as last decided

        def rule(current: Document) -> Decision | None:
            closed = residency_closed(current, day, reason)
            decided[:] = [] if closed is None else [(stays_of(current), stays_of({**current, **closed[0]}))]
            return published(closed)

        saved, _ = await change(self.store.residencies, residency_id, rule, what="residency")
        if not decided:
            return saved
        self.notify()
        before, stays = decided[0]
        kept = {s.hold_id for s in stays}
        for stay in before:
            if stay.hold_id not in kept:
                await self._release_stay(stay)
        await self._hold_stay(stays[-1])
        return saved

    async def move(self, move: Move) -> Document:
        """Move the residency to another office or desk (same site or not) from `moves_on`."""
        while True:
            doc = await self._residency(move.residency_id)
            ongoing(doc, ResidencyRefused("the residency has ended", conflict=True))
            target = await self._residency_space(move.site_id, move.space_id)
            relocated = residency_relocated(doc, target, move.moves_on)
            before, stays = stays_of(doc), stays_of(relocated[0])
            new = stays[-1]
            await self._hold_stay(new)
            saved = await self._save(doc, relocated)
            if saved is None:
                current = await self.get(move.residency_id)
                if current is None or (new.hold_id, new.space_id) not in {
                    (s.hold_id, s.space_id) for s in stays_of(current)
                }:
                    await self._release_stay(new)
                continue
            if len(stays) == len(before):  # moved from the first day in the old space
                await self._release_stay(before[-1])
            else:
                await self._hold_stay(stays[-2])
            return saved

    async def _residency_space(self, site_id: str, space_id: str) -> Space:
        found = await self.store.space(space_id)
        if found is None or found[0].site_id != site_id:
            raise ResidencyRefused(f"no space {space_id} at {site_id}", "space_id")
        space = found[0]
        if space.kind not in RESIDENCY_KINDS or space.status != SpaceStatus.ACTIVE:
            raise ResidencyRefused(f"{space.name} is not an office or desk open to residency", "space_id")
        return space

    async def _residency(self, residency_id: str) -> Document:
        doc = await self.get(residency_id)
        if doc is None:
            raise LookupError(residency_id)
        return doc

    async def _save(self, doc: Document, changed: Change) -> Document | None:
        """Save what the domain decided on `doc`; None when the residency moved meanwhile.

        Not the kit's `change`: extending and moving take the new days on the calendar before
        the residency says so, so a moved residency is decided and held again by the caller.
        """
        state, happened = changed
        try:
            await self.store.residencies.update(doc["_id"], doc["version"], state, publication(happened))
        except VersionConflict:
            return None
        self.notify()
        return {**doc, **state}
