"""The demo's residencies and office waitlist, planned from the seeds alone.

Spaces' stays seeder only carries out `spaces.seed_stays.plan`, a pure function of today, the
sites' spaces and the members; here it is fed spaces' and community's seeds as spaces would
hold and project them, at several days, and checked the way the front desk would see it.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import date, timedelta

import pytest

from community.seed_data import members as demo_members
from parkgrid.contracts.common import SpaceKind
from spaces.domain.model import residency_start_refusal, residency_term
from spaces.domain.sites import Space
from spaces.seed import SITES, spaces_of
from spaces.seed_stays import Organisation, PlannedResidency, StaysPlan, plan

SPACES = [Space.from_document(s) for site_id, _name, _city, size in SITES for s in spaces_of(site_id, size)]
BY_SPACE = {s.space_id: s for s in SPACES}
MEMBERS = [Organisation(m["member_id"], m["home_site_id"], m["kind"].value, m["stage"].value) for m in demo_members()]
BY_MEMBER = {m.member_id: m for m in MEMBERS}
DAYS = [date(2026, 12, 1), date(2027, 2, 28), date(2028, 1, 31), date(2027, 7, 15), date.today()]


def _last_day(r: PlannedResidency) -> date:
    return r.ended_on or r.ends_on


def _offices(site_id: str) -> list[Space]:
    return [s for s in SPACES if s.site_id == site_id and s.kind == SpaceKind.PRIVATE_OFFICE]


def _held_today(stays: StaysPlan, today: date) -> dict[str, str]:
    return {r.space_id: r.member_id for r in stays.residencies if r.starts_on <= today <= _last_day(r)}


@pytest.fixture(params=DAYS, ids=[d.isoformat() for d in DAYS])
def today(request: pytest.FixtureRequest) -> date:
    day: date = request.param
    return day


def test_every_residency_fits_its_office_its_member_and_spaces_rules(today: date) -> None:
    stays = plan(today, SPACES, MEMBERS)
    assert len(stays.residencies) >= 15
    for r in stays.residencies:
        office, member = BY_SPACE[r.space_id], BY_MEMBER[r.member_id]
        assert office.kind == SpaceKind.PRIVATE_OFFICE
        assert office.site_id == r.site_id
        assert member.home_site_id == r.site_id
        assert member.holds_office or (member.alumnus and r.ended_on is not None)
        # started some months ago, recorded then (at most 31 days back of the day it is recorded on)
        assert today - timedelta(days=31 * 18) < r.starts_on <= today - timedelta(days=28)
        assert residency_start_refusal(r.starts_on, r.starts_on) is None
        last, wrong = residency_term(r.starts_on, r.ends_on)
        assert wrong is None
        assert last == r.ends_on
        if r.ended_on is None:
            assert r.ends_on >= today
        else:
            assert r.starts_on <= r.ended_on < today < r.ends_on


def test_no_two_residencies_share_an_office_on_a_day(today: date) -> None:
    by_office: dict[str, list[PlannedResidency]] = defaultdict(list)
    for r in plan(today, SPACES, MEMBERS).residencies:
        by_office[r.space_id].append(r)
    for held in by_office.values():
        held.sort(key=lambda r: r.starts_on)
        for before, after in itertools.pairwise(held):
            assert _last_day(before) < after.starts_on


def test_one_residency_ends_within_30_days_for_insights_notice(today: date) -> None:
    ending = [
        r
        for r in plan(today, SPACES, MEMBERS).residencies
        if r.ended_on is None and today <= r.ends_on <= today + timedelta(days=30)
    ]
    assert len(ending) == 1


def test_most_offices_are_held_today(today: date) -> None:
    stays = plan(today, SPACES, MEMBERS)
    offices = [s for s in SPACES if s.kind == SpaceKind.PRIVATE_OFFICE]
    held = _held_today(stays, today)
    assert len(held) > len(offices) * 3 // 4
    assert {r.site_id for r in stays.residencies} == {site_id for site_id, *_ in SITES}


def test_a_site_with_every_office_held_has_two_members_waiting(today: date) -> None:
    stays = plan(today, SPACES, MEMBERS)
    held = _held_today(stays, today)
    joins: dict[str, list[str]] = defaultdict(list)
    for join in stays.joins:
        member = BY_MEMBER[join.member_id]
        assert member.home_site_id == join.site_id
        assert join.member_id not in held.values()
        assert join.joined_on < today
        assert any(o.capacity >= join.seats for o in _offices(join.site_id))
        joins[join.site_id].append(join.member_id)
    full = [s for s in joins if all(o.space_id in held for o in _offices(s))]
    assert 1 <= len([s for s in full if len(joins[s]) == 2]) <= 2
    for members in joins.values():
        assert len(members) == len(set(members))


def test_another_site_has_a_freed_office_and_one_member_waiting_for_it(today: date) -> None:
    stays = plan(today, SPACES, MEMBERS)
    held = _held_today(stays, today)
    freed = [r for r in stays.residencies if r.ended_on is not None]
    assert len(freed) == 1
    office = BY_SPACE[freed[0].space_id]
    assert office.space_id not in held
    waiting = [j for j in stays.joins if j.site_id == office.site_id]
    assert len(waiting) == 1
    assert waiting[0].seats == office.capacity


def test_ids_are_deterministic_and_do_not_depend_on_today() -> None:
    first, again = plan(DAYS[0], SPACES, MEMBERS), plan(DAYS[0], SPACES, list(reversed(MEMBERS)))
    assert first == again
    later = plan(DAYS[1], SPACES, MEMBERS)
    assert [r.residency_id for r in first.residencies] == [r.residency_id for r in later.residencies]
    ids = [r.residency_id for r in first.residencies]
    assert len(ids) == len(set(ids))


def test_without_members_nothing_is_planned() -> None:
    assert plan(DAYS[0], SPACES, []) == StaysPlan((), ())
    assert plan(DAYS[0], [], MEMBERS) == StaysPlan((), ())
