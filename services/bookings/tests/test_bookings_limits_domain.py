"""The limits' pure rules, without a store: which rules apply to a member, what one session takes of
each (minutes for room hours), the period in the site's zone (weeks from Monday), what earlier
bookings hold of a new counter, what a booking gives back, and an admin's list with one id twice."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from bookings_support import SITE, a_booking

from bookings.domain.booking import Actor, MemberFacts, Unavailable
from bookings.domain.entitlements import PLAN, given_back
from bookings.domain.limits import LimitPolicy, LimitReached, LimitRule, allowances_for, already_held, set_rules
from parkgrid.contracts.bookings import BookingStatus, LimitMeasure, LimitPeriod

ZONE = "Africa/Casablanca"
ROOMS = LimitRule("rooms", LimitMeasure.ROOM_HOURS, "meeting_room", LimitPeriod.WEEK, 6, stage="pre_incubation")
MENTORING = LimitRule("mentoring", LimitMeasure.SESSIONS, "mentoring", LimitPeriod.MONTH, 4, member_kind="tpe")
POLICY = LimitPolicy(SITE, (ROOMS, MENTORING))


def member(kind: str = "startup", stage: str = "pre_incubation") -> MemberFacts:
    return MemberFacts("m-1", "Argan Labs", kind, stage, True, SITE, ("p-1",))


def test_only_the_rules_of_the_members_kind_and_stage_and_the_category_apply() -> None:
    starts = datetime(2026, 12, 10, 9, tzinfo=UTC)  # a Thursday
    [rooms] = allowances_for(POLICY, member(), "meeting_room", starts, starts + timedelta(minutes=90), ZONE)
    assert (rooms.kind, rooms.limit, rooms.amount) == (PLAN, 6 * 60, 90)  # room hours counted in minutes
    assert rooms.counts is not None
    assert (rooms.counts.first, rooms.counts.last) == (date(2026, 12, 7), date(2026, 12, 13))  # Monday..Sunday
    assert allowances_for(POLICY, member(stage="incubation"), "meeting_room", starts, starts, ZONE) == []
    assert allowances_for(POLICY, member(), "mentoring", starts, starts, ZONE) == []  # the tpe rule only
    [sessions] = allowances_for(POLICY, member("tpe", "incubation"), "mentoring", starts, starts, ZONE)
    assert (sessions.limit, sessions.amount, sessions.counts and sessions.counts.first) == (4, 1, date(2026, 12, 1))
    assert allowances_for(None, member(), "meeting_room", starts, starts, ZONE) == []


def test_a_new_counter_starts_from_what_the_periods_bookings_still_hold() -> None:
    starts = datetime(2026, 12, 10, 9, tzinfo=UTC)
    [rooms] = allowances_for(POLICY, member(), "meeting_room", starts, starts + timedelta(hours=1), ZONE)
    room = {"category": "meeting_room", "member_id": "m-1", "status": BookingStatus.CONFIRMED}
    bookings = [
        a_booking(starts, starts, booking_id="held", **room),
        a_booking(starts, starts, booking_id="half", **room, ends_at=starts + timedelta(minutes=30)),
        a_booking(starts, starts, booking_id="cancelled", **{**room, "status": BookingStatus.CANCELLED}, late=True),
        a_booking(starts, starts, booking_id="mentoring", **{**room, "category": "mentoring"}),
        a_booking(starts, starts, booking_id="elsewhere", **room, site_id="site-other"),
        a_booking(starts + timedelta(days=7), starts, booking_id="next-week", **room),
        a_booking(starts, starts, booking_id="no-show", **{**room, "status": BookingStatus.NO_SHOW}),
    ]
    assert already_held(rooms, bookings) == {"held": 60, "half": 30, "no-show": 60}


def test_a_rejection_or_any_cancellation_gives_the_limit_back_a_no_show_keeps_it() -> None:
    assert PLAN in given_back(BookingStatus.REJECTED, None)
    assert PLAN in given_back(BookingStatus.CANCELLED, False)
    assert PLAN in given_back(BookingStatus.CANCELLED, True)
    assert PLAN not in given_back(BookingStatus.NO_SHOW, None)


def test_an_admins_list_with_one_id_twice_is_refused_and_a_refusal_names_the_usage() -> None:
    now = datetime(2026, 12, 4, 10, tzinfo=UTC)
    admin = Actor("admin", "a-1")
    after, happened = set_rules(LimitPolicy(SITE), [ROOMS], admin, now)
    assert (after.rules, after.changed_by, after.changed_at, len(happened)) == ((ROOMS,), admin, now, 1)
    with pytest.raises(Unavailable) as refused:
        set_rules(LimitPolicy(SITE), [ROOMS, ROOMS], admin, now)
    assert refused.value.field == "rules"
    starts = datetime(2026, 12, 10, 9, tzinfo=UTC)
    [rooms] = allowances_for(POLICY, member(), "meeting_room", starts, starts + timedelta(hours=2), ZONE)
    reached = LimitReached(rooms, 5 * 60)
    assert reached.detail == ("limit reached: 5 of 6 room hours of meeting_room used this week; this booking needs 2")
    assert reached.extra["reason"] == "limit_reached"
    assert reached.extra["limit"] == {
        "rule_id": "rooms", "measure": "room_hours", "category": "meeting_room", "period": "week", "max": 6,
        "used": "5", "needed": "2", "period_start": "2026-12-07", "period_end": "2026-12-13",
    }  # fmt: skip
