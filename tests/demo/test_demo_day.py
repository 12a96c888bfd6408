"""The demo's day, planned from the seeds alone: what `make run` books relative to today.

The bookings seeder only carries out `bookings.seed.plan`, a pure function of the moment and
the seeded facts; here it is fed the catalogue's, community's and spaces' seeds as bookings
would project them, at several moments (a weekday morning, a late afternoon, a Sunday, a
holiday), and the day it plans is checked the way a front desk would see it.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bookings.domain.booking import MemberFacts, check_eligible, check_rules
from bookings.domain.rooms import Room
from bookings.domain.slots import SiteCalendar, session_at
from bookings.seed import DEMO_MEMBER, PER_MEMBER, WALK_IN_LEAD, PlannedBooking, arrivals, demo_day, plan
from catalogue.seed_data import demo_offerings
from community.seed_data import members as demo_members
from parkgrid.buffers import buffers_of
from parkgrid.contracts.catalogue import OfferingSnapshot
from parkgrid.contracts.common import Closure
from spaces.seed import OPENING_HOURS, SITE_BUFFERS, SITES, spaces_of

ZONE = "Africa/Casablanca"
OFFERINGS = [
    OfferingSnapshot.model_validate(
        {"offering_id": offering_id, "time_zone": ZONE, "status": "published", **body}
        | ({"rules": body["rules"]} if "rules" in body else {"rules": {}})
    )
    for offering_id, body in demo_offerings()
]
BY_ID = {o.offering_id: o for o in OFFERINGS}
MEMBERS = [
    MemberFacts(
        member_id=m["member_id"],
        name=m["name"],
        kind=m["kind"].value,
        stage=m["stage"].value,
        active=True,
        home_site_id=m["home_site_id"],
        people=tuple(p["person_id"] for p in m["people"]),
        cohort=m["cohort"],
    )
    for m in demo_members()
]
ROOMS = [
    Room(
        space_id=s["space_id"],
        site_id=s["site_id"],
        kind=str(s["kind"]),
        capacity=s["capacity"],
        features=frozenset(s["features"]),
        buffers=buffers_of(s, SITE_BUFFERS.get(site_id)),
        status="active",
    )
    for site_id, _name, _city, size in SITES
    for s in spaces_of(site_id, size)
]
SITE_IDS = sorted(site_id for site_id, *_ in SITES)


def _calendars(closures: tuple[Closure, ...] = ()) -> dict[str, SiteCalendar]:
    return {s: SiteCalendar(True, tuple(OPENING_HOURS), closures, ZONE) for s in SITE_IDS}


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(ZONE)).astimezone(UTC)


TUESDAY = date(2026, 12, 8)
MOMENTS = {
    "tuesday 07:00": _at(TUESDAY, 7),
    "tuesday 13:00": _at(TUESDAY, 13),
    "tuesday 15:00": _at(TUESDAY, 15),
    "wednesday 18:00": _at(TUESDAY + timedelta(days=1), 18),
    "wednesday 21:30": _at(TUESDAY + timedelta(days=1), 21, 30),
    "sunday 10:00": _at(TUESDAY + timedelta(days=5), 10),
}


def _kind(b: PlannedBooking) -> str | None:
    requirement = BY_ID[b.offering_id].space_requirement
    return None if requirement is None else requirement.kind


def _local(b: PlannedBooking) -> datetime:
    return b.starts_at.astimezone(ZoneInfo(ZONE))


@pytest.fixture(scope="module", params=sorted(MOMENTS))
def moment(request: pytest.FixtureRequest) -> tuple[datetime, list[PlannedBooking]]:
    now = MOMENTS[request.param]
    return now, plan(now, OFFERINGS, MEMBERS, _calendars(), ROOMS)


def test_every_site_has_a_full_demo_day(moment: tuple[datetime, list[PlannedBooking]]) -> None:
    now, planned = moment
    for site_id in SITE_IDS:
        day, _later = demo_day(now, [o for o in OFFERINGS if o.site_id == site_id], ZONE, _calendars()[site_id])
        booked = [b for b in planned if b.site_id == site_id and _local(b).date() == day and b.then != "wait"]
        assert len(booked) >= 4, f"{site_id} on {day}: {len(booked)} bookings"
        assert len({b.offering_id for b in booked}) >= 2, f"{site_id}: one offering only"


def test_the_demo_day_is_today_on_a_weekday_morning() -> None:
    now = MOMENTS["tuesday 07:00"]
    planned = plan(now, OFFERINGS, MEMBERS, _calendars(), ROOMS)
    for site_id in SITE_IDS:
        today = [b for b in planned if b.site_id == site_id and _local(b).date() == TUESDAY]
        assert today, f"nothing today at {site_id}"
        assert any(_local(b).hour < 12 for b in today), site_id
        assert any(_local(b).hour >= 12 for b in today), site_id
    casablanca = [b for b in planned if b.site_id == "site-casablanca" and _local(b).date() == TUESDAY]
    rooms = [b for b in casablanca if "salle-reunion" in b.offering_id]
    assert len(casablanca) >= 10
    assert len(rooms) >= 3


def test_the_demo_day_is_still_today_in_the_afternoon() -> None:
    """Seeded at 15:00, today's remaining sessions are booked (the front desk books them as
    walk-ins, within the offerings' two hours' notice): the afternoon has arrivals and rooms,
    while the next open day is the full demo day."""
    now = _at(TUESDAY, 15)
    planned = plan(now, OFFERINGS, MEMBERS, _calendars(), ROOMS)
    for site_id in SITE_IDS:
        today = [b for b in planned if b.site_id == site_id and _local(b).date() == TUESDAY and b.then != "wait"]
        assert len(today) >= 2, f"{site_id}: {len(today)} bookings today"  # of 15:30, 16:30 and 17:30
        assert any(b.starts_at < now + timedelta(hours=2) for b in today), f"{site_id}: none within the notice"
        assert all(b.starts_at >= now + WALK_IN_LEAD for b in today if b.then != "visit"), site_id
        assert all(b.starts_at <= now for b in today if b.then == "visit"), site_id  # the morning, recorded


@pytest.mark.parametrize("hour", [18, 21])
def test_an_evening_has_todays_visits_recorded(hour: int) -> None:
    """Seeded in the evening, when too little of today is left to book, the front desk has recorded
    who came earlier today as visits (checked in at once): Today is never empty on an open day.
    The next open day is still the full demo day."""
    wednesday = TUESDAY + timedelta(days=1)
    now = _at(wednesday, hour)
    planned = plan(now, OFFERINGS, MEMBERS, _calendars(), ROOMS)
    for site_id in SITE_IDS:
        today = [b for b in planned if b.site_id == site_id and _local(b).date() == wednesday]
        visits = [b for b in today if b.then == "visit"]
        assert len(today) >= 2, f"{site_id}: {len(today)} bookings today"
        assert visits, f"{site_id}: no visit recorded"
        assert all(b.starts_at <= now for b in visits), site_id
        assert len({b.offering_id for b in today}) >= 2, site_id
    morning = plan(_at(wednesday, 9), OFFERINGS, MEMBERS, _calendars(), ROOMS)
    assert not [b for b in morning if b.then == "visit"]  # a day still ahead is booked, not recorded


def test_a_site_closed_today_gets_the_next_open_day() -> None:
    sunday = MOMENTS["sunday 10:00"]
    planned = plan(sunday, OFFERINGS, MEMBERS, _calendars(), ROOMS)
    assert planned
    assert all(_local(b).date() > sunday.astimezone(ZoneInfo(ZONE)).date() for b in planned)
    holiday = Closure.model_validate({"first_day": "2026-12-08", "last_day": "2026-12-08", "reason": "fermeture"})
    closed = plan(MOMENTS["tuesday 07:00"], OFFERINGS, MEMBERS, _calendars((holiday,)), ROOMS)
    assert closed
    assert all(_local(b).date() != TUESDAY for b in closed)


def test_every_planned_booking_is_one_the_rules_accept(moment: tuple[datetime, list[PlannedBooking]]) -> None:
    now, planned = moment
    members = {m.member_id: m for m in MEMBERS}
    for b in planned:
        offering = BY_ID[b.offering_id]
        session = session_at(offering, ZONE, b.starts_at)
        assert session is not None, b.booking_id
        assert session.ends_at == b.ends_at, b.booking_id
        if b.then == "visit":  # recorded by the front desk once the session began
            assert b.starts_at <= now, b.booking_id
            check_rules(offering, b.starts_at, 1, now, walk_in=True, visit=True)
        else:
            assert b.starts_at >= now + WALK_IN_LEAD, b.booking_id  # booked by the front desk: a walk-in
            check_rules(offering, b.starts_at, 1, now, walk_in=True)
        assert check_eligible(offering, members[b.member_id], b.person_id) == b.person_id
        assert _calendars()[b.site_id].refusal(session) is None


def test_no_two_room_bookings_need_more_rooms_than_the_site_has(moment: tuple[datetime, list[PlannedBooking]]) -> None:
    """Each room-backed booking, at any moment, overlaps fewer others than rooms that can host it,
    so spaces confirms every one of them whatever room it picks."""
    _now, planned = moment
    seated = [b for b in planned if b.then != "wait" and BY_ID[b.offering_id].space_requirement is not None]
    for b in seated:
        requirement = BY_ID[b.offering_id].space_requirement
        assert requirement is not None
        fitting = sum(
            r.capacity if r.kind == "hot_desk_area" else 1
            for r in ROOMS
            if r.site_id == b.site_id and r.meets(requirement)
        )
        widen = max(r.buffers.widest for r in ROOMS if r.site_id == b.site_id)
        overlapping = [
            o
            for o in seated
            if o.site_id == b.site_id
            and _kind(o) == requirement.kind
            and o.starts_at < b.ends_at + widen
            and b.starts_at - widen < o.ends_at
        ]
        assert len(overlapping) <= fitting, f"{b.booking_id}: {len(overlapping)} overlapping, {fitting} rooms"


def test_no_member_is_planned_past_its_share_nor_waits_once_it_has_it(
    moment: tuple[datetime, list[PlannedBooking]],
) -> None:
    """A member joining a waitlist asks its allowances as a booking does (and gives them back): one
    that has its share of the plan by then (the offerings' monthly limit) would be refused joining.
    The seeder carries the plan out in order."""
    _now, planned = moment
    booked: Counter[str] = Counter()
    for b in planned:
        if b.then == "wait":
            assert booked[b.member_id] < PER_MEMBER, f"{b.booking_id}: {booked[b.member_id]} booked already"
        else:
            booked[b.member_id] += 1
    assert max(booked.values()) <= PER_MEMBER


def test_seats_are_never_overbooked_and_a_full_session_has_members_waiting(
    moment: tuple[datetime, list[PlannedBooking]],
) -> None:
    _now, planned = moment
    seats = Counter((b.offering_id, b.starts_at) for b in planned if b.then != "wait")
    for (offering_id, _), taken in seats.items():
        assert taken <= BY_ID[offering_id].seats_per_session
    waiting = [b for b in planned if b.then == "wait"]
    assert len(waiting) >= 2
    for entry in waiting:
        assert seats[(entry.offering_id, entry.starts_at)] == BY_ID[entry.offering_id].seats_per_session


def test_one_booking_a_site_is_cancelled_and_the_demo_member_has_upcoming_bookings(
    moment: tuple[datetime, list[PlannedBooking]],
) -> None:
    _now, planned = moment
    cancelled = Counter(b.site_id for b in planned if b.then == "cancel")
    assert cancelled == dict.fromkeys(SITE_IDS, 1)
    assert sum(1 for b in planned if b.member_id == DEMO_MEMBER) >= 2


def test_ids_are_deterministic_and_unique(moment: tuple[datetime, list[PlannedBooking]]) -> None:
    now, planned = moment
    assert plan(now, OFFERINGS, MEMBERS, _calendars(), ROOMS) == planned
    assert len({b.booking_id for b in planned}) == len(planned)
    assert len({(b.member_id, b.offering_id, b.starts_at) for b in planned}) == len(planned)


def test_the_front_desk_checks_in_whoever_has_arrived_but_not_everyone() -> None:
    now = _at(TUESDAY, 10)
    seeded = [
        (f"seed-{n}", "confirmed", now - timedelta(minutes=30 - n), now + timedelta(minutes=30 + n)) for n in range(8)
    ]
    seeded += [("seed-later", "confirmed", now + timedelta(hours=3), now + timedelta(hours=4))]
    seeded += [("seed-gone", "cancelled", now, now + timedelta(hours=1))]
    checked = arrivals(now, seeded)
    assert len(checked) == 6
    assert "seed-later" not in checked
    assert "seed-gone" not in checked
