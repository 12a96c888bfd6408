"""The web app's pure rules: language, messages, why a booking was refused, the day by hour
and a site's date, problems to fields, eligibility reasons, an event's edit, and the live
feed's fan-out by site."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

from bookings.adapters.bookings import view
from bookings.domain.booking import Actor, Booking, expire_hold
from frontdesk.adapters.services import Unavailable
from frontdesk.domain.eligibility import Standing, ineligibility, open_to
from frontdesk.domain.forms import errors_from_problem
from frontdesk.domain.inputs import Typed, day_typed, search_typed, whole_number
from frontdesk.domain.messages import MESSAGES, localized, pick_language, translator
from frontdesk.domain.rejections import REASONS, why_rejected
from frontdesk.domain.today import hours_of, local_date, local_time, timeline_of
from frontdesk.entrypoints.http.member_day import member_today
from frontdesk.entrypoints.http.pages import templates
from frontdesk.entrypoints.http.panels import Panel
from frontdesk.entrypoints.http.staff_events import changes_of
from frontdesk.entrypoints.http.today_panels import DeskDay
from frontdesk.service_layer.live import LiveFeed, update_of
from parkgrid.api.bookings import BookingRead, SiteDay, SiteDayBooking, SiteHour
from parkgrid.contracts.bookings import BookingRejected, BookingStatus
from parkgrid.contracts.common import Eligibility, LocalizedText, MemberKind, ProgrammeStage
from parkgrid.envelope import Envelope


def test_language_from_cookie_then_browser_then_french() -> None:
    assert pick_language("en", "fr-FR") == "en"
    assert pick_language(None, "de-DE,en-GB;q=0.8,fr;q=0.5") == "en"
    assert pick_language("xx", "en;q=0.2, fr;q=0.9") == "fr"
    assert pick_language(None, "de, ar;q=0.5") == "ar"
    assert pick_language(None, "de, es;q=0.5") == "fr"
    assert pick_language(None, None) == "fr"


def test_every_message_has_both_languages_and_falls_back() -> None:
    for key, texts in MESSAGES.items():
        assert set(texts) >= {"en", "fr"}, key
        assert all(texts.values()), key
    t = translator("fr")
    assert t("unavailable", service="bookings").startswith("bookings est indisponible")
    assert t("no.such.key") == "no.such.key"
    assert translator("en", {"only.en": {"en": "hello"}})("only.en") == "hello"
    assert localized({"fr": "Atelier", "en": "Workshop"}, "en") == "Workshop"
    assert localized({"fr": "Atelier", "en": "Workshop", "ar": None}, "ar") == "Workshop"
    assert localized(None, "fr") == ""
    assert localized(LocalizedText(fr="Atelier", en="Workshop"), "fr") == "Atelier"


def day_booking(booking_id: str, starts_at: str) -> SiteDayBooking:
    return SiteDayBooking(
        booking_id=booking_id,
        offering_id="o",
        title=LocalizedText(fr="Atelier", en="Workshop"),
        starts_at=starts_at,
        ends_at=starts_at,
        member_id="m",
        member_name=None,
        person_id="p",
        party_size=1,
        status=BookingStatus.CONFIRMED,
        space_id=None,
    )


def test_the_day_shows_the_hours_bookings_gives_on_the_sites_clock() -> None:
    # Casablanca is UTC+1 outside Ramadan, UTC+0 during it (2026-02-18 .. 2026-03-22)
    day = SiteDay(
        site_id="s",
        date=date(2026, 3, 2),
        time_zone="Africa/Casablanca",
        total=3,
        hours=[
            SiteHour(
                hour="09:00",
                bookings=[day_booking("b3", "2026-03-02T09:30:00+00:00"), day_booking("b2", "2026-03-02T09:30:00Z")],
            ),
            SiteHour(hour="10:00", bookings=[]),
            SiteHour(hour="08:00", bookings=[day_booking("b1", "2026-03-02T08:00:00+00:00")]),
        ],
    )
    hours = hours_of(day)
    assert [(h.label, [(e.local_start, e.booking.booking_id) for e in h.bookings]) for h in hours] == [
        ("08:00", [("08:00", "b1")]),
        ("09:00", [("09:30", "b2"), ("09:30", "b3")]),
    ]
    assert hours_of(day.model_copy(update={"hours": []})) == []
    assert local_time("2026-04-01T08:00:00+00:00", "Africa/Casablanca") == "09:00"
    assert local_time(datetime(2026, 4, 1, 8, tzinfo=UTC), "Africa/Casablanca") == "09:00"
    assert local_time(None, "UTC") == ""


def test_a_problem_lands_next_to_the_field_it_names() -> None:
    problem = {
        "status": 422,
        "detail": "starts_at: not a slot; body.party_size: too many",
        "errors": [
            {"field": "starts_at", "message": "not a slot"},
            {"field": "body.party_size", "message": "too many"},
            {"field": "requirement.seats", "message": "odd"},
        ],
    }
    errors = errors_from_problem(problem, ["starts_at", "party_size"])
    assert errors.of("starts_at") == "not a slot"
    assert errors.of("party_size") == "too many"
    assert errors.general == ["odd"]
    conflict = errors_from_problem({"status": 409, "detail": "the session is full"}, ["starts_at"])
    assert conflict.fields == {}
    assert conflict.general == ["the session is full"]
    assert not errors_from_problem({"errors": []}, [])


def test_ineligibility_names_the_rule_that_fails() -> None:
    t = translator("en")
    rules = Eligibility(member_kinds=[MemberKind.STARTUP], stages=[ProgrammeStage.INCUBATION])
    startup = Standing(kind="startup", stage="incubation")
    assert ineligibility(rules, startup, t) is None
    assert (
        ineligibility(rules, replace(startup, kind="tpe"), t)
        == "it is for startup; your organisation is a very small business"
    )
    assert ineligibility(rules, replace(startup, stage="pre_incubation"), t) == (
        "it is for the stages incubation; you are at pre-incubation"
    )
    assert ineligibility(rules, replace(startup, kind="cooperative"), t) == (
        "it is for startup; your organisation is a cooperative"  # a kind the catalogues do not know yet
    )
    french = ineligibility(
        Eligibility(member_kinds=[MemberKind.PROJECT_HOLDER]), replace(startup, kind="tpe"), translator("fr")
    )
    assert french is not None
    assert "project_holder" not in french
    assert "tpe" not in french
    assert ineligibility(rules, replace(startup, left=True), t) == "your organisation has left the programme"
    assert ineligibility(Eligibility(), startup, t) is None
    assert open_to(rules, t) == "startup (incubation)"
    assert open_to(Eligibility(member_kinds=[MemberKind.PROJECT_HOLDER, MemberKind.TPE]), t) == (
        "project holder, very small business"
    )
    assert open_to(Eligibility(), t) == "anyone"


def envelope(type_: str, subject: str, data: dict[str, object]) -> Envelope:
    return Envelope(type=type_, source="test", subject=subject, sequence=1, data=data)


async def test_the_live_feed_reaches_only_the_pages_of_the_events_site() -> None:
    feed = LiveFeed()
    booking = update_of(
        "bookings.booking", envelope("parkgrid.bookings.booking.confirmed", "b1", {"site_id": "s1", "status": "x"})
    )
    assert booking is not None
    assert booking.panel == "bookings"
    assert booking.status == "x"
    during_ramadan = update_of(
        "bookings.booking",
        envelope("t", "b2", {"site_id": "s1", "session": {"starts_at": "2026-03-02T09:30:00+00:00"}}),
    )
    assert during_ramadan is not None
    assert during_ramadan.as_json("Africa/Casablanca")["local_start"] == "09:30"
    assert during_ramadan.as_json("Europe/Paris")["local_start"] == "10:30"
    assert "local_start" not in booking.as_json("Africa/Casablanca")
    assert update_of("catalogue.offering", envelope("parkgrid.catalogue.offering.published", "o", {})) is None
    async with feed.subscribe("s1") as first, feed.subscribe("s1") as second, feed.subscribe("s2") as other:
        assert feed.watchers("s1") == 2
        assert feed.publish("s1", booking) == 2
        assert (await asyncio.wait_for(first.get(), 1)).subject == "b1"
        assert (await asyncio.wait_for(second.get(), 1)).subject == "b1"
        assert other.empty()
        for _ in range(150):  # a page that does not read loses updates; the others keep theirs
            feed.publish("s2", booking)
        assert other.qsize() == 100
    assert feed.watchers("s1") == 0


def test_dates_and_searches_a_person_types_are_read_safely() -> None:
    fallback = date(2026, 9, 1)
    assert day_typed("2026-09-15", fallback) == Typed(date(2026, 9, 15))
    assert day_typed(" 2199-12-31 ", fallback) == Typed(date(2199, 12, 31))
    assert day_typed(None, fallback) == day_typed("", fallback) == Typed(fallback)
    for typed in ("9999-12-31", "0001-01-01", "1999-12-31", "2200-01-01", "garbage", "2026-02-30"):
        assert day_typed(typed, fallback) == Typed(fallback, refused=typed), typed
    assert day_typed("2026-01-01\x00\x1b", fallback).refused == "2026-01-01\ufffd\ufffd"
    assert search_typed("  Argan Labs ") == Typed("Argan Labs")
    assert search_typed(None) == Typed("")
    assert search_typed("\x00\x01") == Typed("", refused="\ufffd\ufffd")
    assert search_typed("a" * 201).refused == "a" * 39 + "…"
    assert whole_number("3", default=1) == 3
    assert whole_number(" ", default=1) == 1
    assert whole_number("²", default=1) == "²"
    assert whole_number("9" * 5000, default=1) == "9" * 5000
    assert whole_number("-1", default=1) == "-1"


def test_a_refused_booking_says_why_in_french_english_and_arabic() -> None:
    """Every reason bookings publishes (BookingRejected v2) has a sentence in the three languages."""
    published = BookingRejected.model_fields["reason"].metadata[0].pattern
    assert set(published.strip("^$()").split("|")) == set(REASONS)
    for reason in REASONS:
        assert set(MESSAGES[f"rejected.{reason}"]) == {"fr", "en", "ar"}, reason
    assert why_rejected("hold_expired", translator("en")) == "it was not confirmed in time, so its seat was released"
    assert why_rejected("no_space", translator("fr")).startswith("aucune salle")
    assert why_rejected("full", translator("ar")) == "كانت الحصة ممتلئة"
    assert why_rejected("a_new_reason", translator("en")) == "refused (a_new_reason)"
    assert why_rejected(None, translator("en")) == "refused (?)"


def test_a_booking_whose_hold_expired_says_why_and_bookings_words() -> None:
    """The read of a booking rejected `hold_expired`, made by bookings' own rule and view (not by
    hand), shown on the member's booking page and in its row on Today: the reason in the reader's
    language, bookings' detail under it. (A page-level test: the test stack's bookings shares one
    hold with every room booking of the other tests, and spaces answers them all, so no booking
    of that stack waits long enough to expire.)"""
    requested = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    starts = datetime(2027, 3, 3, 10, 0, tzinfo=UTC)
    pending = Booking(
        booking_id="bk-held",
        offering_id="off-room",
        offering_title={"fr": "Salle de réunion", "en": "Meeting room"},
        category="meeting_room",
        site_id="site-1",
        time_zone="Africa/Casablanca",
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        member_id="m",
        person_id="p",
        party_size=1,
        booked_by=Actor(role="member", subject="p"),
        status=BookingStatus.PENDING,
        requested_at=requested,
        reservation_request_id="rr-held",
    )
    rejected, happened = expire_hold(pending, timedelta(minutes=15), requested + timedelta(minutes=16))
    assert happened
    read = BookingRead.model_validate(view(rejected, 3))
    assert (read.status, read.reason) == (BookingStatus.REJECTED, "hold_expired")
    assert read.rejection_detail == "no space was confirmed within 15 minutes"

    status = templates.get_template("partials/booking_status.html")
    english = status.render(booking=Panel(data=read), booking_id=read.booking_id, t=translator("en"), lang="en")
    assert "Why: it was not confirmed in time, so its seat was released." in english
    assert 'id="rejected-detail">Details: no space was confirmed within 15 minutes</p>' in english
    assert "hx-get" not in english  # decided: the status line stops polling
    arabic = status.render(booking=Panel(data=read), booking_id=read.booking_id, t=translator("ar"), lang="ar")
    assert "لم يتم تأكيده في الوقت المحدد" in arabic
    assert "التفاصيل: no space was confirmed within 15 minutes" in arabic

    row = day_booking("bk-held", "2027-03-03T11:00:00+01:00").model_copy(update={"status": BookingStatus.REJECTED})
    other = day_booking("bk-other", "2027-03-03T11:00:00+01:00").model_copy(update={"status": BookingStatus.REJECTED})
    day = SiteDay(
        site_id="site-1",
        date=date(2027, 3, 3),
        time_zone="Africa/Casablanca",
        hours=[SiteHour(hour="11:00", bookings=[row, other])],
        total=2,
    )
    hours = hours_of(day, {"bk-held": read})
    assert [(e.reason, e.detail) for e in hours[0].bookings] == [
        ("hold_expired", "no space was confirmed within 15 minutes"),
        (None, None),  # not in the list of rejected bookings (that call failed): the row says what it can
    ]
    desk = DeskDay(hours, timeline_of(day, []), {}, {}, datetime(2027, 3, 3, 9, tzinfo=UTC), "site-1")
    panel = templates.get_template("partials/bookings.html").render(
        bookings_panel=Panel(data=desk), site_id="site-1", t=translator("en"), lang="en"
    )
    held = panel.split('data-booking="bk-held"', 1)[1].split("</li>", 1)[0]
    assert "it was not confirmed in time, so its seat was released" in held
    assert "Details: no space was confirmed within 15 minutes" in held
    unknown = panel.split('data-booking="bk-other"', 1)[1].split("</li>", 1)[0]
    assert "refused (?)" in unknown
    assert "Details:" not in unknown


def test_arabic_falls_back_to_french_then_english() -> None:
    t = translator("ar")
    assert t("waitlist.leave") == "مغادرة قائمة الانتظار"
    assert t("nav.today") == "اليوم"
    assert translator("ar", {"only.fr": {"fr": "bonjour", "en": "hello"}})("only.fr") == "bonjour"
    assert translator("ar", {"only.en": {"en": "hello"}})("only.en") == "hello"


def test_a_sites_today_is_its_own_date_not_the_servers() -> None:
    late_evening_utc = datetime(2026, 12, 3, 23, 30, tzinfo=UTC)
    assert local_date(late_evening_utc, "Africa/Casablanca") == date(2026, 12, 4)
    assert local_date(late_evening_utc, "America/New_York") == date(2026, 12, 3)


async def test_a_members_today_is_the_date_at_their_home_site() -> None:
    """Another zone than the server's: the member's home site gives it (the web app's projection, else
    spaces); neither knowing it, the default."""

    class Spaces:
        def __init__(self, zone: str | None) -> None:
            self.zone = zone

        async def site(self, token: str, site_id: str) -> SimpleNamespace:
            if self.zone is None:
                raise Unavailable("spaces", "down")
            return SimpleNamespace(time_zone=self.zone)

    visitor = SimpleNamespace(token="t")
    member = Panel(data=SimpleNamespace(home_site_id="site-tokyo"))
    clock = lambda: datetime(2026, 12, 3, 16, 0, tzinfo=UTC)  # noqa: E731
    tokyo = SimpleNamespace(spaces=Spaces("Asia/Tokyo"), clock=clock, default_time_zone="Africa/Casablanca", sites=None)
    assert await member_today(tokyo, visitor, member) == date(2026, 12, 4)  # type: ignore[arg-type]
    down = SimpleNamespace(spaces=Spaces(None), clock=clock, default_time_zone="Africa/Casablanca", sites=None)
    assert await member_today(down, visitor, member) == date(2026, 12, 3)  # type: ignore[arg-type]

    class Known:  # the web app's projection of spaces.site: a member may not read spaces' site
        async def time_zone(self, site_id: str | None) -> str | None:
            return "Asia/Tokyo" if site_id == "site-tokyo" else None

    projected = SimpleNamespace(spaces=Spaces(None), clock=clock, default_time_zone="Africa/Casablanca", sites=Known())
    assert await member_today(projected, visitor, member) == date(2026, 12, 4)  # type: ignore[arg-type]
    assert await member_today(tokyo, visitor, Panel()) == date(2026, 12, 3)  # type: ignore[arg-type]


def test_an_events_edit_sends_only_what_changed() -> None:
    event = SimpleNamespace(title=LocalizedText(fr="Atelier", en="Workshop", ar="ورشة"), capacity=20)
    same = {"title.fr": "Atelier", "title.en": "Workshop", "capacity": "20"}
    assert changes_of(event, same) == {}  # type: ignore[arg-type]
    assert changes_of(event, same | {"capacity": "5"}) == {"capacity": 5}  # type: ignore[arg-type]
    assert changes_of(event, same | {"capacity": "five"}) == {"capacity": "five"}  # type: ignore[arg-type]
    assert changes_of(event, same | {"title.en": "Pitch"}) == {  # type: ignore[arg-type]
        "title": {"fr": "Atelier", "en": "Pitch", "ar": "ورشة"}
    }
