"""Commands on member organisations: register, update, move through stages, people, leave.

Each command reads the member, applies a pure rule and writes the new state with its
events in one version-guarded update (the embedded outbox). Without an `If-Match` a
conflict is simply retried on the fresh state; with one it is the caller's 412.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from community.adapters.stores import CommunityStore, member_state
from community.domain import members as rules
from community.domain.members import Member, MemberRuleBroken
from parkgrid.contracts.common import MemberKind, ProgrammeStage
from parkgrid.contracts.community import Person, Programme
from parkgrid.events import IntegrationEvent
from parkgrid.outbox import AlreadyExists, VersionConflict

DEFAULT_ZONE = "Africa/Casablanca"

Rule = Callable[[Member, date], tuple[Member, list[IntegrationEvent]]]


class UnknownMember(LookupError):
    pass


class UnknownPerson(LookupError):
    pass


class UnknownSite(LookupError):
    pass


class StaleVersion(Exception):
    """The member changed since the version the caller read."""


def _now() -> datetime:
    return datetime.now(UTC)


class Members:
    def __init__(
        self, store: CommunityStore, notify: Callable[[], None] = lambda: None, clock: Callable[[], datetime] = _now
    ) -> None:
        self.store = store
        self.notify = notify
        self.clock = clock

    async def today_at(self, site_id: str) -> date:
        """Today in the site's time zone (the network spans zones)."""
        site = await self.store.sites.get(site_id)
        return self.clock().astimezone(ZoneInfo(site["time_zone"] if site else DEFAULT_ZONE)).date()

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
        existing = await self.store.member(member_id)
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
        )
        try:
            version = await self.store.members.create(member_id, member_state(member), events)
        except AlreadyExists:
            found = await self.store.member(member_id)
            assert found is not None
            return found[0], found[1], False
        self.notify()
        return member, version, True

    async def get(self, member_id: str) -> tuple[Member, int]:
        found = await self.store.member(member_id)
        if found is None:
            raise UnknownMember(member_id)
        return found

    async def _change(self, member_id: str, rule: Rule, expected_version: int | None = None) -> tuple[Member, int]:
        while True:
            member, version = await self.get(member_id)
            if expected_version is not None and version != expected_version:
                raise StaleVersion(f"member {member_id} is at version {version}, not {expected_version}")
            changed, events = rule(member, await self.today_at(member.home_site_id))
            if not events:
                return member, version
            try:
                new_version = await self.store.members.update(member_id, version, member_state(changed), events)
            except VersionConflict:
                if expected_version is not None:
                    raise StaleVersion(f"member {member_id} changed meanwhile") from None
                continue
            self.notify()
            return changed, new_version

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
        return await self._change(member_id, lambda m, _: rules.add_person(m, person))

    async def remove_person(self, member_id: str, person_id: str) -> tuple[Member, int]:
        def rule(member: Member, today: date) -> tuple[Member, list[IntegrationEvent]]:
            try:
                return rules.remove_person(member, person_id, today)
            except LookupError:
                raise UnknownPerson(person_id) from None

        return await self._change(member_id, rule)

    async def leave(self, member_id: str, reason: str | None, on: date | None = None) -> tuple[Member, int]:
        return await self._change(member_id, lambda m, today: rules.leave(m, on or today, reason))


__all__ = [
    "Members",
    "Programme",
    "StaleVersion",
    "UnknownMember",
    "UnknownPerson",
    "UnknownSite",
]
