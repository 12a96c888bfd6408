"""What a booking must pass before it holds a seat: the site's calendar, and its allowances reserved.

Every path that makes a booking goes through here (book, reschedule and staff on behalf in
`commands`, waitlist promotion in `seating`). The per-member limit, the site's per-period limits
per plan (`limits`) and the credits are not counted and then acted on: each is reserved by one
conditional write that names the booking (`ports.Allowances`), so concurrent requests of one
member never pass the limit or overdraw, and a retried command never counts twice. What a
booking no longer holds is given back by `give_back` (rejected, cancelled; a late cancellation
keeps its credits).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bookings.domain import booking as rules
from bookings.domain import entitlements as credits
from bookings.domain import limits as plans
from bookings.domain.booking import InvalidBooking, MemberFacts, Unavailable
from bookings.domain.entitlements import CREDITS, LIMIT, PLAN, Allowance
from bookings.domain.limits import LimitReached, PlanAllowance
from bookings.service_layer.parts import Parts
from bookings.service_layer.ports import Already
from parkgrid.contracts.catalogue import OfferingSnapshot

EVERYTHING = (LIMIT, PLAN, CREDITS)


async def check_site(parts: Parts, offering: OfferingSnapshot, starts_at: datetime, ends_at: datetime) -> None:
    """Refuse (422 on `starts_at`) a session the offering's site cannot host: closed, a closure, outside its hours."""
    if offering.site_id is None:
        return
    refusal = await parts.projections.sites.refusal_for(offering.site_id, starts_at, ends_at)
    if refusal is not None:
        raise InvalidBooking(f"the site cannot host this session: {refusal}", field="starts_at")


async def reserve(
    parts: Parts,
    offering: OfferingSnapshot,
    zone: str,
    member: MemberFacts,
    booking_id: str,
    starts_at: datetime,
    replaces: str | None = None,
) -> None:
    """Reserve what the booking uses of the member's allowances, or refuse (409) giving back what it took."""
    allowances = parts.ledger.allowances
    reserved: list[str] = []
    day = rules.local_day(starts_at, zone)
    plan = [] if parts.limits is None else await parts.limits.allowances_for(offering, zone, member, starts_at)
    for allowance in [*credits.allowances_for(offering, member.member_id, member.stage, day), *plan]:
        if await allowances.reserve(allowance, booking_id, replaces, _already(parts, allowance, zone)):
            reserved.append(allowance.kind)
            continue
        if reserved:
            await allowances.give_back(member.member_id, booking_id, reserved)
        raise await _refusal(parts, offering, allowance)


def _already(parts: Parts, allowance: Allowance, zone: str) -> Already:
    """What the member's earlier bookings hold of `allowance` (asked when the allowance is created)."""

    async def held() -> dict[str, int]:
        if allowance.counts is None:
            return {}
        margin = timedelta(days=1)  # bookings of other zones: their own local day decides
        first = datetime.combine(allowance.counts.first, time(), ZoneInfo(zone)) - margin
        last = datetime.combine(allowance.counts.last, time(), ZoneInfo(zone)) + 2 * margin
        bookings = await parts.bookings.of_member(allowance.member_id, first, last)
        if isinstance(allowance, PlanAllowance):
            return plans.already_held(allowance, bookings)
        return credits.already_held(allowance, bookings)

    return held


async def give_back(parts: Parts, member_id: str, booking_id: str, kinds: Sequence[str] = EVERYTHING) -> None:
    """Give back what the booking holds of these kinds (idempotent)."""
    if kinds:
        await parts.ledger.allowances.give_back(member_id, booking_id, kinds)


async def _refusal(parts: Parts, offering: OfferingSnapshot, allowance: Allowance) -> Unavailable:
    if isinstance(allowance, PlanAllowance):
        held = await parts.ledger.allowances.get(allowance.allowance_id)
        return LimitReached(allowance, int(held["used"]) if held else 0)
    if allowance.kind == LIMIT:
        limit = offering.rules.per_member_limit
        period = limit.period.value if limit is not None else "period"
        return Unavailable(f"at most {allowance.limit} booking(s) of this offering per {period}", field="starts_at")
    doc = await parts.ledger.allowances.get(allowance.allowance_id)
    left = allowance.limit - (int(doc["used"]) if doc else 0)
    return Unavailable(
        f"{left} {offering.category.value} credit(s) left this period; this costs {allowance.amount}",
        field="offering_id",
    )
