"""Commands on member organisations: register, update, move through stages, people, leave.

Each command reads the member, applies a pure rule and writes the new state with its
events in one version-guarded update (the embedded outbox). Without an `If-Match` a
conflict is simply retried on the fresh state; with one it is the caller's 412.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from community.adapters.stores import CommunityStore, member_of, member_state
from community.domain import members as rules
from community.domain.members import Member, MemberRuleBroken
from community.service_layer.versioned import Versioned
from parkgrid.clock import utc_now
from parkgrid.contracts.common import MemberKind, ProgrammeStage
from parkgrid.contracts.community import MemberStatus, Person, Programme
from parkgrid.domain import DomainEvent
from parkgrid.refusals import Refusal, Refused
from parkgrid.shredding import new_key
from parkgrid.zones import NETWORK_TIME_ZONE

Rule = Callable[[Member, date], tuple[Member, list[DomainEvent]]]


class UnknownMember(Refused):
    def __init__(self, member_id: str) -> None:
        super().__init__(Refusal.NOT_FOUND, f"there is no member {member_id}")


class UnknownPerson(Refused):
    def __init__(self, person_id: str) -> None:
        super().__init__(Refusal.NOT_FOUND, f"there is no person {person_id} in this organisation")


class UnknownSite(Refused):
    def __init__(self, site_id: str, field: str = "home_site_id") -> None:
        super().__init__(Refusal.INVALID, f"there is no site {site_id}", field=field)


class Members:
    def __init__(
        self,
        store: CommunityStore,
        notify: Callable[[], None] = lambda: None,
        clock: Callable[[], datetime] = utc_now,
        default_zone: str = NETWORK_TIME_ZONE,
    ) -> None:
        self.store = store
        self.members = Versioned(store.members, load=member_of, state=member_state, what="member", notify=notify)
        self.clock = clock
        self.default_zone = default_zone

    async def today_at(self, site_id: str) -> date:
        """Today in the site's time zone (the network spans zones)."""
        zone = await self.store.sites.time_zone(site_id) or self.default_zone
        return self.clock().astimezone(ZoneInfo(zone)).date()

    async def _check_site(self, site_id: str) -> None:
        if await self.store.sites.get(site_id) is None:
            raise UnknownSite(site_id)

    async def _claim(self, member_id: str, people: list[Person], field: str) -> None:
        """A person belongs to one organisation: claim each email and point each person at `member_id`."""
        for index, person in enumerate(people):
            if not await self.store.directory.claim_email(person.email, member_id, self.store.lists_email):
                where = f"{field}.{index}.email" if field == "people" else field
                raise MemberRuleBroken(f"{person.email} already belongs to another organisation", field=where)
            await self.store.directory.point(person.person_id, member_id)

    async def register(
        self,
        member_id: str,
        *,
        name: str,
        kind: MemberKind,
        sector: str,
        home_site_id: str,
        stage: ProgrammeStage,
        cohort: str | None,
        started_on: date | None,
        planned_end_on: date | None,
        people: list[Person],
    ) -> tuple[Member, int, bool]:
        """A new member (its id taken → the existing one, `created` False)."""
        existing = await self.members.find(member_id)
        if existing is not None:
            return existing[0], existing[1], False
        await self._check_site(home_site_id)
        await self._claim(member_id, people, "people")
        start = started_on or await self.today_at(home_site_id)
        member, events = rules.register(
            member_id,
            name=name,
            kind=kind,
            sector=sector,
            home_site_id=home_site_id,
            programme=rules.programme(stage, cohort, start, planned_end_on),
            people=people,
            keys={p.person_id: new_key() for p in people},
        )
        return await self.members.create(member_id, member, events)

    async def get(self, member_id: str) -> tuple[Member, int]:
        found = await self.members.find(member_id)
        if found is None:
            raise UnknownMember(member_id)
        return found

    async def _change(self, member_id: str, rule: Rule, expected_version: int | None = None) -> tuple[Member, int]:
        """`rule` with today at the member's home site (read first: the rule is pure)."""
        member, _ = await self.get(member_id)
        today = await self.today_at(member.home_site_id)

        def keyed(current: Member) -> tuple[Member, list[DomainEvent]]:
            """The rule on a member whose people all have keys (one kept from before gets them now)."""
            with_keys, issued = rules.with_keys(current, new_key)
            changed, events = rule(with_keys, today)
            return changed, [*issued, *events]

        return await self.members.change(member_id, keyed, expected_version)

    async def update(
        self, member_id: str, changes: dict[str, object], expected_version: int | None
    ) -> tuple[Member, int]:
        if "home_site_id" in changes:
            await self._check_site(str(changes["home_site_id"]))
        return await self._change(member_id, lambda m, _: rules.update(m, dict(changes)), expected_version)

    async def change_stage(
        self, member_id: str, stage: ProgrammeStage, cohort: str | None, planned_end_on: date | None
    ) -> tuple[Member, int]:
        return await self._change(
            member_id, lambda m, today: rules.change_stage(m, stage, cohort, today, planned_end_on)
        )

    async def add_person(self, member_id: str, person: Person) -> tuple[Member, int]:
        await self._claim(member_id, [person], "email")
        key = new_key()
        return await self._change(member_id, lambda m, _: rules.add_person(m, person, key))

    async def remove_person(self, member_id: str, person_id: str) -> tuple[Member, int]:
        def rule(member: Member, today: date) -> tuple[Member, list[DomainEvent]]:
            try:
                return rules.remove_person(member, person_id, today)
            except LookupError:
                raise UnknownPerson(person_id) from None

        return await self._change(member_id, rule)

    async def erase_person(self, member_id: str, person_id: str) -> tuple[Member, int]:
        """The directory's pointer holds the address too: released first, so a crash in between
        leaves the person (erased again on the retry), never their address without them."""
        member, _ = await self.get(member_id)
        former = {f.person.person_id: f.person for f in member.former_people}
        person = member.person(person_id) or former.get(person_id)
        if person is not None:
            await self.store.directory.release_email(person.email, member_id)

        def rule(member: Member, _: date) -> tuple[Member, list[DomainEvent]]:
            try:
                return rules.erase_person(member, person_id)
            except LookupError:
                raise UnknownPerson(person_id) from None

        return await self._change(member_id, rule)

    async def erase_everyone(self, member_id: str) -> tuple[Member, int]:
        """Every person of an organisation that left, their addresses released first (as for one)."""
        member, _ = await self.get(member_id)
        if member.status == MemberStatus.LEFT:
            for person in [*member.people, *(f.person for f in member.former_people)]:
                await self.store.directory.release_email(person.email, member_id)
        return await self._change(member_id, lambda m, _: rules.erase_everyone(m))

    async def leave(self, member_id: str, reason: str | None, on: date | None = None) -> tuple[Member, int]:
        return await self._change(member_id, lambda m, today: rules.leave(m, on or today, reason))


__all__ = ["Members", "Programme", "UnknownMember", "UnknownPerson", "UnknownSite"]
