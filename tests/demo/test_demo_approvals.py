"""The demo's approvals (issue 25 part 2): the expert clinic requires its site's staff to approve
each request, and the bookings seeder leaves one request of it awaiting at every site that runs
it, for a session a day or more ahead, so the staff's approvals queue is not empty in the demo
and its decision stays open for the demo's day."""

from __future__ import annotations

from datetime import datetime

import pytest
from test_demo_day import BY_ID, MEMBERS, MOMENTS, OFFERINGS, ROOMS, _calendars

from bookings.domain.approvals import decide_by_of
from bookings.seed import APPROVAL_AHEAD, PlannedBooking, plan

CLINIC = "clinique-expert-comptable"


@pytest.fixture(scope="module", params=sorted(MOMENTS))
def moment(request: pytest.FixtureRequest) -> tuple[datetime, list[PlannedBooking]]:
    now = MOMENTS[request.param]
    return now, plan(now, OFFERINGS, MEMBERS, _calendars(), ROOMS)


def test_the_expert_clinic_and_only_it_requires_approval_within_a_day() -> None:
    requiring = {o.offering_id: o.rules.approval for o in OFFERINGS if o.rules.approval is not None}
    assert requiring, "no demo offering requires approval"
    assert all(offering_id.endswith(f"-{CLINIC}") for offering_id in requiring)
    assert {(a.required, a.decide_within_hours) for a in requiring.values()} == {(True, 24)}


def test_every_site_running_the_clinic_has_a_request_awaiting_for_a_day_ahead(
    moment: tuple[datetime, list[PlannedBooking]],
) -> None:
    now, planned = moment
    clinics = {o.site_id for o in OFFERINGS if o.offering_id.endswith(f"-{CLINIC}")}
    ahead = [b for b in planned if b.offering_id.endswith(f"-{CLINIC}") and b.starts_at - now >= APPROVAL_AHEAD]
    assert {b.site_id for b in ahead} == clinics
    for b in ahead:
        decide_by = decide_by_of(BY_ID[b.offering_id], now, b.starts_at)
        assert decide_by is not None
        assert (decide_by - now).total_seconds() >= 23 * 3600, b.booking_id  # open through the demo's day
        assert b.then == "stay"
