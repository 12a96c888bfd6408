"""Commands of the spaces context: inventory changes and reservations.

Every change is one version-guarded write of an aggregate with its events (the outbox),
so what is stored and what is published never disagree. A reservation's id is the id
of the request that asked for it: a request delivered twice finds its first answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Protocol

from parkgrid.aggregates import AggregateStore, Decision, Rule, change
from parkgrid.clock import utc_now
from parkgrid.contracts.common import SpaceRequirement, TimeRange
from parkgrid.contracts.spaces import (
    RefusalReason,
    Requester,
    ReservationRequested,
    ReservationStatus,
    SpaceStatus,
)
from parkgrid.outbox import AlreadyExists
from parkgrid.refusals import Refused
from parkgrid.store import Document
from spaces.adapters.stores import SpacesStore, create_once
from spaces.domain.happened import Change
from spaces.domain.model import (
    Calendar,
    Refusal,
    Reservation,
    SpacesRefused,
    best_fits,
    invalid_range,
    reservation_given_back,
    reservation_held,
    reservation_horizon_refusal,
    reservation_turned_down,
)
from spaces.domain.sites import Site, Space, site_joined, site_revised, space_opened, space_revised
from spaces.service_layer.publication import publication, published


class UnknownSite(Refused):
    def __init__(self, site_id: str) -> None:
        super().__init__("not_found", f"there is no site {site_id}")


class AlreadyRegistered(Refused):
    """The id of a new site or space is taken (409, naming the id's field)."""

    def __init__(self, what: str, aggregate_id: str) -> None:
        super().__init__("conflict", f"there is already a {what} {aggregate_id}", field=f"{what}_id")


class SitesAndSpaces(Protocol):
    """What the inventory writes: sites and spaces as aggregates (`SpacesStore`, or in-memory fakes)."""

    @property
    def sites(self) -> AggregateStore: ...

    @property
    def spaces(self) -> AggregateStore: ...


class Inventory:
    """Sites and spaces: registered and changed by admins, one version-guarded write each."""

    def __init__(self, store: SitesAndSpaces, notify: Callable[[], None] = lambda: None) -> None:
        self.store = store
        self.notify = notify

    async def _register(self, aggregates: AggregateStore, what: str, aggregate_id: str, registered: Change) -> int:
        """Create a new site or space (as the domain `registered` it); its id taken is a 409."""
        state, happened = registered
        try:
            version = await aggregates.create(aggregate_id, state, publication(happened))
        except AlreadyExists:
            raise AlreadyRegistered(what, aggregate_id) from None
        self.notify()
        return version

    async def register_site(self, site: Site) -> tuple[Site, int]:
        return site, await self._register(self.store.sites, "site", site.site_id, site_joined(site.to_document()))

    async def update_site(self, site_id: str, expected_version: int, changes: Document) -> tuple[Site, int]:
        """Refused: not found, or stale when the site changed since `expected_version`."""

        def rule(doc: Document) -> Decision | None:
            return published(site_revised(Site.from_document(doc).revised(changes).to_document()))

        doc, version = await self._change(self.store.sites, site_id, rule, expected_version, "site")
        return Site.from_document(doc), version

    async def add_space(self, space: Space) -> tuple[Space, int]:
        if await self.store.sites.get(space.site_id) is None:
            raise UnknownSite(space.site_id)
        return space, await self._register(
            self.store.spaces, "space", space.space_id, space_opened(space.to_document())
        )

    async def update_space(self, space_id: str, expected_version: int | None, changes: Document) -> tuple[Space, int]:
        """Refused: not found, or stale when the space changed since `expected_version` (if given)."""

        def rule(doc: Document) -> Decision | None:
            current = Space.from_document(doc)
            revised = current.revised(changes)
            return published(
                space_revised(current.to_document(), revised.to_document(), asked=expected_version is not None)
            )

        doc, version = await self._change(self.store.spaces, space_id, rule, expected_version, "space")
        return Space.from_document(doc), version

    async def retire_space(self, space_id: str) -> tuple[Space, int]:
        """Idempotent: a retired space stays as it is."""
        return await self.update_space(space_id, None, {"status": SpaceStatus.RETIRED})

    async def _change(
        self, store: AggregateStore, aggregate_id: str, rule: Rule, expected_version: int | None, what: str
    ) -> tuple[Document, int]:
        doc, version = await change(
            store,
            aggregate_id,
            rule,
            expected_version=expected_version,
            what=what,
            stale=f"the {what} changed since you read it; read it again",
        )
        self.notify()  # nothing to relay when the rule changed nothing: a wasted wake-up at worst
        return doc, version


@dataclass(frozen=True)
class ReservationRequest:
    request_id: str
    requested_by: Requester
    reference_id: str
    site_id: str
    requirement: SpaceRequirement
    time: TimeRange
    member_id: str | None = None

    @classmethod
    def of(cls, command: ReservationRequested) -> ReservationRequest:
        """The request a `spaces.commands` message makes (its fields are the request's)."""
        return cls(**{f.name: getattr(command, f.name) for f in fields(cls)})


@dataclass(frozen=True)
class Prefetched:
    """Calendars read before the fitting spaces were known: those of the spaces `asked` that exist."""

    asked: set[str]
    found: dict[str, Calendar]


class Reservations:
    """Short-term reservations: the best-fitting free space, never two overlapping on one space
    (on a hot-desk area: never more seats than its places, its day passes counted in)."""

    def __init__(
        self, store: SpacesStore, notify: Callable[[], None] = lambda: None, *, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self.store = store
        self.notify = notify
        self.clock = clock
        self._spaces_seen: dict[str, list[Space]] = {}
        """Each site's active spaces as the last request for it had them: which calendars to read
        with that request's own reads (a guess; `_hold` reads those it missed)."""

    def check_horizon(self, starts_at: datetime) -> None:
        """A reservation more than two years ahead is a 422 naming `time.starts_at`."""
        wrong = reservation_horizon_refusal(starts_at, self.clock())
        if wrong is not None:
            raise SpacesRefused(wrong, "time.starts_at")

    async def get(self, reservation_id: str) -> Document | None:
        return await self.store.reservations.get(reservation_id)

    async def reserve(self, request: ReservationRequest) -> Document:
        """Confirm or refuse `request`; a request seen before gets its first answer."""
        rid = request.request_id
        # Independent reads, at once: this runs inside every room booking's saga. The read of the
        # reservation is the dedup: a request answered before (confirmed, refused or released
        # since) gets that answer and touches no calendar. The site and its active spaces are
        # those this process read at most `RECENT_SECONDS` ago and has written neither since
        # (`SpacesStore.site_lately`: no command then; else both read now). The calendars of the
        # spaces that fit as this site's spaces were last seen are read with them (a guess that
        # spares the saga a round trip: `_hold` reads any fitting space's calendar the guess missed).
        expected = [s.space_id for s in best_fits(self._spaces_seen.get(request.site_id, ()), request.requirement)]
        existing, inventory, calendars = await asyncio.gather(
            self.get(rid),
            self.store.site_lately(request.site_id),
            self.store.calendars.of(expected),
        )
        if existing is not None:
            return existing
        invalid = invalid_range(request.time.starts_at, request.time.ends_at) or reservation_horizon_refusal(
            request.time.starts_at, self.clock()
        )
        if inventory is None:
            return await self._refuse(request, Refusal(RefusalReason.UNKNOWN_SITE, f"no site {request.site_id}"))
        if invalid is not None:
            return await self._refuse(request, Refusal(RefusalReason.INVALID_REQUEST, invalid))
        site, spaces = inventory.site, inventory.spaces
        self._spaces_seen[request.site_id] = spaces
        refusal = site.refusal_for(request.time.starts_at, request.time.ends_at)
        if refusal is not None:
            return await self._refuse(request, refusal)
        fitting = best_fits(spaces, request.requirement)
        if not fitting:
            requirement = request.requirement
            detail = f"no {requirement.kind.value} at {site.name} seats {requirement.seats}"
            if requirement.features:
                detail += f" with {', '.join(requirement.features)}"
            return await self._refuse(request, Refusal(RefusalReason.NO_SPACE_FITS, detail))
        held, in_the_past = await self._hold(request, site, fitting, Prefetched(set(expected), calendars))
        if held is None and in_the_past:
            return await self._refuse(
                request, Refusal(RefusalReason.INVALID_REQUEST, "that time is past: it can no longer be reserved")
            )
        if held is None:
            return await self._refuse(
                request, Refusal(RefusalReason.NO_SPACE_FREE, "every fitting space is taken at that time")
            )
        state, happened = reservation_held(self._record(request, ReservationStatus.CONFIRMED, held).to_document())
        doc, new = await create_once(self.store.reservations, rid, state, publication(happened))
        if not new and doc.get("space_id") != held.space_id:
            # A duplicate of this request ran at the same time, answered first, on another space.
            await self.store.calendars.remove_hold(held.space_id, held.site_id, rid)
        if new:
            self.notify()
        return doc

    async def _hold(
        self, request: ReservationRequest, site: Site, fitting: list[Space], prefetched: Prefetched
    ) -> tuple[Space | None, bool]:
        """The space held for the request, if any; and whether a space was refused only because
        the range reaches into its calendar's pruned past.

        The fitting spaces' calendars were read with the request's first reads (`prefetched`);
        those of fitting spaces that read did not ask for are read at once now (one command, not
        one per space tried). A range the request already holds on one of them (a crash came
        between hold and answer) is kept, not held a second time.

        Each space's buffers (its own, else its kind's at `site`) are part of the decision the
        calendar's version-guarded write makes: a range read free with them is appended only if
        the calendar is still as read, so two requests that conflict only through the buffers
        cannot both be held. A calendar read at once with the others is such a read: when it
        changed since, the write fails and the calendar is read again."""
        rid = request.request_id
        start, end = request.time.starts_at, request.time.ends_at
        seats = request.requirement.seats
        unread = [space.space_id for space in fitting if space.space_id not in prefetched.asked]
        read = {**prefetched.found, **await self.store.calendars.of(unread)}
        for space in fitting:
            calendar = read.get(space.space_id)
            if calendar is not None and calendar.held_by(rid) is not None:
                return space, False
        in_the_past = False
        for space in fitting:
            buffers = space.buffers_at(site)
            calendar = read.get(space.space_id)
            while True:
                if calendar is None:
                    calendar = await self.store.calendars.opened(space.space_id, space.site_id)
                if calendar.held_by(rid) is not None:
                    return space, False
                if not calendar.admits(space, buffers, start, end, seats):
                    in_the_past = in_the_past or calendar.is_history(start, buffers)
                    break
                if await self.store.calendars.add_hold(calendar, space.hold_for(rid, start, end, seats)):
                    return space, False
                # the calendar changed under us: read it again
                calendar = await self.store.calendars.get(space.space_id, space.site_id)
        return None, in_the_past

    def _record(self, request: ReservationRequest, status: ReservationStatus, space: Space | None) -> Reservation:
        return Reservation(
            reservation_id=request.request_id,
            request_id=request.request_id,
            requested_by=request.requested_by,
            reference_id=request.reference_id,
            site_id=request.site_id,
            requirement=request.requirement,
            starts_at=request.time.starts_at,
            ends_at=request.time.ends_at,
            member_id=request.member_id,
            status=status,
            space_id=space.space_id if space else None,
            space_name=space.name if space else None,
        )

    async def _refuse(self, request: ReservationRequest, refusal: Refusal) -> Document:
        refused = self._record(request, ReservationStatus.REFUSED, None).to_document()
        state, happened = reservation_turned_down(refused, refusal)
        doc, new = await create_once(self.store.reservations, request.request_id, state, publication(happened))
        if new:
            self.notify()
        return doc

    async def release(self, reservation_id: str) -> Document | None:
        """Give back what the request obtained; nothing to do for unknown, refused or released ones.

        The range is freed before the reservation says so: a crash in between leaves a
        confirmed reservation whose release, asked again, finishes the job.
        """
        doc = await self.get(reservation_id)
        if doc is None or doc["status"] != ReservationStatus.CONFIRMED:
            return doc
        await self.store.calendars.remove_hold(doc["space_id"], doc["site_id"], reservation_id)
        released_at = self.clock()
        released, version = await change(
            self.store.reservations,
            reservation_id,
            lambda current: published(reservation_given_back(current, released_at)),
            what="reservation",
        )
        if version != doc["version"]:
            self.notify()
        return released


__all__ = ["AlreadyRegistered", "Inventory", "ReservationRequest", "Reservations", "UnknownSite"]
