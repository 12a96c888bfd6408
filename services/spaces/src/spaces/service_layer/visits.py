"""Visitors: registering a guest, the desk's check-in and check-out, cancelling, and forgetting
the guest once the retention has passed.

Registering needs a site open that day, a known, active host organisation and the host among
its people (spaces' projection of `community.member`). The visit id is the command's (the
kit's `command_id` of the Idempotency-Key): a repeated request makes no second visit. Every
change is `parkgrid.aggregates.change` over the visit: decided on the visit as stored, saved
only if it is still at the version read, so racing desks make one arrival and one event.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from parkgrid.aggregates import Decision, change
from parkgrid.clock import utc_now
from parkgrid.contracts.common import Actor
from parkgrid.known import KnownMembers
from parkgrid.logging import get_logger
from parkgrid.refusals import Refused
from parkgrid.store import Document
from spaces.adapters.stores import SpacesStore, create_once
from spaces.adapters.visits import VisitStore
from spaces.domain import visits
from spaces.domain.happened import Change
from spaces.domain.members import member_from
from spaces.domain.sites import Site
from spaces.domain.visits import Visit, VisitRefused
from spaces.service_layer.publication import publication, published

log = get_logger(__name__)


class Visits:
    def __init__(
        self,
        store: VisitStore,
        spaces: SpacesStore,
        members: KnownMembers,
        notify: Callable[[], None] = lambda: None,
        *,
        keep_days: int = 30,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = store
        self.spaces = spaces
        self.members = members
        self.notify = notify
        self.keep = timedelta(days=keep_days)
        self.clock = clock

    def today_at(self, site: Site) -> date:
        return site.local(self.clock()).date()

    async def register(self, site: Site, visit: Visit) -> tuple[Document, bool]:
        """The visit, and whether it was registered now (False: the same request made it before)."""
        existing = await self.store.visits.get(visit.visit_id)
        if existing is not None:
            return existing, False
        wrong = visits.day_refusal(visit.day, self.today_at(site))
        if wrong is not None:
            raise VisitRefused(wrong, "day")
        if site.open_hours_on(visit.day) <= 0:
            raise VisitRefused(f"{site.name} is closed on {visit.day}", "day")
        known = await self.members.get(visit.member_id)
        member = member_from(known)
        if known is None or member is None:
            raise VisitRefused(f"there is no member organisation {visit.member_id}", "member_id")
        if not member.active:
            raise VisitRefused(f"{member.name} has left the network", conflict=True)
        if visit.host_person_id not in known.get("people", []):
            raise VisitRefused(f"{visit.host_person_id} is not one of {member.name}'s people", "host_person_id")
        state, happened = visits.register(visit)
        doc, new = await create_once(self.store.visits, visit.visit_id, state, publication(happened))
        if new:
            self.notify()
        return doc, new

    async def arrive(self, visit_id: str) -> Document:
        """Check the guest in (on the visit's day at its site); arrived already: the visit as it is."""
        now = self.clock()
        site = await self._site_of(visit_id)
        return await self._change(visit_id, lambda doc: visits.arrive(doc, now, site.local(now).date()))

    async def leave(self, visit_id: str) -> Document:
        now = self.clock()
        return await self._change(visit_id, lambda doc: visits.leave(doc, now))

    async def cancel(self, visit_id: str, by: Actor) -> Document:
        return await self._change(visit_id, lambda doc: visits.cancel(doc, by))

    async def erase_past(self) -> int:
        """Forget the guests of visits whose day is more than the retention ago; how many."""
        before = self.clock().date() - self.keep
        erased = 0
        for visit_id in await self.store.kept_before(before):
            doc, _ = await self._change_quietly(visit_id, visits.erase)
            erased += 1 if doc.get("erased") else 0
        if erased:
            log.info("spaces.visitors_forgotten", visits=erased, keep_days=self.keep.days)
        return erased

    async def _site_of(self, visit_id: str) -> Site:
        doc = await self.store.visits.get(visit_id)
        found = await self.spaces.site(doc["site_id"]) if doc else None
        if found is None:
            raise Refused.not_found(f"there is no visit {visit_id}")
        return found[0]

    async def _change(self, visit_id: str, rule: Callable[[Document], Change | None]) -> Document:
        doc, changed = await self._change_quietly(visit_id, rule)
        if changed:
            self.notify()
        return doc

    async def _change_quietly(self, visit_id: str, rule: Callable[[Document], Change | None]) -> tuple[Document, bool]:
        said: list[bool] = []

        def decide(doc: Document) -> Decision | None:
            decision = published(rule(doc))
            said.append(bool(decision and decision[1]))
            return decision

        doc, _ = await change(self.store.visits, visit_id, decide, what="visit")
        return doc, bool(said and said[-1])
