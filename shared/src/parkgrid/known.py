"""What every service knows of the network's sites and member organisations, from their events.

Spaces publishes sites (`spaces.site`), community member organisations (`community.member`);
catalogue, bookings, spaces, community and the front desk each keep the same few facts of
them to check a site, a time zone, a member's kind or status, or show a name. These are
those projections, once: one document per aggregate under the kit's version guard, so a
duplicate or a replay changes nothing and `parkgrid rebuild` can drop and refill them.
Each service turns a document into its own domain's facts.

Reads that run on every command (a site's zone) are remembered for `RECENT_SECONDS` and
forgotten as soon as a change to that aggregate is applied here: staleness of the same order
as the projection's own (events arrive seconds after the fact at worst).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Generic, TypeVar

from parkgrid.contracts.common import Closure, WeeklyWindow
from parkgrid.contracts.community import MemberSnapshot, MemberStatus
from parkgrid.contracts.spaces import SiteSnapshot, SiteStatus
from parkgrid.envelope import Envelope
from parkgrid.projection import Projection
from parkgrid.store import Collection, Document
from parkgrid.weekly import site_refusal

RECENT_SECONDS = 2.0
T = TypeVar("T")


class Recent(Generic[T]):
    """What was read lately, by id, for `RECENT_SECONDS`; at most `size` entries."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._entries: dict[str, tuple[float, T]] = {}

    def get(self, key: str) -> T | None:
        found = self._entries.get(key)
        if found is None or found[0] < time.monotonic():
            return None
        return found[1]

    def put(self, key: str, value: T) -> T:
        if len(self._entries) >= self.size:
            self._entries.clear()  # rare: a fresh start costs one read per id
        self._entries[key] = (time.monotonic() + RECENT_SECONDS, value)
        return value

    def forget(self, key: str) -> None:
        self._entries.pop(key, None)


class Lately(Generic[T]):
    """What this process read of an aggregate it writes itself, at most `RECENT_SECONDS` ago,
    forgotten as soon as this process writes it (`forget`): within one process the memory is
    exact, and another process's write is seen within `RECENT_SECONDS`.

    A read that was under way while a write ended is not kept (it may hold the state from before
    the write): `forget` counts the writes, and a read keeps what it found only if none ended
    meanwhile. Nothing found is not remembered (read again each time)."""

    def __init__(self) -> None:
        self.recent: Recent[T] = Recent()
        self.writes = 0

    def remembered(self, key: str) -> T | None:
        return self.recent.get(key)

    async def read(self, key: str, load: Callable[[], Awaitable[T | None]]) -> T | None:
        found = self.recent.get(key)
        if found is not None:
            return found
        writes = self.writes
        value = await load()
        if value is not None and writes == self.writes:
            self.recent.put(key, value)
        return value

    def forget(self, key: str | None) -> None:
        """`key` is read again next time (None: every key, when a write does not say which)."""
        self.writes += 1
        if key is None:
            self.recent = Recent()
        else:
            self.recent.forget(key)


class KnownSites:
    """Sites as spaces publishes them: name, city, IANA time zone, status, opening hours, closures, and
    rooms' buffers by kind (`parkgrid.buffers`; absent from a site projected before they existed), and
    after how many minutes a booking not checked in is released as a no-show (absent: never)."""

    def __init__(self, collection: Collection) -> None:
        self.projection = Projection(collection)
        self.recent: Recent[Document] = Recent()
        """Sites as read at most `RECENT_SECONDS` ago, for the write paths that need a site's zone
        and calendar on every command; forgotten as soon as this process applies a change."""

    async def apply(self, envelope: Envelope, site: SiteSnapshot) -> bool:
        try:
            return await self.projection.apply_event(
                envelope,
                {
                    "name": site.name,
                    "city": site.city,
                    "time_zone": site.time_zone,
                    "status": site.status.value,
                    "opening_hours": [w.model_dump(mode="json") for w in site.opening_hours],
                    "closures": [c.model_dump(mode="json") for c in site.closures],
                    "buffers": {kind.value: b.model_dump(mode="json") for kind, b in site.buffers.items()},
                    "no_show_release_minutes": site.no_show_release_minutes,
                },
            )
        finally:
            self.recent.forget(site.site_id)

    async def get(self, site_id: str) -> Document | None:
        return await self.projection.get(site_id)

    async def is_open(self, site_id: str) -> bool:
        doc = await self.get(site_id)
        return doc is not None and doc["status"] == SiteStatus.OPEN.value

    async def _recent(self, site_id: str) -> Document | None:
        """The site as read at most `RECENT_SECONDS` ago (None: not known, and not remembered)."""
        recent = self.recent.get(site_id)
        if recent is not None:
            return recent
        doc = await self.projection.get(site_id)
        return None if doc is None else self.recent.put(site_id, doc)

    async def time_zone(self, site_id: str | None) -> str | None:
        """The site's IANA time zone, read at most `RECENT_SECONDS` ago; None for a site not known."""
        doc = None if site_id is None else await self._recent(site_id)
        return None if doc is None else str(doc["time_zone"])

    async def refusal_for(self, site_id: str, starts_at: datetime, ends_at: datetime) -> str | None:
        """Why the site's calendar (status, closures, opening hours) cannot host the range; None if it can.

        Read at most `RECENT_SECONDS` ago, like the zone: a closure saved by spaces reaches this
        projection through Kafka anyway. A site not known here is not refused (the service that
        owns the site decides): its events may simply not have arrived yet.
        """
        doc = await self._recent(site_id)
        if doc is None:
            return None
        return site_refusal(
            [WeeklyWindow.model_validate(w) for w in doc.get("opening_hours", [])],
            [Closure.model_validate(c) for c in doc.get("closures", [])],
            doc["status"] == SiteStatus.OPEN.value,
            str(doc["time_zone"]),
            starts_at,
            ends_at,
        )

    async def name(self, site_id: str | None) -> str | None:
        if site_id is None:
            return None
        doc = await self.projection.get(site_id)
        return None if doc is None else str(doc["name"])

    async def releasing_no_shows(self) -> dict[str, int]:
        """The sites that release a booking not checked in so many minutes after its start, with
        their minutes (`SiteSnapshot.no_show_release_minutes`; absent or None: they release none)."""
        found = self.projection.collection.find({"no_show_release_minutes": {"$gt": 0}}, {"no_show_release_minutes": 1})
        return {str(doc["_id"]): int(doc["no_show_release_minutes"]) async for doc in found}

    async def known_ids(self) -> set[str]:
        return {doc["_id"] async for doc in self.projection.collection.find({}, {"_id": 1})}


class KnownMembers:
    """Member organisations as community publishes them: name, kind, stage, status, home site, people."""

    def __init__(self, collection: Collection) -> None:
        self.projection = Projection(collection)
        self.recent: Recent[Document] = Recent()

    async def apply(self, envelope: Envelope, member: MemberSnapshot) -> bool:
        try:
            return await self.projection.apply_event(
                envelope,
                {
                    "member_id": member.member_id,
                    "name": member.name,
                    "kind": member.kind.value,
                    "stage": member.programme.stage.value,
                    "cohort": member.programme.cohort,
                    "programme_started_on": member.programme.started_on.isoformat(),
                    "status": member.status.value,
                    "home_site_id": member.home_site_id,
                    "people": [p.person_id for p in member.people],
                },
            )
        finally:
            self.recent.forget(member.member_id)

    async def get(self, member_id: str) -> Document | None:
        return await self.projection.get(member_id)

    async def lately(self, member_id: str) -> Document | None:
        """The member as read at most `RECENT_SECONDS` ago, for a write path that reads it on every
        command (a member's stage or status reaches this projection through Kafka anyway);
        forgotten as soon as this process applies a change to it."""
        recent = self.recent.get(member_id)
        if recent is not None:
            return recent
        doc = await self.projection.get(member_id)
        return None if doc is None else self.recent.put(member_id, doc)

    async def active(self) -> list[Document]:
        return await self.projection.collection.find({"status": MemberStatus.ACTIVE.value}).sort("_id", 1).to_list()

    async def names(self, member_ids: set[str]) -> dict[str, str]:
        """The names of these members (those not known are left out)."""
        if not member_ids:
            return {}
        docs = await self.projection.collection.find({"_id": {"$in": sorted(member_ids)}}, {"name": 1}).to_list()
        return {d["_id"]: d["name"] for d in docs}
