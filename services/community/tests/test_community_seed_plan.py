"""The demo's events, dated from the day of seeding: some this week (on a day their site is
open, with time to register), the rest in the weeks after. Pure: no broker, no store."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from community.seed import NOTICE, ZONE, demo_events
from community.seed_data import events
from parkgrid.contracts.common import TimeRange

CASABLANCA = ZoneInfo(ZONE)
FRIDAY_4PM = datetime(2026, 12, 4, 16, 0, tzinfo=CASABLANCA)


def open_on_weekdays(site: str | None, slot: TimeRange) -> bool:
    return slot.starts_at.astimezone(CASABLANCA).weekday() < 5


def test_this_weeks_events_fall_this_week_with_time_to_register_on_days_their_site_is_open() -> None:
    rows = {f"cevt-{row['slug']}": row for row in events()}
    seeded = demo_events(FRIDAY_4PM, open_on_weekdays)
    soon = [e for e in seeded if "in_days" in rows[e.event_id]]
    assert len(soon) >= 3, "the demo shows events this week"
    for event in soon:
        starts = event.time.starts_at
        assert FRIDAY_4PM + NOTICE <= starts <= FRIDAY_4PM + timedelta(days=rows[event.event_id]["in_days"] + 8)
        if event.site_id is not None:
            assert starts.astimezone(CASABLANCA).weekday() < 5, f"{event.event_id} on a day its site is closed"
    pitch = next(e for e in soon if e.event_id == "cevt-pitch-casablanca")
    # 16:00 today is less than NOTICE away at 16:00, and the weekend is closed: Monday.
    assert pitch.time.starts_at == datetime(2026, 12, 7, 16, 0, tzinfo=CASABLANCA)


def test_an_event_of_today_is_today_when_there_is_time() -> None:
    morning = datetime(2026, 12, 3, 9, 0, tzinfo=CASABLANCA)  # a Thursday
    pitch = next(e for e in demo_events(morning, open_on_weekdays) if e.event_id == "cevt-pitch-casablanca")
    assert pitch.time.starts_at == datetime(2026, 12, 3, 16, 0, tzinfo=CASABLANCA)


def test_the_other_events_are_after_the_coming_monday_and_ids_do_not_depend_on_the_day() -> None:
    rows = {f"cevt-{row['slug']}": row for row in events()}
    friday, later = demo_events(FRIDAY_4PM), demo_events(FRIDAY_4PM + timedelta(days=9))
    assert [e.event_id for e in friday] == [e.event_id for e in later]
    monday = datetime(2026, 12, 7, tzinfo=CASABLANCA)
    for event in friday:
        if "in_days" not in rows[event.event_id]:
            assert event.time.starts_at >= monday
    assert all(e.time.starts_at.tzinfo is not None for e in friday)
