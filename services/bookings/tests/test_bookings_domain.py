"""Pure rules of bookings: sessions across Morocco's Ramadan offset change, rules, lifecycle,
entitlements and the iCalendar rendering (no I/O)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from bookings_support import a_booking, offering

from bookings.domain import booking as rules
from bookings.domain import calendar as ical
from bookings.domain import entitlements as credits
from bookings.domain.booking import Actor, Booking, InvalidBooking, Unavailable
from bookings.domain.happened import (
    BookingCalledOff,
    BookingOpened,
    CreditsGivenBack,
    CreditsGranted,
    CreditsUsed,
    SpaceGivenUp,
    SpaceSought,
)
from bookings.domain.slots import session_at, session_key, sessions_between, sessions_of
from parkgrid.contracts.bookings import BookingStatus
from parkgrid.contracts.catalogue import Period

ZONE = "Africa/Casablanca"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def test_sessions_stay_at_local_time_across_the_ramadan_offset_change() -> None:
    thursdays = offering(availability=[{"weekday": 4, "opens": "09:00", "closes": "11:00"}], session_minutes=60)
    before, during = date(2027, 2, 4), date(2027, 2, 11)  # Thursdays: +01 then +00
    sessions = sessions_of(thursdays, ZONE, before, during)
    assert [s.starts_at.strftime("%Y-%m-%d %H:%M") for s in sessions] == [
        "2027-02-04 09:00",
        "2027-02-04 10:00",
        "2027-02-11 09:00",
        "2027-02-11 10:00",
    ]
    assert sessions[0].starts_at.astimezone(UTC).hour == 8
    assert sessions[2].starts_at.astimezone(UTC).hour == 9


def test_closures_notice_and_horizon_narrow_the_sessions() -> None:
    offer = offering(
        closures=[{"first_day": "2026-12-01", "last_day": "2026-12-01", "reason": "works"}],
        rules={"min_notice_minutes": 24 * 60, "max_advance_days": 5, "cancellation_window_minutes": 60},
    )
    found = sessions_between(offer, ZONE, date(2026, 11, 27), date(2026, 12, 10), NOW)
    days = sorted({s.starts_at.date() for s in found})
    assert date(2026, 11, 27) not in days  # inside the notice
    assert date(2026, 12, 1) not in days  # closed
    assert max(days) <= date(2026, 12, 2)  # horizon
    assert session_at(offer, ZONE, datetime(2026, 12, 2, 9, 30, tzinfo=ZoneInfo(ZONE))) is None
    assert session_at(offer, ZONE, datetime(2026, 12, 2, 9, 0, tzinfo=ZoneInfo(ZONE))) is not None
    assert session_key("o", datetime(2026, 12, 2, 9, 0, tzinfo=ZoneInfo(ZONE))) == "o@20261202T0800Z"


def test_a_booking_names_an_offered_session_in_a_dst_night() -> None:
    # 2027-03-28 in Paris: 02:00-02:59 does not exist, so no session starts then.
    night = offering(availability=[{"weekday": 7, "opens": "01:00", "closes": "04:00"}], session_minutes=30)
    paris = "Europe/Paris"
    assert session_at(night, paris, datetime.fromisoformat("2027-03-28T02:15:00+01:00")) is None  # 03:15+02:00
    assert session_at(night, paris, datetime(2027, 3, 28, 0, 45, tzinfo=UTC)) is None  # 01:45 local: not a start
    offered = session_at(night, paris, datetime.fromisoformat("2027-03-28T03:00:00+02:00"))
    assert offered is not None
    assert offered.starts_at.utcoffset() == timedelta(hours=2)
    # "02:00+01:00" is no other session: it is the instant of 03:00+02:00, the session offered.
    assert session_at(night, paris, datetime.fromisoformat("2027-03-28T02:00:00+01:00")) == offered


def test_rules_name_the_offending_field() -> None:
    offer = offering(seats_per_session=4)
    with pytest.raises(InvalidBooking) as party:
        rules.check_rules(offer, NOW + timedelta(days=2), 5, NOW)
    assert party.value.field == "party_size"
    with pytest.raises(InvalidBooking) as past:
        rules.check_rules(offer, NOW - timedelta(hours=1), 1, NOW)
    assert past.value.field == "starts_at"
    with pytest.raises(Unavailable):
        rules.check_rules(offering(status="withdrawn"), NOW + timedelta(days=2), 1, NOW)


def test_a_walk_in_waives_the_notice_but_not_the_start() -> None:
    offer = offering(rules={"min_notice_minutes": 120, "max_advance_days": 30, "cancellation_window_minutes": 60})
    soon = NOW + timedelta(minutes=30)
    with pytest.raises(InvalidBooking):
        rules.check_rules(offer, soon, 1, NOW)
    rules.check_rules(offer, soon, 1, NOW, walk_in=True)
    with pytest.raises(InvalidBooking):
        rules.check_rules(offer, NOW, 1, NOW, walk_in=True)
    assert rules.is_walk_in(Actor("front_desk", "desk-1"))
    assert rules.is_walk_in(Actor("admin", "admin-1"))
    assert not rules.is_walk_in(Actor("member", "person-1"))
    day = NOW.astimezone(ZoneInfo(ZONE)).date()
    members = sessions_between(offer, ZONE, day, day, NOW)
    desk = sessions_between(offer, ZONE, day, day, NOW, walk_in=True)
    assert all(s.starts_at >= NOW + timedelta(minutes=120) for s in members)
    assert set(members) < set(desk)
    assert all(s.starts_at > NOW for s in desk)


def test_periods() -> None:
    day = date(2026, 11, 27)
    assert rules.period_of(Period.WEEK, day) == (date(2026, 11, 23), date(2026, 11, 29))
    assert rules.period_of(Period.MONTH, day) == (date(2026, 11, 1), date(2026, 11, 30))
    assert rules.period_of(Period.QUARTER, day) == (date(2026, 10, 1), date(2026, 12, 31))
    assert rules.period_of(Period.YEAR, day) == (date(2026, 1, 1), date(2026, 12, 31))


def _booking(starts_at: datetime, **changes: object) -> Booking:
    return a_booking(starts_at, NOW, **changes)


def test_lifecycle_late_cancellation_check_in_and_settling() -> None:
    member = Actor("member", "p-1")
    soon, _ = rules.open_booking(_booking(NOW + timedelta(hours=3)), NOW)
    assert soon.status == BookingStatus.CONFIRMED
    cancelled, events = rules.cancel(soon, member, NOW, 24 * 60)
    assert cancelled.late is True
    assert events == [BookingCalledOff(cancelled, member, BookingStatus.CONFIRMED)]
    waived, _ = rules.cancel(soon, Actor("front_desk", "d"), NOW, 24 * 60, staff_override=True)
    assert waived.late is False
    with pytest.raises(Unavailable):
        rules.cancel(cancelled, member, NOW, 60)
    checked, _ = rules.check_in(soon, Actor("front_desk", "d"), NOW + timedelta(hours=2, minutes=50))
    with pytest.raises(Unavailable, match="already checked in"):
        rules.check_in(checked, Actor("front_desk", "d"), NOW + timedelta(hours=2, minutes=55))
    assert rules.settle(checked, NOW + timedelta(hours=4))[0].status == BookingStatus.COMPLETED
    assert rules.settle(soon, NOW + timedelta(hours=4))[0].status == BookingStatus.CONFIRMED  # grace
    assert rules.settle(soon, NOW + timedelta(hours=5))[0].status == BookingStatus.NO_SHOW


def test_a_booking_needing_a_space_is_pending_with_its_request_and_cancelling_releases_it() -> None:
    needing = _booking(NOW + timedelta(days=3), requirement={"kind": "meeting_room", "seats": 2, "features": []})
    pending, events = rules.open_booking(needing, NOW)
    assert pending.status == BookingStatus.PENDING
    assert events == [BookingOpened(pending), SpaceSought(pending)]
    _, cancelling = rules.cancel(pending, Actor("member", "p-1"), NOW, 60)
    assert cancelling[-1] == SpaceGivenUp(pending, "b-1.r1", "booking cancelled")
    assert rules.confirm(rules.reject(pending, "no_space", "none")[0], "room", NOW)[1] == []


def test_entitlements_consume_once_and_restore_once() -> None:
    granted = credits.grant("m-1", "incubation", "mentoring", date(2026, 11, 27))
    assert granted is not None
    assert (granted.period_start, granted.allowance) == (date(2026, 10, 1), 6)
    consumed = credits.consume(granted, "b-1", 2)
    assert consumed is not None
    used, happened = consumed
    assert happened == [CreditsUsed(used, "b-1", 2)]
    assert credits.consume(used, "b-1", 2) is None
    assert (used.used, used.remaining) == (2, 4)
    restored = credits.restore(used, "b-1")
    assert restored is not None
    back, happened = restored
    assert (back.remaining, happened) == (6, [CreditsGivenBack(back, "b-1", 2)])
    assert credits.restore(back, "b-1") is None
    assert credits.opened(granted, "incubation") == CreditsGranted(granted, "incubation allowance for mentoring")
    assert credits.grant("m-1", "alumni", "mentoring", date(2026, 11, 27)) is None


def _around_ramadan(summary: str) -> list[ical.CalendarEntry]:
    """09:00 sessions on the Thursdays before (+01) and during (+00) Ramadan 2027."""
    zone = ZoneInfo(ZONE)
    return [
        ical.CalendarEntry(
            uid=f"b-{day}@parkgrid",
            summary=summary,
            starts_at=datetime(2027, 2, day, 9, 0, tzinfo=zone),
            ends_at=datetime(2027, 2, day, 10, 0, tzinfo=zone),
            time_zone=ZONE,
            status="CONFIRMED",
            sequence=0,
        )
        for day in (4, 11)
    ]


def test_icalendar_lists_the_zone_changes_and_local_times() -> None:
    entries = _around_ramadan("Mentorat; stratégie, plan")
    text = ical.render("ParkGrid " + "x" * 100, entries, NOW)
    assert text.startswith("BEGIN:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert "DTSTART;TZID=Africa/Casablanca:20270204T090000" in text
    assert "DTSTART;TZID=Africa/Casablanca:20270211T090000" in text
    assert "TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0000" in text
    assert "SUMMARY:Mentorat\\; stratégie\\, plan" in text


def test_the_feed_parses_with_icalendar_and_keeps_local_times_across_the_ramadan_change() -> None:
    entries = _around_ramadan("Mentorat")
    calendar = icalendar.Calendar.from_ical(ical.render("ParkGrid", entries, NOW))
    starts = sorted(event.decoded("DTSTART") for event in calendar.walk("VEVENT"))
    assert [(s.hour, s.minute) for s in starts] == [(9, 0), (9, 0)]  # 09:00 on the wall both weeks
    assert [s.astimezone(ZoneInfo("UTC")).hour for s in starts] == [8, 9]  # UTC+1 before Ramadan, UTC+0 during it
    assert [str(e["UID"]) for e in calendar.walk("VEVENT")] == ["b-4@parkgrid", "b-11@parkgrid"]
