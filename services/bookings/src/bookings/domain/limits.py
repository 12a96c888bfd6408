"""Per-period limits per plan: at most so many room hours a week, or sessions a month, of one
category of offering, for the members of a kind and/or programme stage, as an admin sets them
for a site.

A limit is one more allowance a booking reserves when it is requested (`entitlements.Allowance`
of kind `PLAN`): the same conditional write that guards credits and the per-member limit
(`adapters.sessions.MemberAllowances`) holds it, so concurrent bookings of one member never
pass it and a retried command never counts twice; a rejected or cancelled booking gives it
back (`entitlements.given_back`), a no-show keeps it (the room was held for them). Room hours
are counted in minutes, so a 30-minute session takes half an hour of the allowance. Only
offerings with a site are under a site's limits (an online offering is at no site).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from bookings.domain.booking import Actor, Booking, MemberFacts, Unavailable, local_day, period_of
from bookings.domain.entitlements import PLAN, Allowance, Counted, given_back
from parkgrid.contracts.bookings import LimitMeasure, LimitPeriod
from parkgrid.contracts.catalogue import Period
from parkgrid.domain import DomainEvent

PERIODS = {LimitPeriod.WEEK: Period.WEEK, LimitPeriod.MONTH: Period.MONTH}


@dataclass(frozen=True)
class LimitRule:
    """At most `max` hours (room_hours) or sessions (sessions) of `category` per `period`, for the
    members of `member_kind` and/or `stage` (None: any)."""

    rule_id: str
    measure: LimitMeasure
    category: str
    period: LimitPeriod
    max: int
    member_kind: str | None = None
    stage: str | None = None

    def applies_to(self, member: MemberFacts, category: str) -> bool:
        return (
            category == self.category and self.member_kind in (None, member.kind) and self.stage in (None, member.stage)
        )

    @property
    def capacity(self) -> int:
        """The limit in the unit the guard counts: minutes for room hours, sessions otherwise."""
        return self.max * 60 if self.measure == LimitMeasure.ROOM_HOURS else self.max

    def amount(self, starts_at: datetime, ends_at: datetime) -> int:
        """What one session takes of the limit, in the guard's unit."""
        if self.measure == LimitMeasure.ROOM_HOURS:
            return max(1, round((ends_at - starts_at) / timedelta(minutes=1)))
        return 1


@dataclass(frozen=True)
class LimitPolicy:
    """A site's rules, replaced whole by each change (an admin sends the full list)."""

    site_id: str
    rules: tuple[LimitRule, ...] = ()
    changed_by: Actor | None = None
    changed_at: datetime | None = None


@dataclass(frozen=True)
class LimitsSet(DomainEvent):
    """An admin set the site's limits (published as `bookings.limits.changed`)."""

    policy: LimitPolicy


def set_rules(
    policy: LimitPolicy, rules: Sequence[LimitRule], actor: Actor, now: datetime
) -> tuple[LimitPolicy, list[DomainEvent]]:
    """The policy after an admin's change; rule ids are unique so usage is counted per rule."""
    ids = [r.rule_id for r in rules]
    if len(set(ids)) != len(ids):
        raise Unavailable("each rule needs its own rule_id", field="rules")
    after = replace(policy, rules=tuple(rules), changed_by=actor, changed_at=now)
    return after, [LimitsSet(after)]


@dataclass(frozen=True)
class PlanAllowance(Allowance):
    """A booking's share of one rule's allowance for one member and period (kind `PLAN`)."""

    rule: LimitRule | None = None
    site_id: str | None = None


def allowance_id(member_id: str, site_id: str, rule: LimitRule, first: date) -> str:
    """One counter per member, rule and period; the measure and category are part of it so an
    admin who changes what a rule counts starts a fresh counter rather than mixing units."""
    return f"plan-{member_id}-{site_id}-{rule.rule_id}-{rule.measure.value}-{rule.category}-{first.isoformat()}"


def allowances_for(
    policy: LimitPolicy | None,
    member: MemberFacts,
    category: str,
    starts_at: datetime,
    ends_at: datetime,
    zone: str,
) -> list[PlanAllowance]:
    """What a booking of a session of `category` reserves under the site's rules that apply to the member."""
    if policy is None:
        return []
    day = local_day(starts_at, zone)
    found: list[PlanAllowance] = []
    for rule in policy.rules:
        if not rule.applies_to(member, category):
            continue
        first, last = period_of(PERIODS[rule.period], day)
        found.append(
            PlanAllowance(
                allowance_id(member.member_id, policy.site_id, rule, first),
                member.member_id,
                PLAN,
                rule.capacity,
                rule.amount(starts_at, ends_at),
                Counted(first, last, category=rule.category),
                rule=rule,
                site_id=policy.site_id,
            )
        )
    return found


def already_held(allowance: PlanAllowance, bookings: Iterable[Booking]) -> dict[str, int]:
    """What the member's bookings made before the counter existed hold of it (booking id -> amount):
    those at its site, of its category, in its period, not given back. The counter starts from these."""
    counted, rule = allowance.counts, allowance.rule
    if counted is None or rule is None:
        return {}
    held: dict[str, int] = {}
    for booking in bookings:
        day = local_day(booking.starts_at, booking.time_zone)
        if booking.member_id != allowance.member_id or booking.site_id != allowance.site_id:
            continue
        if booking.category != rule.category or not counted.first <= day <= counted.last:
            continue
        if PLAN in given_back(booking.status, booking.late):
            continue
        held[booking.booking_id] = rule.amount(booking.starts_at, booking.ends_at)
    return held


def shown(rule: LimitRule, amount: int) -> str:
    """An amount in the rule's own unit: hours (one decimal when needed) or sessions."""
    if rule.measure == LimitMeasure.SESSIONS:
        return str(amount)
    hours = amount / 60
    return f"{hours:g}" if hours == int(hours) else f"{hours:.1f}"


class LimitReached(Unavailable):
    """A booking that would pass one of the member's per-period limits (409, `reason: limit_reached`,
    with the limit and the period's usage so a client can say it in its person's language)."""

    def __init__(self, allowance: PlanAllowance, used: int) -> None:
        rule = allowance.rule
        assert rule is not None
        assert allowance.counts is not None
        unit = "room hours" if rule.measure == LimitMeasure.ROOM_HOURS else "sessions"
        super().__init__(
            f"limit reached: {shown(rule, used)} of {shown(rule, rule.capacity)} {unit} of {rule.category} "
            f"used this {rule.period.value}; this booking needs {shown(rule, allowance.amount)}",
            field="starts_at",
        )
        self.extra = {
            "reason": "limit_reached",
            "limit": {
                "rule_id": rule.rule_id,
                "measure": rule.measure.value,
                "category": rule.category,
                "period": rule.period.value,
                "max": rule.max,
                "used": shown(rule, used),
                "needed": shown(rule, allowance.amount),
                "period_start": allowance.counts.first.isoformat(),
                "period_end": allowance.counts.last.isoformat(),
            },
        }
