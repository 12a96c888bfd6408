"""The one rule of rooms' preparation and cleaning time (`parkgrid.buffers`): which applies, what it keeps free."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from parkgrid.buffers import Buffers, buffers_of
from parkgrid.contracts.common import SpaceKind

AT_SITE = {"meeting_room": {"before_minutes": 10, "after_minutes": 20}}


def at(hhmm: str) -> datetime:
    hours, minutes = hhmm.split(":")
    return datetime(2027, 3, 2, int(hours), int(minutes), tzinfo=UTC)


def room(**fields: object) -> dict[str, object]:
    return {"kind": "meeting_room", "buffer_minutes": 0, **fields}


def test_a_space_with_nothing_of_its_own_takes_its_kinds_default_at_the_site() -> None:
    assert buffers_of(room(), AT_SITE) == Buffers(before=10, after=20)


def test_a_kind_without_a_default_has_no_buffer() -> None:
    assert buffers_of(room(kind="event_hall"), AT_SITE) == Buffers(0, 0)
    assert buffers_of(room(), None) == Buffers(0, 0)


def test_the_spaces_own_sides_override_the_kind_default_each_on_its_own() -> None:
    assert buffers_of(room(buffer_before_minutes=5, buffer_after_minutes=45), AT_SITE) == Buffers(5, 45)
    assert buffers_of(room(buffer_after_minutes=45), AT_SITE) == Buffers(10, 45)
    assert buffers_of(room(buffer_before_minutes=0), AT_SITE) == Buffers(0, 20), "0 is set: no preparation here"


def test_the_old_buffer_minutes_means_both_sides_and_beats_the_kind_default() -> None:
    assert buffers_of(room(buffer_minutes=15), AT_SITE) == Buffers(15, 15)
    assert buffers_of(room(buffer_minutes=15, buffer_after_minutes=30), AT_SITE) == Buffers(15, 30)
    assert buffers_of({"kind": "meeting_room"}, None) == Buffers(0, 0), "an event from before buffers: none"


def test_a_kind_given_as_the_enum_finds_its_default() -> None:
    by_kind: dict[str, dict[str, int]] = {SpaceKind.MEETING_ROOM: {"after_minutes": 5}}
    assert buffers_of(room(kind=SpaceKind.MEETING_ROOM), by_kind) == Buffers(0, 5)


BEFORE_10_AFTER_30 = Buffers(before=10, after=30)


@pytest.mark.parametrize(
    ("starts", "ends", "clear"),
    [
        ("11:00", "12:00", False),  # right after 10:00-11:00: in its cleaning
        ("11:29", "12:00", False),
        ("11:30", "12:00", True),  # the cleaning is over
        ("09:00", "09:45", False),  # its own cleaning would run into 10:00
        ("08:00", "09:30", True),
        ("10:30", "10:45", False),  # overlapping
    ],
)
def test_no_reservation_falls_into_anothers_preparation_or_cleaning(starts: str, ends: str, clear: bool) -> None:
    assert BEFORE_10_AFTER_30.keeps_clear(at(starts), at(ends), at("10:00"), at("11:00")) is clear


def test_the_preparation_of_a_later_reservation_is_kept_too() -> None:
    prepared = Buffers(before=30, after=0)
    assert not prepared.keeps_clear(at("09:00"), at("09:45"), at("10:00"), at("11:00")), "in the next one's preparation"
    assert not prepared.keeps_clear(at("11:10"), at("12:00"), at("10:00"), at("11:00")), "its own preparation"
    assert prepared.keeps_clear(at("11:30"), at("12:00"), at("10:00"), at("11:00"))


def test_the_old_setting_keeps_exactly_its_gap() -> None:
    """15 minutes both sides: 15 free between two reservations, as `buffer_minutes` always meant."""
    old = Buffers(15, 15)
    assert old.keeps_clear(at("11:15"), at("12:00"), at("10:00"), at("11:00"))
    assert not old.keeps_clear(at("11:14"), at("12:00"), at("10:00"), at("11:00"))
    assert old.widest.total_seconds() == 15 * 60
