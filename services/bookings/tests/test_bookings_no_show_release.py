"""The no-show release rule, pure: a confirmed booking not checked in N minutes after its start (its
site's `no_show_release_minutes`) becomes a no-show released before its end, its room let go in the
same decision; a check-in after that is refused naming the local time of the release. And the sweep
on in-memory stores: only at a site that says so, seats back to the session, once however often it runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from bookings_fakes import SESSION, command, office
from bookings_support import a_booking

from bookings.domain import booking as rules
from bookings.domain.booking import Actor, Unavailable
from bookings.domain.happened import SessionMissed, SpaceGivenUp
from bookings.domain.slots import session_key
from bookings.service_layer.publication import publication
from parkgrid.contracts.bookings import BookingNoShow, BookingStatus

START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # 10:00 in Casablanca (+01)
MEMBER = Actor("member", "p-1")


def confirmed(**changes: object) -> rules.Booking:
    return a_booking(START, START - timedelta(days=1), **{"status": BookingStatus.CONFIRMED, **changes})


def test_a_confirmed_booking_not_checked_in_n_minutes_after_its_start_is_released_as_a_no_show() -> None:
    booking = confirmed(reservation_request_id="b-1.r1", space_id="room-1")
    at = START + timedelta(minutes=15)

    released, happened = rules.release_no_show(booking, 15, at)

    assert (released.status, released.released_at, released.ended_at) == (BookingStatus.NO_SHOW, at, at)
    assert [type(h) for h in happened] == [SessionMissed, SpaceGivenUp]
    assert isinstance(happened[1], SpaceGivenUp)
    assert (happened[1].request_id, happened[1].reason) == ("b-1.r1", "no-show released")
    no_show = publication(happened[:1])[0]
    assert isinstance(no_show, BookingNoShow)
    assert (no_show.status, no_show.released_at) == (BookingStatus.NO_SHOW, at)


def test_nothing_is_released_before_n_minutes_after_the_end_or_once_checked_in() -> None:
    booking = confirmed()
    assert rules.release_no_show(booking, 15, START + timedelta(minutes=14, seconds=59)) == (booking, [])
    assert rules.release_no_show(booking, 15, booking.ends_at) == (booking, [])  # `settle` decides then
    checked, _ = rules.check_in(booking, MEMBER, START + timedelta(minutes=14))
    assert rules.release_no_show(checked, 15, START + timedelta(minutes=20)) == (checked, [])
    for status in (BookingStatus.PENDING, BookingStatus.CANCELLED, BookingStatus.NO_SHOW):
        other = confirmed(status=status)
        assert rules.release_no_show(other, 15, START + timedelta(minutes=20)) == (other, [])


def test_a_booking_without_a_room_lets_go_of_no_space() -> None:
    released, happened = rules.release_no_show(confirmed(), 10, START + timedelta(minutes=10))
    assert released.status == BookingStatus.NO_SHOW
    assert [type(h) for h in happened] == [SessionMissed]


def test_a_late_check_in_is_allowed_until_released_then_refused_naming_the_release() -> None:
    booking = confirmed()
    late, _ = rules.check_in(booking, MEMBER, START + timedelta(minutes=40))  # not released: still in
    assert late.status == BookingStatus.CHECKED_IN

    released, _ = rules.release_no_show(booking, 15, START + timedelta(minutes=16))
    with pytest.raises(Unavailable) as refused:
        rules.check_in(released, MEMBER, START + timedelta(minutes=17))
    assert str(refused.value.detail).startswith("released as a no-show at 10:16")


def test_settling_a_released_no_show_changes_nothing() -> None:
    released, _ = rules.release_no_show(confirmed(), 15, START + timedelta(minutes=15))
    assert rules.settle(released, released.ends_at + timedelta(hours=2)) == (released, [])


async def test_the_sweep_releases_only_at_a_site_that_says_so_and_gives_the_seat_back_once() -> None:
    desk = office(seats=1)
    outcome = await desk.book(command(1))
    assert outcome.booking is not None
    assert outcome.booking.status == BookingStatus.CONFIRMED
    key = session_key("off-mentoring", SESSION)
    assert (await desk.seats.sessions.get(key) or {})["taken"] == 1
    later = SESSION + timedelta(minutes=20)
    desk.at(later)

    assert await desk.sweep() == 0  # the site releases no one: held until its session ends
    assert (await desk.get("b-1"))[0].status == BookingStatus.CONFIRMED

    site = outcome.booking.site_id
    assert site is not None
    desk.known.sites.releasing[site] = 15
    assert await desk.sweep() == 1
    assert await desk.sweep() == 0
    released, _ = await desk.get("b-1")
    assert (released.status, released.released_at) == (BookingStatus.NO_SHOW, later)
    assert (await desk.seats.sessions.get(key) or {})["taken"] == 0
    assert (await desk.published("b-1"))[-1] == "no_show"


async def test_a_release_whose_seats_were_not_given_back_is_finished_by_the_next_sweep() -> None:
    """A process dying between the release's write and giving the seats back: the next sweep frees them."""
    desk = office(seats=1)
    outcome = await desk.book(command(1))
    assert outcome.booking is not None
    site = outcome.booking.site_id
    assert site is not None
    desk.known.sites.releasing[site] = 15
    later = SESSION + timedelta(minutes=20)
    desk.at(later)
    booking, version = await desk.get("b-1")
    released, happened = rules.release_no_show(booking, 15, later)
    await desk.bookings.save(released, version, publication(happened))  # ... and the process dies here
    key = session_key("off-mentoring", SESSION)
    assert (await desk.seats.sessions.get(key) or {})["taken"] == 1

    assert await desk.sweep() == 0  # nothing left to release
    assert (await desk.seats.sessions.get(key) or {})["taken"] == 0
    assert (await desk.published("b-1")).count("no_show") == 1
