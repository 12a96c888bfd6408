"""Per-period limits per plan: admins set a site's rules; admission reserves a booking's share of
each rule that applies; members and staff read how much of each is used this period.

The rules are one aggregate per site (`adapters.limits.SiteLimits`); a change is saved with its
`bookings.limits.changed` event in one write under the version the admin read (If-Match), so
two admins editing at once cannot silently overwrite each other. What a booking uses is not
counted and then compared: `admission.reserve` takes it by the allowances' one conditional
write (`ports.Allowances.reserve`), as it does for credits.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from bookings.adapters.limits import policy_of, policy_state
from bookings.domain import limits as plans
from bookings.domain.booking import Actor, MemberFacts, local_day, period_of
from bookings.domain.limits import LimitPolicy, LimitRule, LimitsSet
from bookings.service_layer.ports import Allowances
from bookings.service_layer.publication import publication
from parkgrid.aggregates import AggregateStore, Decision, change
from parkgrid.contracts.bookings import LimitsChanged
from parkgrid.contracts.catalogue import OfferingSnapshot
from parkgrid.events import IntegrationEvent
from parkgrid.known import Recent
from parkgrid.outbox import AlreadyExists
from parkgrid.refusals import StaleVersion
from parkgrid.store import Document


class LimitStore(Protocol):
    """What the limits need of their store: the aggregate store and a site's policy with its version."""

    @property
    def store(self) -> AggregateStore: ...

    async def get(self, site_id: str) -> tuple[LimitPolicy, int] | None: ...


@publication.maps(LimitsSet)
def _limits_changed(event: LimitsSet) -> list[IntegrationEvent]:
    state = policy_state(event.policy)
    return [LimitsChanged(**state)]


@dataclass(frozen=True)
class Usage:
    """How much of one rule the member has used in the period containing a day."""

    rule: LimitRule
    period_start: date
    period_end: date
    used: int
    """In the guard's unit (minutes for room hours); `plans.shown` says it in the rule's."""


class PlanLimits:
    def __init__(self, limits: LimitStore, allowances: Allowances) -> None:
        self.limits = limits
        self.allowances = allowances
        self.recent: Recent[LimitPolicy] = Recent()
        """Each site's rules as read at most `RECENT_SECONDS` ago, for the booking path (one store
        read fewer per booking): a change saved here is forgotten at once; one saved through
        another process applies to bookings from that long after it, at most."""

    async def policy(self, site_id: str) -> tuple[LimitPolicy, int]:
        """The site's rules and their version (0 and no rules while no admin has set any)."""
        return await self.limits.get(site_id) or (LimitPolicy(site_id), 0)

    async def set(
        self, site_id: str, rules: Sequence[LimitRule], expected_version: int, actor: Actor, now: datetime
    ) -> tuple[LimitPolicy, int]:
        """Replace the site's rules if they are still at `expected_version` (else 412)."""
        stale = f"the limits of {site_id} changed since you read them; read them again"
        if expected_version == 0:
            after, happened = plans.set_rules(LimitPolicy(site_id), rules, actor, now)
            with contextlib.suppress(AlreadyExists):
                version = await self.limits.store.create(site_id, policy_state(after), publication(happened))
                self.recent.forget(site_id)
                return after, version
            raise StaleVersion(stale)

        def rule(doc: Document) -> Decision:
            after, happened = plans.set_rules(policy_of(doc), rules, actor, now)
            return policy_state(after), publication(happened)

        try:
            doc, version = await change(
                self.limits.store, site_id, rule, expected_version=expected_version, what="limits of site", stale=stale
            )
        finally:
            self.recent.forget(site_id)
        return policy_of(doc), version

    async def allowances_for(
        self, offering: OfferingSnapshot, zone: str, member: MemberFacts, starts_at: datetime
    ) -> list[plans.PlanAllowance]:
        """What a booking of the offering's session reserves under its site's rules."""
        if offering.site_id is None:
            return []
        policy = self.recent.get(offering.site_id)
        if policy is None:
            found = await self.limits.get(offering.site_id)
            policy = self.recent.put(offering.site_id, LimitPolicy(offering.site_id) if found is None else found[0])
        ends_at = starts_at + timedelta(minutes=offering.session_minutes)
        return plans.allowances_for(policy, member, offering.category.value, starts_at, ends_at, zone)

    async def usage(self, member: MemberFacts, site_id: str, at: datetime, zone: str) -> list[Usage]:
        """Every rule of the site that applies to the member, with what it used in the period of `at`."""
        policy, _ = await self.policy(site_id)
        day = local_day(at, zone)
        found: list[Usage] = []
        for rule in policy.rules:
            if rule.member_kind not in (None, member.kind) or rule.stage not in (None, member.stage):
                continue
            first, last = period_of(plans.PERIODS[rule.period], day)
            doc = await self.allowances.get(plans.allowance_id(member.member_id, site_id, rule, first))
            found.append(Usage(rule, first, last, int(doc["used"]) if doc else 0))
        return found
