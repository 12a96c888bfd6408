"""The pure rules: opening hours on the site's wall clock, closures, best fit, calendars."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from parkgrid.buffers import Buffers
from parkgrid.contracts.common import Closure, SpaceKind, SpaceRequirement, WeeklyWindow
from parkgrid.contracts.spaces import RefusalReason, SiteStatus, SpaceStatus
from spaces.domain.model import Calendar, Hold, add_months, best_fits, day_range, invalid_range
from spaces.domain.sites import Site, Space
from spaces.seed import SITES, spaces_of

WEEK = [WeeklyWindow(weekday=d, opens="08:30", closes="18:30") for d in range(1, 6)] + [
    WeeklyWindow(weekday=6, opens="09:00", closes="13:00")
]


def site(zone: str = "Africa/Casablanca", **kw: object) -> Site:
    return Site(site_id="site-x", name="X", city="Rabat", country="MA", time_zone=zone, opening_hours=WEEK, **kw)  # type: ignore[arg-type]


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_inside_opening_hours_is_accepted() -> None:
    # Tuesday 2026-11-24, Casablanca is UTC+1: 09:00Z-10:00Z is 10:00-11:00 local.
    assert site().refusal_for(utc("2026-11-24T09:00"), utc("2026-11-24T10:00")) is None


def test_before_opening_in_local_time_is_refused() -> None:
    # 07:45Z is 08:45 local (open) but 07:00Z is 08:00 local (still closed).
    assert site().refusal_for(utc("2026-11-24T07:45"), utc("2026-11-24T08:30")) is None
    refusal = site().refusal_for(utc("2026-11-24T07:00"), utc("2026-11-24T08:00"))
    assert refusal is not None
    assert refusal.reason == RefusalReason.OUTSIDE_OPENING_HOURS


def test_ramadan_offset_change_moves_the_local_clock() -> None:
    """Morocco is +01 on Friday 2026-02-13 and +00 from Sunday 2026-02-15 (Ramadan)."""
    casablanca = site()
    # 08:00Z-09:00Z: 09:00-10:00 local on the Friday before the change, accepted...
    assert casablanca.refusal_for(utc("2026-02-13T08:00"), utc("2026-02-13T09:00")) is None
    # ...but 08:00-09:00 local on the Monday after it, before the 08:30 opening: refused.
    refusal = casablanca.refusal_for(utc("2026-02-16T08:00"), utc("2026-02-16T09:00"))
    assert refusal is not None
    assert refusal.reason == RefusalReason.OUTSIDE_OPENING_HOURS
    # 17:45Z-18:15Z: 18:45 local before the change (closed at 18:30), 17:45 local after it.
    assert casablanca.refusal_for(utc("2026-02-13T17:45"), utc("2026-02-13T18:15")) is not None
    assert casablanca.refusal_for(utc("2026-02-16T17:45"), utc("2026-02-16T18:15")) is None
    # Back to +01 after Ramadan (2026-03-22): 08:00Z is 09:00 local again.
    assert casablanca.refusal_for(utc("2026-03-23T08:00"), utc("2026-03-23T09:00")) is None
    assert casablanca.local(utc("2026-02-16T09:00")).utcoffset() == timedelta(0)
    assert casablanca.local(utc("2026-03-23T09:00")).utcoffset() == timedelta(hours=1)


def test_another_time_zone_is_read_on_its_own_clock() -> None:
    paris = site("Europe/Paris")
    # Tuesday 2026-11-24, Paris is UTC+1: 07:30Z is 08:30 local.
    assert paris.refusal_for(utc("2026-11-24T07:30"), utc("2026-11-24T09:00")) is None
    # In July (UTC+2) the same instants are 09:30 local, while 06:45Z is 08:45.
    assert paris.refusal_for(utc("2026-07-14T06:45"), utc("2026-07-14T08:00")) is None
    assert site("America/New_York").refusal_for(utc("2026-11-24T09:00"), utc("2026-11-24T10:00")) is not None


def test_sunday_saturday_afternoon_and_two_days_are_refused() -> None:
    s = site()
    assert s.refusal_for(utc("2026-11-29T09:00"), utc("2026-11-29T10:00")) is not None  # Sunday
    assert s.refusal_for(utc("2026-11-28T11:00"), utc("2026-11-28T12:00")) is None  # Saturday 12-13 local
    assert s.refusal_for(utc("2026-11-28T12:00"), utc("2026-11-28T13:00")) is not None  # Saturday 13-14 local
    assert s.refusal_for(utc("2026-11-24T09:00"), utc("2026-11-25T10:00")) is not None


def test_closure_and_closed_site_are_refused() -> None:
    closed_day = site(closures=[Closure(first_day=date(2026, 11, 18), last_day=date(2026, 11, 18), reason="Fête")])
    refusal = closed_day.refusal_for(utc("2026-11-18T09:00"), utc("2026-11-18T10:00"))
    assert refusal is not None
    assert refusal.reason == RefusalReason.SITE_CLOSED
    assert "Fête" in refusal.detail
    refusal = site(status=SiteStatus.CLOSED).refusal_for(utc("2026-11-24T09:00"), utc("2026-11-24T10:00"))
    assert refusal is not None
    assert refusal.reason == RefusalReason.SITE_CLOSED
    # Closed before outside the hours: a range over two days, the second one a closure.
    two_days = (utc("2026-11-17T09:00"), utc("2026-11-18T10:00"))
    ten_to_eleven = (utc("2026-11-24T09:00"), utc("2026-11-24T10:00"))
    reasons = [
        refused.reason if (refused := where.refusal_for(*when)) else None
        for where, when in (
            (closed_day, two_days),
            (site(), two_days),
            (replace(site(), opening_hours=[]), ten_to_eleven),
        )
    ]
    assert reasons == [
        RefusalReason.SITE_CLOSED,
        RefusalReason.OUTSIDE_OPENING_HOURS,
        RefusalReason.OUTSIDE_OPENING_HOURS,
    ]


def room(space_id: str, capacity: int, features: tuple[str, ...] = (), **kw: Any) -> Space:
    return Space(
        space_id=space_id,
        site_id="site-x",
        name=space_id,
        kind=SpaceKind.MEETING_ROOM,
        capacity=capacity,
        features=features,
        **kw,
    )


def test_best_fit_is_the_smallest_that_meets_seats_and_features() -> None:
    spaces = [
        room("big", 12, ("screen", "video")),
        room("small", 4, ("screen",)),
        room("medium", 8, ("screen", "video")),
        room("retired", 6, ("screen", "video"), status=SpaceStatus.RETIRED),
        Space(space_id="office", site_id="site-x", name="o", kind=SpaceKind.PRIVATE_OFFICE, capacity=6),
    ]
    need = SpaceRequirement(kind=SpaceKind.MEETING_ROOM, seats=5, features=["video"])
    assert [s.space_id for s in best_fits(spaces, need)] == ["medium", "big"]
    need = SpaceRequirement(kind=SpaceKind.MEETING_ROOM, seats=3)
    assert [s.space_id for s in best_fits(spaces, need)] == ["small", "medium", "big"]
    assert best_fits(spaces, SpaceRequirement(kind=SpaceKind.MEETING_ROOM, seats=13)) == []


@pytest.mark.parametrize(
    ("start", "end", "buffer", "free"),
    [
        ("10:00", "11:00", 0, False),  # same range
        ("11:00", "12:00", 0, True),  # touching, no buffer
        ("11:00", "12:00", 15, False),  # touching, inside the buffer
        ("11:15", "12:00", 15, True),  # just after the buffer
        ("09:00", "09:45", 15, True),
        ("09:00", "09:50", 15, False),
        ("10:30", "10:45", 0, False),  # inside
    ],
)
def test_calendar_keeps_the_buffer_free(start: str, end: str, buffer: int, free: bool) -> None:
    calendar = Calendar("r", 3, [Hold("a", utc("2026-11-24T10:00"), utc("2026-11-24T11:00"))])
    assert calendar.is_free(utc(f"2026-11-24T{start}"), utc(f"2026-11-24T{end}"), Buffers(buffer, buffer)) is free


def test_invalid_ranges() -> None:
    assert invalid_range(utc("2026-11-24T10:00"), utc("2026-11-24T09:00")) is not None
    assert invalid_range(utc("2026-11-24T10:00"), utc("2031-11-24T10:00")) is not None
    assert invalid_range(utc("2026-11-24T10:00"), utc("2026-11-24T11:00")) is None


def test_seed_gives_every_site_a_realistic_mix() -> None:
    assert [s[0] for s in SITES] == [
        "site-rabat",
        "site-casablanca",
        "site-agadir",
        "site-tanger",
        "site-souss-massa",
        "site-oujda",
        "site-tiznit",
        "site-fes",
    ]
    for site_id, _, _, size in SITES:
        spaces = spaces_of(site_id, size)
        kinds = [s["kind"] for s in spaces]
        rooms = [s for s in spaces if s["kind"] == SpaceKind.MEETING_ROOM]
        assert {SpaceKind.HOT_DESK_AREA, SpaceKind.PRIVATE_OFFICE, SpaceKind.DEDICATED_DESK} <= set(kinds)
        assert all({"screen", "whiteboard", "wifi"} <= set(r["features"]) for r in rooms)
        assert all(("video_conferencing" in r["features"]) is (r["capacity"] >= 8) for r in rooms)
        training = [r for r in rooms if r["capacity"] == 20]
        assert len(training) == (size != "small")
        assert all({"projector", "video_conferencing"} <= set(r["features"]) for r in training)
        assert (SpaceKind.EVENT_HALL in kinds) is (size == "large")
        assert len({s["space_id"] for s in spaces}) == len(spaces)
    ids = [s["space_id"] for s in spaces_of("site-rabat", "large")]
    assert ids[:11] == [  # as seeded before the training room was appended
        "rabat-meeting-room-1",
        "rabat-meeting-room-2",
        "rabat-hot-desk-area-3",
        "rabat-private-office-4",
        "rabat-private-office-5",
        "rabat-dedicated-desk-6",
        "rabat-dedicated-desk-7",
        "rabat-meeting-room-8",
        "rabat-private-office-9",
        "rabat-meeting-room-10",
        "rabat-event-hall-11",
    ]


def test_months_and_day_ranges() -> None:
    assert add_months(date(2026, 12, 1), 18) == date(2028, 6, 1)
    assert add_months(date(2026, 8, 31), 18) == date(2028, 2, 29)
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    start, end = day_range(date(2026, 12, 1), date(2026, 12, 1))
    assert end - start == timedelta(days=1)
    calendar = Calendar("office", 1, [Hold("r1", *day_range(date(2026, 12, 1), date(2027, 5, 31)))])
    assert calendar.is_free(*day_range(date(2027, 6, 1), date(2027, 12, 31)))
    assert not calendar.is_free(*day_range(date(2027, 5, 31), date(2027, 12, 31)))
    assert calendar.is_free(*day_range(date(2026, 12, 1), date(2027, 8, 31)), ignoring="r1")
