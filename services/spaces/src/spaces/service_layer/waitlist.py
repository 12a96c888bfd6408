"""The office waitlist: join, offer a freed office to the first in line, accept, decline, leave.

An offer holds the office's days on its residency calendar under the id of the residency
the offer would start, so the office cannot be allocated to anyone else (nor offered
twice) while the entry answers; accepting starts exactly that residency, declining or
leaving gives the days back and offers the office to the next in line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from parkgrid.aggregates import Decision, change
from parkgrid.contracts.common import Actor
from parkgrid.contracts.spaces import WaitlistStatus
from parkgrid.known import KnownMembers
from parkgrid.outbox import AlreadyExists, VersionConflict
from parkgrid.store import Document
from spaces.adapters.stores import SpacesStore
from spaces.adapters.waitlist import WaitlistStore, ticket_of
from spaces.domain.members import member_from
from spaces.domain.model import Hold, day_range, residency_term
from spaces.domain.waitlist import (
    OPEN,
    Entry,
    Offer,
    WaitlistRefused,
    check_transition,
    entry_id_for,
    line_joined,
    next_in_line,
    offer_lapsed,
    offer_taken,
    office_offered,
    office_refusal,
    position_of,
    residency_id_for,
    stepped_out,
)
from spaces.service_layer.publication import publication, published
from spaces.service_layer.residencies import Allocation, Residencies


@dataclass(frozen=True)
class Offering:
    """A freed office to offer to the first in line of `seats` (the office's size by default)."""

    site_id: str
    space_id: str
    starts_on: date
    ends_on: date | None
    offered_by: Actor
    seats: int | None = None


class Waitlist:
    def __init__(
        self,
        store: SpacesStore,
        waitlist: WaitlistStore,
        residencies: Residencies,
        members: KnownMembers,
        notify: Callable[[], None] = lambda: None,
        *,
        answer_within: timedelta = timedelta(hours=72),
    ) -> None:
        self.store = store
        self.waitlist = waitlist
        self.residencies = residencies
        self.members = members
        self.notify = notify
        self.answer_within = answer_within

    def now(self) -> datetime:
        """The service's clock (the residencies' one: offers start residencies)."""
        return self.residencies.clock()

    async def get(self, entry_id: str) -> Document | None:
        return await self.waitlist.get(entry_id)

    async def line_of_site(self, site_id: str) -> list[Document]:
        """The open entries of every line of the site, each with its current place in its line."""
        docs = await self.waitlist.of_site(site_id)
        by_line: dict[int, list[Document]] = {}
        for doc in docs:
            by_line.setdefault(doc["seats"], []).append(doc)
        out = []
        for seats in sorted(by_line):
            tickets = [ticket_of(d) for d in by_line[seats]]
            out += [{**d, "position": position_of(d["entry_id"], tickets)} for d in by_line[seats]]
        return out

    async def join(self, site_id: str, member_id: str, seats: int) -> tuple[Document, bool]:
        """The member's entry in the line, and whether it joined now (False: it was in line already)."""
        member = member_from(await self.members.get(member_id))
        if member is None:
            raise WaitlistRefused(f"there is no member {member_id}", "member_id")
        if not member.active:
            raise WaitlistRefused(f"{member.name} has left the programme", "member_id", conflict=True)
        while True:
            mine = await self.waitlist.of_member(member_id, site_id, seats)
            waiting = next((d for d in mine if d["status"] in OPEN), None)
            if waiting is not None:
                return waiting, False
            entry_id = entry_id_for(site_id, seats, member_id, len(mine))
            ticket = await self.waitlist.take_ticket(site_id, seats)
            line = await self.waitlist.line(site_id, seats)
            entry = Entry(entry_id, site_id, member_id, seats, self.now(), position=len(line) + 1, ticket=ticket)
            state, happened = line_joined(entry.to_document())
            try:
                version = await self.waitlist.entries.create(entry_id, state, publication(happened))
            except AlreadyExists:
                continue  # the same member joining at the same time: the loop finds that entry
            self.notify()
            return {**state, "_id": entry_id, "version": version}, True

    async def offer(self, offering: Offering) -> Document:
        """Offer the office to the first still waiting in its line; the entry as offered.

        Raises WaitlistRefused: bad office or days (422), nobody waiting or the office not
        free on those days (409).
        """
        found = await self.store.space(offering.space_id)
        if found is None or found[0].site_id != offering.site_id:
            raise WaitlistRefused(f"no space {offering.space_id} at {offering.site_id}", "space_id")
        office = found[0]
        seats = offering.seats or office.capacity
        refusal = office_refusal(office.kind, office.status, office.capacity, seats)
        if refusal is not None:
            raise WaitlistRefused(refusal, "seats" if offering.seats and office.capacity < seats else "space_id")
        await self.residencies.check_start(offering.site_id, offering.starts_on, WaitlistRefused)
        ends_on, wrong = residency_term(offering.starts_on, offering.ends_on)
        if wrong is not None:
            raise WaitlistRefused(wrong, "ends_on")
        start, end = day_range(offering.starts_on, ends_on)
        calendars = self.store.calendars
        while True:
            line = await self.waitlist.line(offering.site_id, seats)
            first = next_in_line(ticket_of(d) for d in line)
            if first is None:
                raise WaitlistRefused(f"nobody waits for a {seats}-seat office at {offering.site_id}", conflict=True)
            entry = next(d for d in line if d["entry_id"] == first.entry_id)
            member = member_from(await self.members.get(entry["member_id"]))
            if member is None or not member.active:
                await self._close(entry, WaitlistStatus.LEFT, "the member organisation left the programme")
                continue
            rid = residency_id_for(entry["entry_id"])
            if not await calendars.take_days(office.space_id, office.site_id, Hold(rid, start, end, residency=True)):
                raise WaitlistRefused(f"{office.name} is allocated on some of these days", conflict=True)
            offer = Offer(
                space_id=office.space_id,
                space_name=office.name,
                capacity=office.capacity,
                starts_on=offering.starts_on,
                ends_on=ends_on,
                residency_id=rid,
                offered_by=offering.offered_by,
            )
            position = position_of(entry["entry_id"], [ticket_of(d) for d in line])
            state, happened = office_offered(entry, offer.to_document(), position, self.now())
            # Not the kit's `change`: the office's days are held before the entry says so, and a
            # lost race gives them back unless the winner made this very offer.
            try:
                await self.waitlist.entries.update(entry["entry_id"], entry["version"], state, publication(happened))
            except VersionConflict:
                current = await self.get(entry["entry_id"])
                if current is not None and (current.get("offer") or {}).get("space_id") == office.space_id:
                    return current  # the same offer, made at the same time by someone else
                await calendars.remove_hold(office.space_id, office.site_id, rid)
                continue
            self.notify()
            return {**entry, **state}

    async def accept(self, entry_id: str, accepted_by: Actor) -> tuple[Document, Document]:
        """Staff confirm the offer: the residency it held starts. The entry and the residency.

        The entry turns accepted first (its version decides between an accept and a decline
        racing each other), then the residency starts on the days the offer holds; an accept
        repeated after a crash in between starts it then.
        """
        entry = await self._entry(entry_id)
        status = WaitlistStatus(entry["status"])
        if status != WaitlistStatus.ACCEPTED:
            check_transition(status, WaitlistStatus.ACCEPTED)
            member = member_from(await self.members.get(entry["member_id"]))
            if member is None or not member.active:
                raise WaitlistRefused("the member organisation has left the programme", conflict=True)
            entry, _ = await change(
                self.waitlist.entries, entry_id, lambda current: published(offer_taken(current)), what="entry"
            )
            self.notify()
        offer = Offer.from_document(entry["offer"])
        residency, _ = await self.residencies.start(
            Allocation(
                residency_id=offer.residency_id,
                member_id=entry["member_id"],
                site_id=entry["site_id"],
                space_id=offer.space_id,
                starts_on=offer.starts_on,
                ends_on=offer.ends_on,
                allocated_by=accepted_by,
            )
        )
        return entry, residency

    async def decline(self, entry_id: str, reason: str | None) -> tuple[Document, Document | None]:
        """The offer is declined; the office goes to the next in line. The entry, and the next one offered."""
        return await self._step_out(entry_id, WaitlistStatus.DECLINED, reason)

    async def leave(self, entry_id: str, reason: str | None) -> tuple[Document, Document | None]:
        """The entry leaves the line; an office it was offered goes to the next in line."""
        return await self._step_out(entry_id, WaitlistStatus.LEFT, reason)

    async def _step_out(
        self, entry_id: str, status: WaitlistStatus, reason: str | None
    ) -> tuple[Document, Document | None]:
        entry = await self._entry(entry_id)
        if entry["status"] == status:
            await self._give_back(entry)  # in case a first attempt stopped short of it
            return entry, None
        check_transition(WaitlistStatus(entry["status"]), status)
        out = await self._close(entry, status, reason)
        if entry["status"] != WaitlistStatus.OFFERED:
            return out, None
        return out, await self._offer_to_next(out)

    async def _offer_to_next(self, out: Document) -> Document | None:
        """The office `out` was offered goes to the next in its line: that entry as offered, or None
        when nobody else waits or the office went meanwhile."""
        if out.get("offer") is None:
            return None
        offer = Offer.from_document(out["offer"])
        try:
            return await self.offer(
                Offering(
                    site_id=out["site_id"],
                    space_id=offer.space_id,
                    starts_on=offer.starts_on,
                    ends_on=offer.ends_on,
                    offered_by=offer.offered_by,
                    seats=out["seats"],
                )
            )
        except WaitlistRefused:
            return None

    async def lapse_offers(self) -> int:
        """The sweeper: every offer unanswered for `answer_within` lapses (the entry is declined,
        `OfficeWaitlistOfferLapsed`), its days are given back and the office goes to the next in
        line. How many lapsed now.

        Each lapse is one version-guarded change of the entry, decided on the entry as stored: of
        two sweeps (or a sweep and an accept) racing, one changes it and the other finds it
        answered, so an offer lapses once and its office is passed on once."""
        now = self.now()
        cut = now - self.answer_within
        lapsed = 0
        for due in await self.waitlist.offers_made_before(cut, now):
            out = await self._lapse(due["entry_id"], now, cut)
            if out is None:
                continue  # answered, or lapsed by another sweep, meanwhile
            lapsed += 1
            await self._give_back(out)
            await self._offer_to_next(out)
        return lapsed

    async def _lapse(self, entry_id: str, now: datetime, cut: datetime) -> Document | None:
        """The entry as lapsed now; None if this call did not lapse it (the rule, on the entry as
        stored when the guarded write succeeded, found it answered or lapsed already)."""
        lapsed_now = False

        def rule(current: Document) -> Decision | None:
            nonlocal lapsed_now
            out = offer_lapsed(current, now, cut)
            lapsed_now = out is not None
            return published(out)

        out, _ = await change(self.waitlist.entries, entry_id, rule, what="entry")
        if not lapsed_now:
            return None
        self.notify()
        return out

    async def _close(self, entry: Document, status: WaitlistStatus, reason: str | None) -> Document:
        """Take the entry out of the line, then give back the days an offer held.

        The entry changes first: an accept racing this loses or wins on the entry's version,
        and the days are given back only once the offer can no longer be accepted.
        """
        closed, _ = await change(
            self.waitlist.entries,
            entry["entry_id"],
            lambda current: published(stepped_out(current, status, reason)),
            what="entry",
        )
        self.notify()
        await self._give_back(closed)
        return closed

    async def _give_back(self, entry: Document) -> None:
        """Free the days an offer held for an entry that can no longer accept it."""
        if entry.get("offer") and entry["status"] in (WaitlistStatus.DECLINED, WaitlistStatus.LEFT):
            offer = Offer.from_document(entry["offer"])
            await self.store.calendars.remove_hold(offer.space_id, entry["site_id"], offer.residency_id)

    async def _entry(self, entry_id: str) -> Document:
        entry = await self.get(entry_id)
        if entry is None:
            raise LookupError(entry_id)
        return entry
