"""A site's room settings and a room's door sign in the web app's words, pure: the admin's forms read
back into what spaces' PATCHes take (a wrong value refused next to its field in the reader's
language), each room's form drawn from what decides it, the booking a member who scanned a room's
door finds there now, and the door sign's QR code as an image with a name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from markupsafe import escape
from test_frontdesk_no_show_release import a_booking as booking_of

from frontdesk.adapters.qr_codes import qr_svg
from frontdesk.domain.messages import translator
from frontdesk.domain.room_door import DoorAnswer, at_the_door
from frontdesk.domain.room_settings import room_from_form, room_rows, site_from_form, site_typed
from frontdesk.entrypoints.http.pages import templates
from frontdesk.entrypoints.http.panels import Panel
from parkgrid.api.bookings import BookingRead
from parkgrid.api.spaces import SiteRead, SpaceRead

NOW = datetime(2027, 4, 14, 9, 0, tzinfo=UTC)
REQUEST = SimpleNamespace(url=SimpleNamespace(path="/a-page"))
"""What the layout reads of the request (the language switch comes back to the page)."""


def test_the_sites_form_reads_into_its_release_and_defaults_by_kind() -> None:
    form = {
        "no_show_release_minutes": " 15 ",
        "buffers-meeting_room-before": "10",
        "buffers-meeting_room-after": "",
        "buffers-event_hall-before": "",
        "buffers-event_hall-after": "",
    }
    typed = site_from_form(form, translator("en"))
    assert not typed.errors
    assert typed.changes == {
        "no_show_release_minutes": 15,
        "buffers": {"meeting_room": {"before_minutes": 10, "after_minutes": 0}},
    }
    never = site_from_form({"no_show_release_minutes": ""}, translator("en"))
    assert never.changes == {"no_show_release_minutes": None, "buffers": {}}


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", "Enter a whole number of minutes from 5 to 240."),
        ("fr", "Saisissez un nombre entier de minutes entre 5 et 240."),
        ("ar", "أدخل عددًا صحيحًا من الدقائق بين 5 و240."),
    ],
)
def test_a_wrong_release_is_refused_next_to_its_field_in_the_readers_language(lang: str, words: str) -> None:
    for wrong in ("4", "241", "a quarter", "-5", "1.5"):
        typed = site_from_form({"no_show_release_minutes": wrong}, translator(lang))
        assert typed.errors.of("no_show_release_minutes") == words
        assert typed.typed["no_show_release_minutes"] == wrong.strip()


def test_the_rooms_form_sends_both_sides_and_clears_the_old_one_setting() -> None:
    typed = room_from_form("sp-1", {"room-sp-1-before": "", "room-sp-1-after": "20"}, translator("en"))
    assert typed.changes == {"buffer_before_minutes": None, "buffer_after_minutes": 20, "buffer_minutes": 0}
    refused = room_from_form("sp-1", {"room-sp-1-before": "300", "room-sp-1-after": "x"}, translator("en"))
    assert set(refused.errors.fields) == {"room-sp-1-before", "room-sp-1-after"}


def a_site(**changes: object) -> SiteRead:
    data = {
        "site_id": "site-1",
        "name": "Technopark",
        "city": "Rabat",
        "country": "MA",
        "time_zone": "Africa/Casablanca",
        "opening_hours": [],
        "buffers": {"meeting_room": {"before_minutes": 5, "after_minutes": 10}},
        "no_show_release_minutes": 15,
        "version": 3,
        **changes,
    }
    return SiteRead.model_validate(data)


def a_room(space_id: str, name: str, **changes: object) -> SpaceRead:
    data = {"space_id": space_id, "site_id": "site-1", "name": name, "kind": "meeting_room", "capacity": 6}
    return SpaceRead.model_validate({**data, "version": 2, **changes})


def test_each_room_shows_its_own_minutes_and_those_that_apply() -> None:
    rooms = [
        a_room("sp-b", "Salle B", buffer_after_minutes=0),
        a_room("sp-a", "Salle A", buffer_minutes=30),  # an old client's one setting: both sides
        a_room("sp-c", "Salle C", status="retired"),
    ]
    rows = room_rows(rooms, a_site())
    assert [(r.name, r.before, r.after, r.effective_before, r.effective_after) for r in rows] == [
        ("Salle A", "30", "30", 30, 30),
        ("Salle B", "", "0", 5, 0),  # no preparation of its own: the site's default for meeting rooms
    ]
    assert site_typed(a_site()) == {
        "no_show_release_minutes": "15",
        "buffers-meeting_room-before": "5",
        "buffers-meeting_room-after": "10",
    }


def test_a_front_desk_reads_the_settings_without_a_form() -> None:
    site = a_site()
    rendered = templates.get_template("staff_rooms.html").render(
        visitor=None,
        lang="en",
        t=translator("en"),
        errors=room_from_form("x", {}, translator("en")).errors,
        notice=None,
        input_error=None,
        form={},
        request=REQUEST,
        site=Panel(data=site),
        rooms=Panel(data=None),
        rows=room_rows([a_room("sp-a", "Salle A")], site),
        site_form=site_typed(site),
        room_form={},
        may_edit=False,
        kinds=("meeting_room",),
        release_field="no_show_release_minutes",
        buffer_field=lambda kind, side: f"buffers-{kind}-{side}",
        room_field=lambda space, side: f"room-{space}-{side}",
        site_id="site-1",
        site_name="Technopark",
    )
    assert "<form" not in rendered.split("</header>", 1)[1]
    assert "15 minutes" in rendered
    assert "5 min before, 10 min after" in rendered
    assert "Applies now: 5 min of preparation, 10 min of cleaning." in rendered


def a_booking(booking_id: str, starts: datetime, minutes: int = 60, **changes: object) -> BookingRead:
    """The no-show tests' booking, in the room sp-a, its session from `starts` for `minutes`."""
    session = {"starts_at": starts.isoformat(), "ends_at": (starts + timedelta(minutes=minutes)).isoformat()}
    return booking_of(
        booking_id=booking_id, id=booking_id, session=session, **session, **({"space_id": "sp-a"} | changes)
    )


def test_at_the_door_the_member_finds_the_booking_open_for_check_in_now() -> None:
    elsewhere = a_booking("bk-other-room", NOW, space_id="sp-b")
    cancelled = a_booking("bk-cancelled", NOW, status="cancelled")
    later = a_booking("bk-later", NOW + timedelta(hours=3))
    now_on = a_booking("bk-now", NOW - timedelta(minutes=10))
    door = at_the_door([later, elsewhere, cancelled, now_on], "sp-a", NOW)
    assert (door.answer, door.booking and door.booking.booking_id) == (DoorAnswer.OPEN, "bk-now")


def test_at_the_door_the_member_is_told_plainly_why_not() -> None:
    later = a_booking("bk-later", NOW + timedelta(hours=3))
    door = at_the_door([later], "sp-a", NOW)
    assert door.answer == DoorAnswer.NOT_YET
    assert door.opens_at == NOW + timedelta(hours=2)
    here = a_booking("bk-here", NOW - timedelta(minutes=5), status="checked_in")
    assert at_the_door([here, later], "sp-a", NOW).answer == DoorAnswer.ALREADY
    released = a_booking("bk-gone", NOW - timedelta(minutes=20), status="no_show")
    assert at_the_door([released], "sp-a", NOW).answer == DoorAnswer.RELEASED
    over = a_booking("bk-over", NOW - timedelta(hours=2))
    assert at_the_door([over], "sp-a", NOW).answer == DoorAnswer.NONE
    assert at_the_door([later], "sp-b", NOW).answer == DoorAnswer.NONE


@pytest.mark.parametrize("lang", ["en", "fr", "ar"])
def test_the_member_reads_each_answer_at_the_door_in_their_language(lang: str) -> None:
    t = translator(lang)
    cases = [
        (at_the_door([a_booking("bk", NOW)], "sp-a", NOW), t("booking.check_in")),
        (at_the_door([a_booking("bk", NOW + timedelta(hours=3))], "sp-a", NOW), t("door.not_yet", time="")[:8]),
        (at_the_door([a_booking("bk", NOW, status="checked_in", checked_in_at=NOW.isoformat())], "sp-a", NOW), "10:00"),
        (at_the_door([], "sp-a", NOW), t("door.none")),
    ]
    for door, words in cases:
        rendered = templates.get_template("member_room_check_in.html").render(
            visitor=None,
            lang=lang,
            t=t,
            errors=None,
            notice=None,
            input_error=None,
            form={},
            request=REQUEST,
            space_id="sp-a",
            bookings=Panel(data=object()),
            door=door,
            key="k-1",
        )
        assert str(escape(words)) in rendered, (door.answer, lang)
        assert "door." not in rendered, "a raw key shown"


def test_the_door_signs_code_is_an_image_named_for_screen_readers() -> None:
    svg = qr_svg("https://desk.example/member/check-in?space_id=sp-a", 'QR code "Salle <A>"')
    assert svg.startswith('<svg role="img" aria-label="QR code &quot;Salle &lt;A&gt;&quot;" ')
    assert '<title>QR code "Salle &lt;A&gt;"</title>' in svg, "a room's name is text, never markup"
    assert "viewBox" in svg
    assert 'width="' not in svg.split(">", 1)[0], "sized by the page's CSS, not fixed"
