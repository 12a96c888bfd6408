"""The weekly-window session generator: wall-clock sessions across offset changes, gaps, closures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from parkgrid.contracts.common import Closure, Eligibility, MemberKind, ProgrammeStage, WeeklyWindow
from parkgrid.weekly import days, exists, sessions, site_refusal

CASABLANCA = "Africa/Casablanca"


def window(weekday: int, opens: str, closes: str) -> WeeklyWindow:
    return WeeklyWindow(weekday=weekday, opens=opens, closes=closes)


def test_sessions_keep_local_time_across_the_ramadan_offset_change() -> None:
    mondays = [window(1, "09:00", "11:00")]
    found = sessions(mondays, [], CASABLANCA, 60, date(2026, 2, 9), date(2026, 3, 30))
    assert {s.strftime("%H:%M") for s, _ in found} == {"09:00", "10:00"}
    in_utc = {s.date(): s.astimezone(UTC).strftime("%H:%M") for s, _ in found if s.hour == 9}
    assert in_utc[date(2026, 2, 9)] == "08:00"  # +01:00 before Ramadan
    assert in_utc[date(2026, 2, 16)] == "09:00"  # +00:00 during
    assert in_utc[date(2026, 3, 23)] == "08:00"  # +01:00 again
    assert len(found) == 2 * 8


def test_back_to_back_within_the_window_and_none_past_its_close() -> None:
    found = sessions([window(2, "09:00", "11:30")], [], CASABLANCA, 60, date(2026, 5, 5), date(2026, 5, 5))
    assert [(s.strftime("%H:%M"), e.strftime("%H:%M")) for s, e in found] == [("09:00", "10:00"), ("10:00", "11:00")]


def test_a_start_in_a_dst_gap_is_not_offered_and_no_two_sessions_share_an_instant() -> None:
    # 2026-03-22, a Sunday: Casablanca goes from 02:00 +00:00 to 03:00 +01:00.
    found = sessions([window(7, "01:00", "04:00")], [], CASABLANCA, 60, date(2026, 3, 22), date(2026, 3, 22))
    assert [s.strftime("%H:%M") for s, _ in found] == ["01:00", "03:00"]
    instants = [s.astimezone(UTC) for s, _ in found]
    assert len(set(instants)) == len(instants)


def test_an_hour_that_occurs_twice_means_its_first_occurrence() -> None:
    # 2026-02-15, a Sunday: Casablanca goes back from 03:00 +01:00 to 02:00 +00:00.
    found = sessions([window(7, "02:00", "03:00")], [], CASABLANCA, 60, date(2026, 2, 15), date(2026, 2, 15))
    assert [(s.utcoffset(), s.astimezone(UTC).hour) for s, _ in found] == [(timedelta(hours=1), 1)]


def test_closures_remove_their_days() -> None:
    every_day = [window(d, "09:00", "10:00") for d in range(1, 8)]
    eid = [Closure(first_day=date(2026, 5, 26), last_day=date(2026, 5, 28), reason="Aïd")]
    found = sessions(every_day, eid, CASABLANCA, 60, date(2026, 5, 25), date(2026, 5, 29))
    assert [s.date() for s, _ in found] == [date(2026, 5, 25), date(2026, 5, 29)]


def test_days_and_exists() -> None:
    assert list(days(date(2026, 1, 30), date(2026, 2, 1))) == [date(2026, 1, 30), date(2026, 1, 31), date(2026, 2, 1)]
    assert list(days(date(2026, 2, 1), date(2026, 1, 31))) == []
    zone = ZoneInfo(CASABLANCA)
    assert not exists(datetime(2026, 3, 22, 2, 30, tzinfo=zone))
    assert exists(datetime(2026, 3, 22, 3, 30, tzinfo=zone))


PARIS = "Europe/Paris"
NIGHT = [window(7, "01:00", "04:00")]  # a Sunday night window of half-hour sessions, around the change


def starts(found: list[tuple[datetime, datetime]]) -> list[str]:
    return [s.isoformat(timespec="minutes") for s, _ in found]


def test_paris_spring_forward_offers_no_time_the_clocks_skip_and_no_instant_twice() -> None:
    # 2027-03-28, a Sunday: Paris goes from 02:00 +01:00 to 03:00 +02:00.
    found = sessions(NIGHT, [], PARIS, 30, date(2027, 3, 28), date(2027, 3, 28))
    assert starts(found) == [
        "2027-03-28T01:00+01:00",
        "2027-03-28T01:30+01:00",
        "2027-03-28T03:00+02:00",
        "2027-03-28T03:30+02:00",
    ]
    instants = [s.astimezone(UTC) for s, _ in found]
    assert len(set(instants)) == len(instants)


def test_paris_fall_back_means_the_first_occurrence_of_the_repeated_hour() -> None:
    # 2027-10-31, a Sunday: Paris goes back from 03:00 +02:00 to 02:00 +01:00; 02:00-02:59 occurs twice.
    found = sessions(NIGHT, [], PARIS, 30, date(2027, 10, 31), date(2027, 10, 31))
    assert starts(found) == [
        "2027-10-31T01:00+02:00",
        "2027-10-31T01:30+02:00",
        "2027-10-31T02:00+02:00",  # the first 02:00 (fold=0), summer time; not 02:00+01:00 an hour later
        "2027-10-31T02:30+02:00",
        "2027-10-31T03:00+01:00",
        "2027-10-31T03:30+01:00",
    ]
    instants = [s.astimezone(UTC) for s, _ in found]
    assert instants == sorted(set(instants))


def test_casablanca_2027_ramadan_keeps_sessions_at_their_wall_clock_times() -> None:
    # zoneinfo: Casablanca goes to +00:00 on Sunday 2027-02-07 (03:00 -> 02:00) and back to
    # +01:00 on Sunday 2027-03-14 (02:00 -> 03:00).
    every_day = [window(d, "09:00", "11:00") for d in range(1, 8)]
    found = sessions(every_day, [], CASABLANCA, 60, date(2027, 2, 1), date(2027, 3, 21))
    assert {s.strftime("%H:%M") for s, _ in found} == {"09:00", "10:00"}
    assert len(found) == 2 * 49
    nine_utc = {s.date(): s.astimezone(UTC).strftime("%H:%M") for s, _ in found if s.hour == 9}
    assert (nine_utc[date(2027, 2, 6)], nine_utc[date(2027, 2, 7)]) == ("08:00", "09:00")
    assert (nine_utc[date(2027, 3, 13)], nine_utc[date(2027, 3, 14)]) == ("09:00", "08:00")
    # The nights of the changes themselves: the repeated hour once (its first occurrence), the skipped one not at all.
    back = sessions(NIGHT, [], CASABLANCA, 60, date(2027, 2, 7), date(2027, 2, 7))
    assert starts(back) == ["2027-02-07T01:00+01:00", "2027-02-07T02:00+01:00", "2027-02-07T03:00+00:00"]
    forward = sessions(NIGHT, [], CASABLANCA, 60, date(2027, 3, 14), date(2027, 3, 14))
    assert starts(forward) == ["2027-03-14T01:00+00:00", "2027-03-14T03:00+01:00"]
    for night in (back, forward):
        assert len({s.astimezone(UTC) for s, _ in night}) == len(night)


# --- a site's calendar --------------------------------------------------------------------

CASA = "Africa/Casablanca"
WEEKDAYS_8_30_TO_18 = [WeeklyWindow(weekday=d, opens="08:30", closes="18:00") for d in range(1, 6)]


def _at(day: str, hhmm: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=ZoneInfo(CASA))


def test_a_range_inside_an_opening_window_is_hosted() -> None:
    assert (
        site_refusal(WEEKDAYS_8_30_TO_18, [], True, CASA, _at("2026-12-07", "09:00"), _at("2026-12-07", "10:00"))
        is None
    )


@pytest.mark.parametrize(
    ("starts", "ends", "why"),
    [
        ("08:00", "09:00", "outside the site's opening hours"),  # before it opens
        ("17:30", "18:30", "outside the site's opening hours"),  # after it closes
    ],
)
def test_a_range_outside_the_opening_hours_is_refused(starts: str, ends: str, why: str) -> None:
    refusal = site_refusal(WEEKDAYS_8_30_TO_18, [], True, CASA, _at("2026-12-07", starts), _at("2026-12-07", ends))
    assert refusal is not None
    assert why in refusal


def test_a_weekend_a_closure_and_a_closed_site_are_refused() -> None:
    saturday = (_at("2026-12-05", "09:00"), _at("2026-12-05", "10:00"))
    assert site_refusal(WEEKDAYS_8_30_TO_18, [], True, CASA, *saturday) is not None
    holiday = [Closure(first_day=date(2026, 12, 7), last_day=date(2026, 12, 7), reason="Fête")]
    monday = (_at("2026-12-07", "09:00"), _at("2026-12-07", "10:00"))
    assert "closed on 2026-12-07: Fête" in (site_refusal(WEEKDAYS_8_30_TO_18, holiday, True, CASA, *monday) or "")
    assert site_refusal(WEEKDAYS_8_30_TO_18, [], False, CASA, *monday) == "the site is closed"


def test_an_unknown_calendar_applies_only_status_and_closures() -> None:
    assert site_refusal([], [], True, CASA, _at("2026-12-05", "07:00"), _at("2026-12-05", "08:00")) is None


def test_eligibility_names_the_first_criterion_unmet() -> None:
    rules = Eligibility(member_kinds=[MemberKind.STARTUP], stages=[ProgrammeStage.INCUBATION], cohorts=["2026-A"])
    assert rules.unmet("startup", "incubation", "2026-A") is None
    assert rules.unmet("tpe", "incubation", "2026-A") == "kind"
    assert rules.unmet("startup", "alumni", "2026-A") == "stage"
    assert rules.unmet("startup", "incubation", "2025-B") == "cohort"
    assert rules.unmet("startup", "incubation", None) == "cohort"
    assert Eligibility().unmet(None, None, None) is None
