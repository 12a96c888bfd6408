"""A no-show released early (its site's `no_show_release_minutes`) as the web app shows it, pure: on
the desk's Today a released booking's row says when it was released, in the reader's language,
with no check-in button, and it leaves the room's timeline (its room was freed for walk-ins); the
member's booking page offers "Check in" only while the window is open, and says when a booking
was released; a refused check-in is said from the booking's state in the reader's language."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from test_frontdesk_timeline import booking, day_of

from frontdesk.domain.messages import translator
from frontdesk.domain.today import check_in_open, hours_of, timeline_of
from frontdesk.entrypoints.http.member_room_check_in import check_in_refusal
from frontdesk.entrypoints.http.pages import templates
from frontdesk.entrypoints.http.panels import Panel
from frontdesk.entrypoints.http.today_panels import DeskDay
from parkgrid.api.bookings import BookingRead, SiteDayBooking
from parkgrid.contracts.bookings import BookingStatus

ROOMS = [("room-a", "Salle Argane", "meeting_room", 0, 0)]
START = datetime(2027, 4, 14, 9, 0, tzinfo=UTC)  # 10:00 in Casablanca (+01)


def row(booking_id: str, status: BookingStatus, released_at: str | None = None) -> SiteDayBooking:
    """A booking of 10:00-11:00 in Salle Argane (the timeline tests' builder), in `status`."""
    found = booking(booking_id, "10:00", "11:00", "room-a")
    return found.model_copy(update={"status": status, "released_at": released_at})


def test_todays_row_says_when_a_booking_was_released_and_the_timeline_leaves_it_off() -> None:
    released = row("bk-released", BookingStatus.NO_SHOW, "2027-04-14T09:15:30+00:00")
    here = row("bk-here", BookingStatus.CHECKED_IN)
    day = day_of(released, here)
    hours = hours_of(day)
    assert [(e.booking.booking_id, e.local_released) for e in hours[0].bookings] == [
        ("bk-here", ""),
        ("bk-released", "10:15"),
    ]
    timeline = timeline_of(day, ROOMS)
    assert [b.booking.booking_id for b in timeline.lanes[0].blocks] == ["bk-here"]

    desk = DeskDay(hours, timeline, {"p": "Salma Benali"}, {}, START + timedelta(minutes=20), "site-1")
    for lang, words in (("en", "released at 10:15"), ("fr", "libérée à 10:15"), ("ar", "أُتيح على الساعة 10:15")):
        panel = templates.get_template("partials/bookings.html").render(
            bookings_panel=Panel(data=desk), site_id="site-1", day=date(2027, 4, 14), t=translator(lang), lang=lang
        )
        released_row = panel.split('<li class="booking" data-booking="bk-released"', 1)[1].split("</li>", 1)[0]
        assert words in released_row
        assert "check-in" not in released_row


def test_the_member_may_check_in_from_an_hour_before_until_the_end_while_confirmed() -> None:
    ends = START + timedelta(hours=1)
    assert not check_in_open("confirmed", START, ends, START - timedelta(minutes=61))
    assert check_in_open("confirmed", START, ends, START - timedelta(minutes=60))
    assert check_in_open("confirmed", START.isoformat(), ends.isoformat(), START + timedelta(minutes=59))
    assert not check_in_open("confirmed", START, ends, ends)
    for status in ("checked_in", "no_show", "pending", "cancelled"):
        assert not check_in_open(status, START, ends, START)


def a_booking(**changes: object) -> BookingRead:
    data = {
        "booking_id": "bk-1",
        "id": "bk-1",
        "offering_id": "o",
        "offering_title": {"fr": "Mentorat", "en": "Mentoring"},
        "category": "mentoring",
        "site_id": "site-1",
        "time_zone": "Africa/Casablanca",
        "session": {"starts_at": START.isoformat(), "ends_at": (START + timedelta(hours=1)).isoformat()},
        "starts_at": START.isoformat(),
        "ends_at": (START + timedelta(hours=1)).isoformat(),
        "member_id": "m",
        "person_id": "p",
        "party_size": 1,
        "booked_by": {"role": "member", "subject": "p"},
        "status": "confirmed",
        "requested_at": (START - timedelta(days=1)).isoformat(),
        "version": 2,
        **changes,
    }
    return BookingRead.model_validate(data)


def test_a_refused_check_in_is_said_from_the_bookings_state_in_the_readers_language() -> None:
    released = a_booking(status="no_show", released_at=(START + timedelta(minutes=15)).isoformat())
    assert check_in_refusal(released, translator("fr")) == (
        "Trop tard pour enregistrer l'arrivée : cette réservation a été libérée pour absence à 10:15 "
        "et sa place rendue."
    )
    already = a_booking(status="checked_in", checked_in_at=(START - timedelta(minutes=5)).isoformat())
    assert check_in_refusal(already, translator("en")) == "You are already checked in (at 09:55)."
    assert "تسجيل الحضور غير متاح" in check_in_refusal(a_booking(), translator("ar"))


def test_the_booking_page_offers_check_in_only_when_open_and_says_when_it_was_released() -> None:
    def rendered(booking: BookingRead, may_check_in: bool) -> str:
        return templates.get_template("partials/booking_status.html").render(
            booking=Panel(data=booking),
            booking_id="bk-1",
            may_check_in=may_check_in,
            key="k-1",
            t=translator("en"),
            lang="en",
        )

    open_page = rendered(a_booking(), True)
    assert 'action="/member/bookings/bk-1/check-in"' in open_page
    assert 'name="idempotency_key" value="k-1"' in open_page
    released = rendered(a_booking(status="no_show", released_at=(START + timedelta(minutes=15)).isoformat()), False)
    assert "check-in" not in released
    assert "Released as a no-show at 10:15" in released
