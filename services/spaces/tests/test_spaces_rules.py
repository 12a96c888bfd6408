"""The pure rules added for issue 4: residency stays and moves, the office waitlist's order,
turnover and utilisation over a range, and a calendar's pruned past."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from parkgrid.buffers import Buffers
from parkgrid.contracts.common import SpaceKind, WeeklyWindow
from parkgrid.contracts.spaces import SpaceStatus, WaitlistStatus
from spaces.domain.model import Calendar, Hold
from spaces.domain.occupancy import Booked, ResidencyFacts, invalid_report_range, turnover, utilisation
from spaces.domain.sites import Site, Space
from spaces.domain.stays import ResidencyRefused, Stay, ended, extended, moved, stay_on
from spaces.domain.waitlist import (
    Ticket,
    WaitlistRefused,
    check_transition,
    entry_id_for,
    next_in_line,
    office_refusal,
    position_of,
)

D = date.fromisoformat
WEEKDAYS = [WeeklyWindow(weekday=d, opens="08:30", closes="18:30") for d in range(1, 6)]


def stay(hold: str, space: str, first: str, last: str, site: str = "site-a") -> Stay:
    return Stay(hold, site, space, D(first), D(last))


# --- stays and moves -------------------------------------------------------------------


def test_a_move_ends_the_current_stay_the_day_before() -> None:
    stays = [stay("r", "office-1", "2026-12-01", "2028-05-31")]
    after = moved(stays, site_id="site-b", space_id="office-9", on=D("2027-03-01"), hold_id="r/1")
    assert after == [
        stay("r", "office-1", "2026-12-01", "2027-02-28"),
        stay("r/1", "office-9", "2027-03-01", "2028-05-31", site="site-b"),
    ]
    assert stay_on(after, D("2027-02-28")) == after[0]
    assert stay_on(after, D("2027-03-01")) == after[1]
    assert stay_on(after, D("2028-06-01")) is None


def test_a_move_from_the_first_day_replaces_the_stay() -> None:
    stays = [stay("r", "office-1", "2026-12-01", "2027-05-31"), stay("r/1", "office-2", "2027-01-01", "2027-05-31")]
    after = moved(stays, site_id="site-a", space_id="office-3", on=D("2027-01-01"), hold_id="r/2")
    assert [s.space_id for s in after] == ["office-1", "office-3"]
    assert after[-1].first_day == D("2027-01-01")


@pytest.mark.parametrize(
    ("space", "on", "field"),
    [
        ("office-1", "2027-03-01", "space_id"),  # where it is already
        ("office-2", "2026-11-30", "moves_on"),  # before the current stay
        ("office-2", "2028-06-01", "moves_on"),  # after the residency's end
    ],
)
def test_moves_that_make_no_sense_are_refused(space: str, on: str, field: str) -> None:
    with pytest.raises(ResidencyRefused) as refused:
        moved([stay("r", "office-1", "2026-12-01", "2028-05-31")], site_id="a", space_id=space, on=D(on), hold_id="x")
    assert refused.value.field == field


def test_ending_and_extending_change_the_last_stays() -> None:
    stays = [stay("r", "office-1", "2026-12-01", "2027-02-28"), stay("r/1", "office-2", "2027-03-01", "2028-05-31")]
    assert ended(stays, D("2027-06-30"))[-1] == stay("r/1", "office-2", "2027-03-01", "2027-06-30")
    # Ending before the move drops the stay that had not begun.
    assert ended(stays, D("2027-01-31")) == [stay("r", "office-1", "2026-12-01", "2027-01-31")]
    # Never before the first day.
    assert ended(stays, D("2026-01-01")) == [stay("r", "office-1", "2026-12-01", "2026-12-01")]
    assert extended(stays, D("2028-12-31"))[-1].last_day == D("2028-12-31")


# --- the office waitlist ---------------------------------------------------------------


def test_the_line_is_served_in_the_order_of_joining() -> None:
    entries = [
        Ticket("c", 3, WaitlistStatus.WAITING),
        Ticket("a", 1, WaitlistStatus.OFFERED),
        Ticket("gone", 0, WaitlistStatus.LEFT),
        Ticket("b", 2, WaitlistStatus.WAITING),
        Ticket("d", 4, WaitlistStatus.DECLINED),
    ]
    first = next_in_line(entries)
    assert first is not None
    assert first.entry_id == "b"  # "a" is being served already
    assert [position_of(e, entries) for e in ("a", "b", "c", "gone")] == [1, 2, 3, None]
    assert next_in_line([Ticket("a", 1, WaitlistStatus.ACCEPTED)]) is None


def test_entry_ids_are_shared_by_racing_joins_and_new_after_leaving() -> None:
    first = entry_id_for("site-a", 4, "org-1", 0)
    assert first == entry_id_for("site-a", 4, "org-1", 0)
    assert len({first, entry_id_for("site-a", 4, "org-1", 1), entry_id_for("site-a", 6, "org-1", 0)}) == 3


def test_offers_transitions_and_offices() -> None:
    check_transition(WaitlistStatus.WAITING, WaitlistStatus.OFFERED)
    check_transition(WaitlistStatus.OFFERED, WaitlistStatus.ACCEPTED)
    check_transition(WaitlistStatus.OFFERED, WaitlistStatus.LEFT)
    for status, to in (
        (WaitlistStatus.WAITING, WaitlistStatus.ACCEPTED),
        (WaitlistStatus.DECLINED, WaitlistStatus.OFFERED),
        (WaitlistStatus.ACCEPTED, WaitlistStatus.LEFT),
    ):
        with pytest.raises(WaitlistRefused):
            check_transition(status, to)
    assert office_refusal(SpaceKind.PRIVATE_OFFICE, SpaceStatus.ACTIVE, 6, 4) is None
    assert office_refusal(SpaceKind.PRIVATE_OFFICE, SpaceStatus.ACTIVE, 4, 6) is not None
    assert office_refusal(SpaceKind.MEETING_ROOM, SpaceStatus.ACTIVE, 8, 4) is not None
    assert office_refusal(SpaceKind.PRIVATE_OFFICE, SpaceStatus.RETIRED, 6, 4) is not None


# --- turnover and utilisation ----------------------------------------------------------


def facts(rid: str, *stays: Stay) -> ResidencyFacts:
    return ResidencyFacts(rid, f"org-{rid}", stays[0].first_day, stays[-1].last_day, stays)


RESIDENCIES = [
    facts("stays", stay("stays", "office-1", "2025-07-01", "2027-06-30")),  # all year
    facts("ends", stay("ends", "office-2", "2025-06-01", "2026-03-31")),  # ends in the range
    facts("starts", stay("starts", "office-2", "2026-04-01", "2027-09-30")),  # starts in it
    facts(
        "leaves",
        stay("leaves", "desk-1", "2025-01-01", "2026-05-31"),
        stay("leaves/1", "office-x", "2026-06-01", "2027-01-31", site="site-b"),
    ),
    facts(
        "arrives",
        stay("arrives", "office-y", "2025-10-01", "2026-08-31", site="site-b"),
        stay("arrives/1", "desk-1", "2026-09-01", "2027-02-28"),
    ),
]


def test_turnover_over_a_year() -> None:
    report = turnover("site-a", RESIDENCIES, D("2026-01-01"), D("2026-12-31"))
    assert report == {
        "residents_at_start": 3,  # stays, ends, leaves
        "residents_at_end": 3,  # stays, starts, arrives
        "started": 1,
        "ended": 1,
        "moved_in": 1,
        "moved_out": 1,
        "turnover_rate": round(1 / 3, 4),
    }
    empty = turnover("site-z", RESIDENCIES, D("2026-01-01"), D("2026-12-31"))
    assert empty["turnover_rate"] == 0.0


def space(space_id: str, kind: SpaceKind, capacity: int = 1, **kw: object) -> Space:
    return Space(space_id=space_id, site_id="site-a", name=space_id, kind=kind, capacity=capacity, **kw)  # type: ignore[arg-type]


def test_utilisation_by_kind_over_open_days() -> None:
    site = Site("site-a", "A", "Rabat", "MA", "Africa/Casablanca", WEEKDAYS)
    first, last = D("2026-11-30"), D("2026-12-06")  # Monday to Sunday: 5 open days of 10 hours
    spaces = [
        space("office-1", SpaceKind.PRIVATE_OFFICE, 4),
        space("office-2", SpaceKind.PRIVATE_OFFICE, 6),
        space("office-old", SpaceKind.PRIVATE_OFFICE, 6, status=SpaceStatus.RETIRED),
        space("room-1", SpaceKind.MEETING_ROOM, 8),
        space("area", SpaceKind.HOT_DESK_AREA, 10),
    ]
    residencies = [facts("r", stay("r", "office-1", "2026-12-02", "2027-12-31"))]  # Wed..Fri: 3 open days
    booked = [
        Booked("room-1", datetime(2026, 12, 1, 9, 0, tzinfo=UTC), datetime(2026, 12, 1, 11, 30, tzinfo=UTC)),
        Booked("room-1", datetime(2026, 12, 4, 13, 0, tzinfo=UTC), datetime(2026, 12, 4, 15, 30, tzinfo=UTC)),
    ]
    passes = {("area", D("2026-12-01")): 10, ("area", D("2026-12-02")): 5, ("area", D("2026-12-06")): 3}
    lines = {
        line["kind"]: line
        for line in utilisation(site, spaces, first, last, residencies=residencies, booked=booked, passes=passes)
    }
    assert set(lines) == {"private_office", "meeting_room", "hot_desk_area"}
    assert lines["private_office"] == {
        "kind": "private_office",
        "spaces": 2,
        "unit": "space_days",
        "available": 10,
        "used": 3,
        "utilisation": 0.3,
    }
    assert (lines["meeting_room"]["available"], lines["meeting_room"]["used"]) == (50, 5)
    assert lines["meeting_room"]["utilisation"] == 0.1
    # Sunday is closed: its 3 passes (there should be none) are not counted.
    assert (lines["hot_desk_area"]["available"], lines["hot_desk_area"]["used"]) == (50, 15)


def test_report_ranges() -> None:
    assert invalid_report_range(D("2026-01-01"), D("2026-12-31")) is None
    assert invalid_report_range(D("2026-01-02"), D("2026-01-01")) is not None
    assert invalid_report_range(D("2026-01-01"), D("2031-01-01")) is not None


# --- a calendar's pruned past ----------------------------------------------------------


def test_nothing_may_be_held_in_the_pruned_past() -> None:
    cut = datetime(2026, 11, 20, tzinfo=UTC)
    old = Hold("old", cut - timedelta(days=3), cut - timedelta(days=3) + timedelta(hours=1))
    recent = Hold("recent", cut + timedelta(hours=1), cut + timedelta(hours=2))
    calendar = Calendar("room", 4, [old, recent])
    assert calendar.past_holds(cut) == [old]
    pruned = Calendar("room", 5, [recent], closed_before=cut)
    # Where the pruned hold was: refused, although nothing is held there any more.
    assert not pruned.is_free(old.starts_at, old.ends_at)
    assert pruned.is_history(old.starts_at)
    # A range starting at the cut is fine, unless the space's buffer reaches back before it.
    assert pruned.is_free(cut + timedelta(hours=3), cut + timedelta(hours=4))
    assert not pruned.is_free(cut + timedelta(minutes=10), cut + timedelta(minutes=50), Buffers(15, 15))
    assert not pruned.is_free(recent.starts_at, recent.ends_at)
