"""The weekly-window session generator: wall-clock sessions across offset changes, gaps, closures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from parkgrid.contracts.common import Closure, WeeklyWindow
from parkgrid.weekly import days, exists, sessions

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
