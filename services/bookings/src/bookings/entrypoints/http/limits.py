"""Per-period limits per plan: admins set a site's rules (the whole list, under If-Match), its
staff read them, and a member's usage of each rule this period is read by whoever sees the member."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Header, Query, Response
from pydantic import Field

from bookings.adapters.limits import policy_state, rule_state
from bookings.domain.limits import LimitPolicy, LimitRule, shown
from bookings.entrypoints.http.common import DefaultZone, Service, actor_of, may_see_member
from bookings.service_layer.limits import PlanLimits, Usage
from parkgrid.api.limits import LimitPolicyRead, LimitUsagePage
from parkgrid.contracts.bookings import LimitRule as LimitRuleContract
from parkgrid.http.access import Admin, CallerOrService, Staff, at_site
from parkgrid.http.models import RequestModel, strict
from parkgrid.http.params import PathId
from parkgrid.http.preconditions import etag, required_version
from parkgrid.http.problems import problems
from parkgrid.inputs import Day
from parkgrid.refusals import Refused

router = APIRouter(prefix="/v1", tags=["limits"])


class RuleIn(strict(LimitRuleContract)):  # type: ignore[misc]
    """A rule as an admin sends it: unknown fields are a 422 naming them."""


class LimitsIn(RequestModel):
    """The site's whole list of rules (an empty list: no limits)."""

    rules: list[RuleIn] = Field(max_length=50)


def _limits(service: Service) -> PlanLimits:
    if service.limits is None:
        raise Refused.not_found("this bookings service keeps no per-period limits")
    return service.limits


async def _known_site(service: Service, site_id: str) -> None:
    if await service.projections.sites.time_zone(site_id) is None:
        raise Refused.not_found(f"there is no site {site_id}")


def policy_body(policy: LimitPolicy, version: int) -> dict[str, Any]:
    return {**policy_state(policy), "version": version}


def usage_body(usage: Usage) -> dict[str, Any]:
    rule = usage.rule
    used = float(shown(rule, usage.used))
    return {
        "rule": rule_state(rule),
        "period_start": usage.period_start,
        "period_end": usage.period_end,
        "used": used,
        "max": rule.max,
        "remaining": max(rule.max - used, 0.0),
    }


@router.get("/sites/{site_id}/limits", response_model=LimitPolicyRead, responses=problems(403, 404))
async def site_limits(site_id: PathId, response: Response, principal: Staff, service: Service) -> Any:
    """The site's per-period limits per plan; its ETag is what a change sends in If-Match.
    A front desk of another site is 403 (the kit's `at_site`)."""
    at_site(principal, site_id, detail=f"you are not front desk at {site_id}")
    await _known_site(service, site_id)
    policy, version = await _limits(service).policy(site_id)
    response.headers["ETag"] = etag(version)
    return policy_body(policy, version)


@router.put("/sites/{site_id}/limits", response_model=LimitPolicyRead, responses=problems(403, 404, 412, 422, 428))
async def set_site_limits(
    site_id: PathId,
    body: LimitsIn,
    response: Response,
    principal: Admin,
    service: Service,
    if_match: Annotated[str | None, Header()] = None,
) -> Any:
    """Replace the site's rules (admins). If-Match is the version read (`"0"` before any was set);
    a stale one is 412, none 428. Bookings from now on are admitted under the new rules; what
    bookings already hold stays counted."""
    expected = required_version(if_match)
    await _known_site(service, site_id)
    rules = [
        LimitRule(r.rule_id, r.measure, r.category.value, r.period, r.max, r.member_kind, r.stage) for r in body.rules
    ]
    policy, version = await _limits(service).set(site_id, rules, expected, actor_of(principal), service.parts.now())
    service.parts.written()
    response.headers["ETag"] = etag(version)
    return policy_body(policy, version)


@router.get("/members/{member_id}/limits", response_model=LimitUsagePage, responses=problems(403, 404))
async def member_limits(
    member_id: str,
    principal: CallerOrService,
    service: Service,
    zones: DefaultZone,
    site_id: str | None = None,
    day: Annotated[Day | None, Query(alias="date", description="A local day of the period (today by default).")] = None,
) -> Any:
    """The site's rules that apply to the member (its home site's unless `site_id` names another),
    each with what the bookings of the period containing `date` hold of it."""
    await may_see_member(service, principal, member_id)
    member = await service.projections.member(member_id)
    if member is None:
        raise Refused.not_found(f"there is no member {member_id}")
    site = site_id or member.home_site_id
    if site is None:
        return {"member_id": member_id, "site_id": None, "items": []}
    zone = await service.projections.sites.time_zone(site) or zones.default
    at = service.parts.now() if day is None else datetime.combine(day, time(12), ZoneInfo(zone))
    usage = await _limits(service).usage(member, site, at, zone)
    return {"member_id": member_id, "site_id": site, "items": [usage_body(u) for u in usage]}
