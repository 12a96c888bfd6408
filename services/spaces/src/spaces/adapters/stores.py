"""The aggregates of spaces in the store, and the space calendars.

Sites, spaces and reservations are aggregates with an embedded outbox
(`parkgrid.outbox.MongoAggregateStore`). A space's calendar is one document per space with
its held ranges and a version: a hold is appended only if the calendar is still at the
version it was read at, so two writers that both saw the range free cannot both take it.

A site with its active spaces, as a reservation request reads them, is remembered for
`parkgrid.known.RECENT_SECONDS` and forgotten as soon as this process writes that site or one
of its spaces (`SitesLately`): spaces is the only writer of sites and spaces, so within one
process the memory is exact; another replica's (or the seeder's) write is seen at most
`RECENT_SECONDS` late.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from pymongo import ASCENDING

from parkgrid.aggregates import AggregateStore
from parkgrid.contracts.common import SpaceKind
from parkgrid.contracts.spaces import SpaceStatus
from parkgrid.events import IntegrationEvent, registry
from parkgrid.known import Lately
from parkgrid.outbox import AlreadyExists, MongoAggregateStore
from parkgrid.store import Collection, Database, Document, DuplicateKeyError, create_index
from spaces.domain.model import Calendar, Hold
from spaces.domain.sites import Site, Space

SOURCE = "spaces"


async def create_once(
    aggregates: AggregateStore, aggregate_id: str, state: Document, events: Sequence[IntegrationEvent]
) -> tuple[Document, bool]:
    """Create the aggregate with its events, and True; or, when a duplicate of the same request
    created it first, that aggregate as stored, and False."""
    try:
        version = await aggregates.create(aggregate_id, state, events)
    except AlreadyExists:
        first = await aggregates.get(aggregate_id)
        assert first is not None
        return first, False
    return {**state, "_id": aggregate_id, "version": version}, True


def aggregates(db: Database, collection: str, topic: str) -> MongoAggregateStore:
    """A collection of spaces' aggregates, whose events its embedded outbox relays to `topic`."""
    return MongoAggregateStore(db[collection], registry=registry, source=SOURCE, topic=topic)


SiteOf = Callable[[str, Document], str | None]
Forget = Callable[[str | None], None]


def inventoried(db: Database, collection: str, topic: str, *, site_of: SiteOf, written: Forget) -> MongoAggregateStore:
    """Sites or spaces: every write through them (create, update; done or not) is told to `written`
    with the site it concerns, `site_of(aggregate_id, state)`."""
    return MongoAggregateStore(
        db[collection],
        registry=registry,
        source=SOURCE,
        topic=topic,
        written=lambda aggregate_id, state: written(site_of(aggregate_id, state)),
    )


@dataclass(frozen=True)
class SiteInventory:
    """A site and its active spaces, as read together for a reservation request."""

    site: Site
    spaces: list[Space]


SitesLately = Lately[SiteInventory]
"""Each site with its active spaces as this process read them at most `RECENT_SECONDS` ago,
forgotten as soon as this process writes the site or one of its spaces (a write that does not
say which site forgets all)."""


class SpacesStore:
    """Every collection of the spaces service."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.sites_lately = SitesLately()
        self.sites = inventoried(
            db, "sites", "spaces.site", site_of=lambda site_id, _: site_id, written=self.sites_lately.forget
        )
        self.spaces = inventoried(
            db,
            "spaces",
            "spaces.space",
            site_of=lambda _, state: state.get("site_id"),
            written=self.sites_lately.forget,
        )
        self.reservations = aggregates(db, "reservations", "spaces.reservation")
        self.calendars = Calendars(db["space_calendars"])
        self.residencies = aggregates(db, "residencies", "spaces.residency")
        self.former_residency_calendars = db["residency_calendars"]

    @property
    def outbox_collections(self) -> list[Any]:
        return [
            self.sites.collection,
            self.spaces.collection,
            self.reservations.collection,
            self.residencies.collection,
        ]

    async def ensure_indexes(self) -> None:
        for aggregates in (self.sites, self.spaces, self.reservations, self.residencies):
            await aggregates.ensure_indexes()
        await create_index(self.spaces.collection, [("site_id", ASCENDING)], name="site")
        await create_index(self.reservations.collection, [("site_id", ASCENDING)], name="site")
        await self.calendars.absorb(self.former_residency_calendars)

    async def site(self, site_id: str) -> tuple[Site, int] | None:
        doc = await self.sites.get(site_id)
        return (Site.from_document(doc), doc["version"]) if doc else None

    async def space(self, space_id: str) -> tuple[Space, int] | None:
        doc = await self.spaces.get(space_id)
        return (Space.from_document(doc), doc["version"]) if doc else None

    async def site_lately(self, site_id: str) -> SiteInventory | None:
        """The site and its active spaces, read at once, or as this process read them at most
        `RECENT_SECONDS` ago and has written neither since (`SitesLately`); None: no such site."""

        async def load() -> SiteInventory | None:
            doc, listed = await asyncio.gather(self.sites.get(site_id), self.spaces_of(site_id, active_only=True))
            return None if doc is None else SiteInventory(Site.from_document(doc), [s for s, _ in listed])

        return await self.sites_lately.read(site_id, load)

    async def all_sites(self, where: Document | None = None) -> list[tuple[Site, int]]:
        """Every site, or those matching `where` (a caller's scope)."""
        docs = await self.sites.collection.find(where or {}, {"outbox": 0}).sort("_id", ASCENDING).to_list()
        return [(Site.from_document(d), d["version"]) for d in docs]

    async def spaces_of(
        self,
        site_id: str,
        *,
        kind: SpaceKind | None = None,
        min_capacity: int | None = None,
        features: list[str] | None = None,
        active_only: bool = False,
    ) -> list[tuple[Space, int]]:
        query: Document = {"site_id": site_id}
        if kind is not None:
            query["kind"] = kind.value
        if active_only:
            query["status"] = SpaceStatus.ACTIVE.value
        docs = await self.spaces.collection.find(query, {"outbox": 0}).sort("_id", ASCENDING).to_list()
        found = [(Space.from_document(d), d["version"]) for d in docs]
        return [
            (s, v)
            for s, v in found
            if (min_capacity is None or s.capacity >= min_capacity) and set(features or ()) <= set(s.features)
        ]

    async def reservations_between(self, site_id: str, starts_at: datetime, ends_at: datetime) -> list[Document]:
        return await self.reservations.collection.find(
            {
                "site_id": site_id,
                "status": "confirmed",
                "time.starts_at": {"$lt": ends_at},
                "time.ends_at": {"$gt": starts_at},
            },
            {"outbox": 0},
        ).to_list()

    async def residencies_at(self, site_id: str, first: date, last: date) -> list[Document]:
        """Residencies with a day in [first, last] that were ever at this site (moves included)."""
        return await self.residencies.collection.find(
            {
                "$or": [{"site_id": site_id}, {"sites": site_id}],
                "starts_on": {"$lte": last.isoformat()},
                "ends_on": {"$gte": first.isoformat()},
            },
            {"outbox": 0},
        ).to_list()


class Calendars:
    """One document per space: `{_id: space_id, site_id, version, holds: [line], first_end,
    residency_holds}`.

    Reservations hold time ranges; residencies (and office offers) hold whole days (midnight
    UTC to the midnight after the last day, a residency hold) on the same document, so a
    reservation and a residency racing for one office are decided by one conditional write.

    Each hold is stored as one string (`hold_line`), not a sub-document: FerretDB decodes and
    encodes a whole document on every command, at about 15 µs per value it holds, so a room
    with 200 holds of 3-6 values each cost 11 ms of store CPU per read or write, against 3.6 ms
    as 200 strings (bench/README.md, 2026-12-06 evening). The store never looks inside a hold:
    every write replaces the holds whole under the version guard, with what the queries need
    beside them (`first_end`, the earliest end of a prunable hold; `residency_holds`, how many
    residency holds). Calendars written with sub-documents are read as they are and stored the
    new way by their next write.
    """

    def __init__(self, collection: Collection) -> None:
        self.collection = collection

    async def get(self, space_id: str, site_id: str) -> Calendar:
        doc = await self.collection.find_one({"_id": space_id})
        return _calendar_from(doc) if doc is not None else await self.opened(space_id, site_id)

    async def opened(self, space_id: str, site_id: str) -> Calendar:
        """The calendar of a space none was found for: opened empty at version 0 (one insert),
        or, when another writer opened it first, as it is now (one read)."""
        try:
            await self.collection.insert_one({"_id": space_id, "site_id": site_id, "version": 0, **_stored([])})
        except DuplicateKeyError:
            doc = await self.collection.find_one({"_id": space_id})
            assert doc is not None
            return _calendar_from(doc)
        return Calendar(space_id=space_id, version=0)

    async def of(self, space_ids: Sequence[str]) -> dict[str, Calendar]:
        """The calendars of these spaces that exist, by space id, in one read. A snapshot like
        `get`'s: a hold decided on one is still appended only under its version guard."""
        if not space_ids:
            return {}
        docs = await self.collection.find({"_id": {"$in": list(space_ids)}}).to_list()
        return {doc["_id"]: _calendar_from(doc) for doc in docs}

    async def prune(self, cut: datetime) -> int:
        """Remove the holds that ended before `cut` from every calendar; how many went.

        Each calendar is rewritten under its version guard with `closed_before` moved to
        `cut`, so a range reaching before it can no longer be held (a pruned hold could be
        there): pruning never lets two reservations overlap.
        """
        removed = 0
        docs = await self.collection.find(
            {"$or": [{"first_end": {"$lt": cut}}, {"holds.ends_at": {"$lt": cut}}]},  # the latter: stored the old way
            {"_id": 1, "site_id": 1},
        ).to_list()
        for doc in docs:
            while True:
                calendar = await self.get(doc["_id"], doc["site_id"])
                past = calendar.past_holds(cut)
                if not past:
                    break
                kept = [h for h in calendar.holds if h not in past]
                closed_before = max(cut, calendar.closed_before) if calendar.closed_before else cut
                if await self._rewrite(calendar, kept, closed_before=closed_before):
                    removed += len(past)
                    break
        return removed

    async def _rewrite(self, calendar: Calendar, holds: Sequence[Hold], **also: Any) -> bool:
        """Store `holds` as the calendar's if it is still as read (its version): the one write
        every change of a calendar makes. False if another writer got there first."""
        result = await self.collection.update_one(
            {"_id": calendar.space_id, "version": calendar.version},
            {"$set": {**_stored(holds), **also, "version": calendar.version + 1}},
        )
        return result.matched_count == 1

    async def add_hold(self, calendar: Calendar, hold: Hold) -> bool:
        """Append `hold` if the calendar is still as read; False if another writer got there first."""
        return await self._rewrite(calendar, [*calendar.holds, hold])

    async def take_days(self, space_id: str, site_id: str, hold: Hold) -> bool:
        """Hold `hold`'s days on the space (already held by it: done); False when a residency, an
        offer or a reservation holds some of them."""
        while True:
            calendar = await self.get(space_id, site_id)
            held = calendar.held_by(hold.reservation_id)
            if held is not None and held.held_at is None:
                return True
            if held is not None:
                # Held since the repair sweep saw it: taken again now, so its grace starts over
                # (a write, so a repair that read the calendar before this one cannot remove it).
                if await self.replace_hold(calendar, replace(held, held_at=None)):
                    return True
                continue
            if not calendar.days_free(hold.starts_at, hold.ends_at):
                return False
            if await self.add_hold(calendar, hold):
                return True

    async def absorb(self, former: Collection) -> int:
        """Move the holds of residencies' former calendars (a collection of their own, which
        reservations never read) onto these; once per former calendar. How many moved."""
        moved = 0
        for doc in await former.find({"absorbed": {"$ne": True}}).to_list():
            for h in doc["holds"]:
                hold = Hold(h["reservation_id"], _aware(h["starts_at"]), _aware(h["ends_at"]), residency=True)
                while True:
                    calendar = await self.get(doc["_id"], doc["site_id"])
                    if calendar.held_by(hold.reservation_id) is not None:
                        break
                    if await self.add_hold(calendar, hold):
                        moved += 1
                        break
            await former.update_one({"_id": doc["_id"]}, {"$set": {"absorbed": True}})
        return moved

    async def replace_hold(self, calendar: Calendar, hold: Hold) -> bool:
        """Change the range `hold.reservation_id` holds if the calendar is still as read."""
        kept = [h for h in calendar.holds if h.reservation_id != hold.reservation_id]
        return await self._rewrite(calendar, [*kept, hold])

    async def remove_hold(self, space_id: str, site_id: str, reservation_id: str) -> None:
        """Free the range a reservation held (nothing if it held none); retried until it sticks."""
        while True:
            calendar = await self.get(space_id, site_id)
            if calendar.held_by(reservation_id) is None:
                return
            if await self._rewrite(calendar, [h for h in calendar.holds if h.reservation_id != reservation_id]):
                return

    async def with_residency_holds(self) -> list[Document]:
        """The calendars holding days for a residency or an office offer (ids and sites only)."""
        return await self.collection.find(
            {"$or": [{"residency_holds": {"$gt": 0}}, {"holds.residency": True}]},  # the latter: stored the old way
            {"_id": 1, "site_id": 1},
        ).to_list()

    async def stamp_residency_holds(self, space_id: str, site_id: str, now: datetime) -> Calendar:
        """The calendar with every residency hold stamped `held_at` (those not yet stamped: `now`)."""
        while True:
            calendar = await self.get(space_id, site_id)
            if all(h.held_at is not None for h in calendar.holds if h.residency):
                return calendar
            holds = [replace(h, held_at=now) if h.residency and h.held_at is None else h for h in calendar.holds]
            if await self._rewrite(calendar, holds):
                return replace(calendar, holds=holds, version=calendar.version + 1)

    async def drop_holds(self, calendar: Calendar, holder_ids: set[str]) -> bool:
        """Remove these holds if the calendar is still as read (nobody took or changed any since)."""
        return await self._rewrite(calendar, [h for h in calendar.holds if h.reservation_id not in holder_ids])


def _aware(moment: datetime) -> datetime:
    """The store gives back naive UTC datetimes unless the client is tz-aware."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _calendar_from(doc: Document) -> Calendar:
    return Calendar(
        space_id=doc["_id"],
        version=doc["version"],
        holds=[hold_from_stored(h) for h in doc["holds"]],
        closed_before=_aware(doc["closed_before"]) if doc.get("closed_before") else None,
    )


def _stored(holds: Sequence[Hold]) -> Document:
    """A calendar's holds as stored, with what the queries need of them (`Calendars`)."""
    prunable = [h.ends_at for h in holds if not h.residency]
    return {
        "holds": [hold_line(h) for h in holds],
        "first_end": min(prunable) if prunable else None,
        "residency_holds": sum(1 for h in holds if h.residency),
    }


def hold_line(hold: Hold) -> str:
    """One hold as stored: `starts|ends|places|r|held_at|holder`, times in UTC ISO 8601, the
    optional parts empty (`r`: a residency's hold). The holder's id comes last, so it may hold
    any character."""
    return "|".join(
        (
            _iso(hold.starts_at),
            _iso(hold.ends_at),
            "" if hold.places is None else str(hold.places),
            "r" if hold.residency else "",
            "" if hold.held_at is None else _iso(hold.held_at),
            hold.reservation_id,
        )
    )


def hold_from_stored(stored: str | Document) -> Hold:
    """A hold as a calendar stores it: a line (`hold_line`), or a sub-document (written before)."""
    if isinstance(stored, str):
        starts, ends, places, residency, held_at, holder = stored.split("|", 5)
        return Hold(
            holder,
            datetime.fromisoformat(starts),
            datetime.fromisoformat(ends),
            residency == "r",
            places=int(places) if places else None,
            held_at=datetime.fromisoformat(held_at) if held_at else None,
        )
    stamped = stored.get("held_at")  # a sub-document: a calendar stored before holds were lines
    return Hold(
        stored["reservation_id"],
        _aware(stored["starts_at"]),
        _aware(stored["ends_at"]),
        bool(stored.get("residency")),
        places=stored.get("places"),
        held_at=_aware(stamped) if stamped is not None else None,
    )


def _iso(moment: datetime) -> str:
    return _aware(moment).astimezone(UTC).isoformat().replace("+00:00", "Z")
