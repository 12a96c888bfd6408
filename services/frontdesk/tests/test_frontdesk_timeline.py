"""The staff room timeline with rooms' preparation and cleaning time (spaces' effective buffers):
each booking's block takes its room's minutes before and after, in 5-minute steps, the hours widen
to hold them, and the panel shows them as shaded parts named for a screen reader. Pure."""

from __future__ import annotations

from datetime import UTC, date, datetime

from frontdesk.domain.messages import translator
from frontdesk.domain.today import timeline_of
from frontdesk.entrypoints.http.pages import templates
from frontdesk.entrypoints.http.panels import Panel
from frontdesk.entrypoints.http.today_panels import DeskDay
from parkgrid.api.bookings import SiteDay, SiteDayBooking, SiteHour
from parkgrid.contracts.bookings import BookingStatus
from parkgrid.contracts.common import LocalizedText

ROOMS = [("room-a", "Salle Argane", "meeting_room", 10, 30), ("room-b", "Salle Atlas", "meeting_room", 0, 0)]


def booking(booking_id: str, starts: str, ends: str, space_id: str | None) -> SiteDayBooking:
    return SiteDayBooking(
        booking_id=booking_id,
        offering_id="o",
        title=LocalizedText(fr="Réunion", en="Meeting"),
        starts_at=f"2027-04-14T{starts}:00+01:00",
        ends_at=f"2027-04-14T{ends}:00+01:00",
        member_id="m",
        member_name="Argan Labs",
        person_id="p",
        party_size=1,
        status=BookingStatus.CONFIRMED,
        space_id=space_id,
    )


def day_of(*bookings: SiteDayBooking) -> SiteDay:
    return SiteDay(
        site_id="site-1",
        date=date(2027, 4, 14),
        time_zone="Africa/Casablanca",
        hours=[SiteHour(hour="08:00", bookings=list(bookings))],
        total=len(bookings),
    )


def test_a_booking_takes_its_rooms_preparation_and_cleaning_in_five_minute_steps() -> None:
    timeline = timeline_of(day_of(booking("bk-1", "10:00", "11:00", "room-a")), ROOMS)
    assert (timeline.hours[0], timeline.hours[-1], timeline.steps) == (8, 18, 11 * 12)
    [block] = timeline.lanes[0].blocks
    # 09:50 is step 23 counted from 08:00 (1-based); 09:50-11:30 is 20 steps
    assert (block.column, block.span) == (23, 20)
    assert (block.before, block.during, block.after) == (10, 60, 30)
    assert (block.local_start, block.local_end) == ("10:00", "11:00")


def test_a_room_without_buffers_and_a_booking_without_a_room_have_none() -> None:
    timeline = timeline_of(
        day_of(booking("bk-b", "10:00", "11:00", "room-b"), booking("bk-online", "12:00", "12:30", None)), ROOMS
    )
    [in_atlas] = timeline.lanes[1].blocks
    assert (in_atlas.column, in_atlas.span, in_atlas.before, in_atlas.after) == (25, 12, 0, 0)
    [elsewhere] = timeline.lanes[2].blocks
    assert (elsewhere.before, elsewhere.during, elsewhere.after) == (0, 30, 0)


def test_the_hours_widen_to_hold_a_preparation_before_the_first_hour() -> None:
    early = ("room-a", "Salle Argane", "meeting_room", 15, 60)
    timeline = timeline_of(day_of(booking("bk-early", "08:00", "18:30", "room-a")), [early])
    assert timeline.hours[0] == 7
    assert timeline.hours[-1] == 19, "cleaning until 19:30"
    [block] = timeline.lanes[0].blocks
    assert (block.column, block.before) == (10, 15)  # 07:45 is step 10 counted from 07:00


def test_the_panel_shows_the_preparation_and_the_cleaning_as_parts_of_their_own() -> None:
    day = day_of(booking("bk-1", "10:00", "11:00", "room-a"), booking("bk-b", "10:00", "11:00", "room-b"))
    desk = DeskDay([], timeline_of(day, ROOMS), {"p": "Salma Benali"}, {}, datetime(2027, 4, 14, 9, tzinfo=UTC), "s")
    panel = templates.get_template("partials/bookings.html").render(
        bookings_panel=Panel(data=desk), site_id="site-1", t=translator("en"), lang="en"
    )
    argane = panel.split('data-space="room-a"', 1)[1].split('data-space="room-b"', 1)[0]
    assert 'class="turnover before" title="Preparation: 10 min"' in argane
    assert 'class="turnover after" title="Cleaning: 30 min"' in argane
    assert "grid-column: 23 / span 20" in argane
    atlas = panel.split('data-space="room-b"', 1)[1]
    assert "turnover" not in atlas
    french = templates.get_template("partials/bookings.html").render(
        bookings_panel=Panel(data=desk), site_id="site-1", t=translator("fr"), lang="fr"
    )
    assert "Nettoyage : 30 min" in french
