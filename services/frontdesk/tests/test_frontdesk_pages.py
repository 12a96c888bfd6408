"""The web app over the real services (uvicorn, real store and broker): pages render, a web
app that cannot reach bookings and community says so panel by panel, refusals land next to
their field, and Kafka events reach a connected Today page live."""

from __future__ import annotations

import asyncio
import json
import time as clock
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from frontdesk_support import (
    FOUNDER,
    MENTORING,
    SITE,
    STARTUP,
    TPE_ONLY,
    ZONE,
    Stack,
    event_body,
    publish,
    two_days_ahead_at_ten,
)

from parkgrid.contracts.bookings import BookingConfirmed
from parkgrid.contracts.common import Actor, LocalizedText, Mode, TimeRange
from parkgrid.contracts.community import (
    CommunityEventKind,
    CommunityEventPublished,
    CommunityEventStatus,
    RegistrationCheckedIn,
    RegistrationStatus,
)

pytest_plugins = ["frontdesk_fixtures"]

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_today_shows_rooms_events_and_bookings(stack: Stack) -> None:
    """Today of the seeded event's date (near midnight, the event "in half an hour" is tomorrow's)."""
    async with stack.browser(stack.staff, headers={"Accept-Language": "en"}) as browser:
        page = await browser.get(stack.event_today)
    assert page.status_code == 200
    assert "unavailable" not in page.text
    assert all(shown in page.text for shown in ("Salle Atlas", "Pitch workshop")), page.text


async def test_today_shows_rooms_and_says_which_services_are_down(stack: Stack) -> None:
    async with stack.browser(stack.staff, degraded=True, headers={"Accept-Language": "en-GB,en;q=0.9"}) as browser:
        page = await browser.get(f"/staff/sites/{SITE}/today")
    assert page.status_code == 200
    html = page.text
    assert "Today at Technopark Test" in html
    assert "Salle Atlas" in html
    assert "Bureau 12" in html
    assert "bookings is unavailable right now" in html
    assert "community is unavailable right now" in html
    assert f'data-live="/staff/sites/{SITE}/live"' in html


async def test_french_by_default_and_by_choice(stack: Stack) -> None:
    async with stack.browser(stack.staff) as browser:
        french = await browser.get(f"/staff/sites/{SITE}/today")
        assert "Aujourd&#39;hui à Technopark Test" in french.text
        chosen = await browser.post("/language", data={"lang": "en", "back": f"/staff/sites/{SITE}/today"})
        assert chosen.status_code == 303
        english = await browser.get(chosen.headers["location"])
    assert "Today at Technopark Test" in english.text


async def test_signing_in_and_guarding_pages(stack: Stack) -> None:
    async with stack.browser(None) as browser:
        assert (await browser.get("/")).headers["location"] == "/sign-in"
        assert (await browser.get(f"/staff/sites/{SITE}/today")).headers["location"] == "/sign-in"
        refused = await browser.post("/sign-in", data={"token": "not-a-token"})
        assert refused.status_code == 422
        assert 'id="token-error"' in refused.text
        assert "This token is not valid" not in refused.text
        assert "Ce jeton n&#39;est pas valide" in refused.text
        demo = await browser.post("/sign-in/demo", data={"role": "front_desk", "site_id": SITE})
        assert demo.status_code == 303
        assert demo.headers["location"] == f"/staff/sites/{SITE}/today"
        cookie = demo.headers["set-cookie"]
        assert "httponly" in cookie.lower()
        assert "samesite=lax" in cookie.lower()
        assert (await browser.get(f"/staff/sites/{SITE}/today")).status_code == 200
        assert (await browser.get("/staff/sites/site-elsewhere/today")).status_code == 403
        assert (await browser.get("/static/vendor/htmx.min.js")).status_code == 200
    async with stack.browser(stack.member) as member:
        assert (await member.get(f"/staff/sites/{SITE}/today")).status_code == 403


async def test_member_grid_keeps_what_they_may_use_while_bookings_is_down(stack: Stack) -> None:
    async with stack.browser(stack.member, degraded=True, headers={"Accept-Language": "en"}) as browser:
        home = await browser.get("/member")
        assert home.status_code == 200
        assert "Strategy mentoring" in home.text
        assert "TPE bookkeeping clinic" not in home.text
        assert "bookings is unavailable right now" in home.text
        assert "community is unavailable right now" in home.text
        offering = await browser.get(f"/member/offerings/{stack.offerings[MENTORING]}")
        assert offering.status_code == 200
        assert "Strategy mentoring" in offering.text
        assert "bookings is unavailable right now" in offering.text
        booked = await browser.post(
            "/member/bookings",
            data={"offering_id": stack.offerings[MENTORING], "starts_at": "2026-12-01T09:00:00+01:00"},
        )
        assert booked.status_code == 503
        assert "bookings is unavailable right now" in booked.text


async def test_a_refusal_is_shown_next_to_its_field(stack: Stack) -> None:
    async with stack.browser(stack.staff, headers={"Accept-Language": "en"}) as browser:
        member = await browser.get(f"/staff/sites/{SITE}/members/{STARTUP}")
        assert member.status_code == 200
        assert "Bureau 12" in member.text
        assert "Argan Labs" in member.text
        # spaces refuses a residency starting in the past (issue 23): from the site's today
        today = datetime.now(ZoneInfo(ZONE)).date()
        until = today + timedelta(days=180)
        refused = await browser.post(
            f"/staff/sites/{SITE}/members/{STARTUP}/residencies",
            data={"space_id": "sp-office-12", "starts_on": "2027-01-10", "ends_on": "2027-01-01"},
        )
        # Post/Redirect/Get: the member's page again, at a GET address
        assert refused.status_code == 303
        shown = await browser.get(refused.headers["location"])
        # spaces answered 422 problem+json on `ends_on`: the message sits under that input
        field = shown.text.split('id="ends_on"', 1)[1]
        assert 'aria-invalid="true"' in field.split(">", 1)[0]
        assert '<p class="field-error" id="ends_on-error" role="alert">ends_on must not be before starts_on</p>' in (
            field
        )
        allocated = await browser.post(
            f"/staff/sites/{SITE}/members/{STARTUP}/residencies",
            data={"space_id": "sp-office-12", "starts_on": today.isoformat(), "ends_on": until.isoformat()},
        )
        assert allocated.status_code == 303, allocated.text
        after = await browser.get(allocated.headers["location"])
        assert "allocated" in after.text
        assert "End this residency" in after.text


async def test_today_at_a_date_the_park_cannot_show_is_a_page_that_says_so(stack: Stack) -> None:
    """`?date=9999-12-31` once overflowed into a 500 that closed the connection: now Today of
    the site's today, a 422 and the reason above it, with or without the services."""
    # the site's date when the test starts and ends (a run across midnight sees either)
    today = {datetime.now(ZoneInfo(ZONE)).date().isoformat()}
    for degraded in (False, True):
        async with stack.browser(stack.staff, degraded=degraded, headers={"Accept-Language": "en"}) as browser:
            for typed in ("9999-12-31", "0001-01-01", "not-a-date", "2026-02-30", "2026-01-01\u0000"):
                shown = await browser.get(f"/staff/sites/{SITE}/today", params={"date": typed})
                assert shown.status_code == 422, (typed, degraded, shown.text[-500:])
                assert "Today at Technopark Test" in shown.text
                assert 'id="input-error"' in shown.text
                assert "is not a date the park can show (from 2000-01-01 to 2199-12-31)" in shown.text
                today.add(datetime.now(ZoneInfo(ZONE)).date().isoformat())
                assert any(f'name="date" value="{day}"' in shown.text for day in today), today
                fragment = await browser.get(f"/staff/sites/{SITE}/today/rooms", params={"date": typed})
                assert fragment.status_code == 422, (typed, degraded)
            assert "“9999-12-31”" in (await browser.get(f"/staff/sites/{SITE}/today?date=9999-12-31")).text
            garbage = await browser.get(f"/staff/sites/{SITE}/today?date=%00%1B%5B31m")
            assert garbage.status_code == 422
            assert "\u0000" not in garbage.text
            assert "\u001b" not in garbage.text
            assert "“\ufffd\ufffd[31m”" in garbage.text
            edge = await browser.get(f"/staff/sites/{SITE}/today", params={"date": "2199-12-31"})
            assert edge.status_code == 200
            assert 'id="input-error"' not in edge.text


async def test_a_search_with_control_characters_is_a_page_that_says_so(stack: Stack) -> None:
    async with stack.browser(stack.staff, headers={"Accept-Language": "en"}) as browser:
        refused = await browser.get(f"/staff/sites/{SITE}/members", params={"q": "Argan\u0000\u0001"})
        assert refused.status_code == 422
        assert "“Argan\ufffd\ufffd” cannot be searched: control characters are not allowed" in refused.text
        too_long = await browser.get(f"/staff/sites/{SITE}/members", params={"q": "a" * 201})
        assert too_long.status_code == 422
        found = await browser.get(f"/staff/sites/{SITE}/members", params={"q": "  Argan  "})
        assert found.status_code == 200
        assert "Argan Labs" in found.text
    async with stack.browser(stack.member, headers={"Accept-Language": "en"}) as browser:
        home = await browser.get("/member", params={"q": "\u0007mentor"})
        assert home.status_code == 422
        assert 'id="input-error"' in home.text


async def test_a_member_page_at_a_date_the_park_cannot_show_and_odd_forms_never_fail(stack: Stack) -> None:
    offering = f"/member/offerings/{stack.offerings[MENTORING]}"
    async with stack.browser(stack.member, headers={"Accept-Language": "en"}) as browser:
        for typed in ("9999-12-31", "0001-01-01", "yesterday"):
            page = await browser.get(offering, params={"from": typed})
            assert page.status_code == 422, (typed, page.text[-500:])
            assert "is not a date the park can show" in page.text
        for party_size in ("²", "9" * 5000, "-1", "two"):
            booked = await browser.post(
                "/member/bookings",
                data={
                    "offering_id": stack.offerings[MENTORING],
                    "starts_at": "2027-03-03T10:00:00+01:00",
                    "party_size": party_size,
                },
            )
            assert booked.status_code < 500, (party_size, booked.text[-500:])
            assert booked.status_code == 422
    async with stack.browser(stack.staff, headers={"Accept-Language": "en"}) as browser:
        for starts_on in ("9999-12-31", "0001-01-01", "2026-01-01\u0000"):
            refused = await browser.post(
                f"/staff/sites/{SITE}/members/{STARTUP}/residencies",
                data={"space_id": "sp-office-12", "starts_on": starts_on},
            )
            assert refused.status_code == 303, (starts_on, refused.text[-500:])  # Post/Redirect/Get
            shown = await browser.get(refused.headers["location"])
            assert shown.status_code == 200
            assert 'id="starts_on-error"' in shown.text


async def test_an_ineligible_offering_says_why(stack: Stack) -> None:
    async with stack.browser(stack.member, headers={"Accept-Language": "en"}) as browser:
        page = await browser.get(f"/member/offerings/{stack.offerings[TPE_ONLY]}")
        eligible = await browser.get(f"/member/offerings/{stack.offerings[MENTORING]}")
    assert page.status_code == 200
    assert "You cannot book this: it is for very small business; your organisation is a startup" in page.text
    assert 'id="ineligible"' not in eligible.text
    async with stack.browser(stack.member, degraded=True, headers={"Accept-Language": "en"}) as browser:
        without_community = await browser.get(f"/member/offerings/{stack.offerings[TPE_ONLY]}")
    # without the member's record, catalogue's eligible list still tells
    assert (
        "the catalogue does not list it for your organisation; it is open to very small business"
        in without_community.text
    )


async def read_updates(lines: AsyncIterator[str], count: int, within: float) -> list[dict[str, object]]:
    """The next `count` updates of an event stream (its `data:` lines)."""
    updates: list[dict[str, object]] = []
    deadline = clock.monotonic() + within
    while len(updates) < count:
        line = await asyncio.wait_for(anext(lines), max(0.1, deadline - clock.monotonic()))
        if line.startswith("data: "):
            updates.append(json.loads(line[6:]))
    return updates


async def test_events_on_kafka_reach_a_connected_today_page(stack: Stack) -> None:
    """A reservation made in spaces, a booking and a registration published on Kafka: each reaches the site's page."""
    day = datetime.now(UTC).date() + timedelta(days=2)
    start = datetime.combine(day, time(10, 0), ZoneInfo(ZONE))  # inside the site's hours
    async with (
        stack.browser(stack.staff) as browser,
        browser.stream("GET", f"/staff/sites/{SITE}/live") as live,
    ):
        assert live.status_code == 200
        assert live.headers["content-type"].startswith("text/event-stream")
        lines = live.aiter_lines()
        async with httpx.AsyncClient(base_url=stack.spaces, headers={"Authorization": f"Bearer {stack.staff}"}) as sp:
            reserved = await sp.post(
                "/v1/reservations",
                json={
                    "site_id": SITE,
                    "requirement": {"kind": "meeting_room", "seats": 4},
                    "time": {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=1)).isoformat()},
                },
            )
        assert reserved.status_code == 201, reserved.text
        [reservation] = await read_updates(lines, 1, within=20)
        assert reservation["panel"] == "rooms"
        assert reservation["type"] == "parkgrid.spaces.reservation.confirmed"
        assert reservation["summary"]["space_name"] == "Salle Atlas"  # type: ignore[index]
        assert reservation["local_start"] == "10:00"  # on the site's clock

        session = TimeRange(starts_at=start, ends_at=start + timedelta(hours=1))
        booking = BookingConfirmed(
            booking_id="bk-live-1",
            offering_id="off-fd-mentoring",
            offering_title=LocalizedText(fr="Mentorat", en="Mentoring"),
            category="mentoring",
            site_id=SITE,
            time_zone=ZONE,
            session=session,
            member_id=STARTUP,
            person_id=FOUNDER,
            party_size=1,
            booked_by=Actor(role="member", subject=FOUNDER),
            status="confirmed",
            requested_at=start - timedelta(days=2),
            confirmed_at=start - timedelta(days=2),
        )
        event = CommunityEventPublished(
            event_id="ev-live-1",
            site_id=SITE,
            kind=CommunityEventKind.WORKSHOP,
            mode=Mode.IN_PERSON,
            title=LocalizedText(fr="Atelier pitch", en="Pitch workshop"),
            description=LocalizedText(fr="Atelier.", en="Workshop."),
            time=session,
            time_zone=ZONE,
            capacity=20,
            audience={},
            status=CommunityEventStatus.PUBLISHED,
        )
        checked_in = RegistrationCheckedIn(
            registration_id="rg-live-1",
            event_id="ev-live-1",
            member_id=STARTUP,
            person_id=FOUNDER,
            status=RegistrationStatus.CHECKED_IN,
            registered_at=start - timedelta(days=3),
            registered_by=Actor(role="member", subject=FOUNDER),
            event_time=session,
            event_title=event.title,
            checked_in_at=start,
        )
        await publish(stack.kafka, "bookings.booking", [(booking, "bk-live-1", 2)])
        await publish(stack.kafka, "community.event", [(event, "ev-live-1", 2)])
        await publish(stack.kafka, "community.registration", [(checked_in, "rg-live-1", 3)])
        updates = await read_updates(lines, 3, within=20)
    by_type = {u["type"]: u for u in updates}
    assert by_type["parkgrid.bookings.booking.confirmed"]["panel"] == "bookings"
    assert by_type["parkgrid.bookings.booking.confirmed"]["subject"] == "bk-live-1"
    assert by_type["parkgrid.community.event.published"]["panel"] == "events"
    # a registration names no site: the web app found it through the event's projection
    assert by_type["parkgrid.community.registration.checked_in"]["subject"] == "rg-live-1"


async def test_desks_saving_an_event_at_once_cannot_undo_each_other(stack: Stack) -> None:
    """Five desks save the same event, each as it was shown (the same version): community's
    conditional write (If-Match) keeps exactly one; the others get the page again with the event
    as it is now and a line saying it changed meanwhile. Without the If-Match all five "win"."""
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {stack.admin}"}, timeout=30) as http:
        drinks, description = ("Apéro réseau", "Networking drinks"), ("Un apéro.", "Drinks.")
        event = event_body("networking", drinks, description, two_days_ahead_at_ten(), 2, 30)
        created = await http.post(f"{stack.community}/v1/events", json=event)
        assert created.status_code == 201, created.text
        event_id, version = created.json()["event_id"], created.json()["version"]
    edit = f"/staff/sites/{SITE}/events/{event_id}/edit"
    async with stack.browser(stack.staff, headers={"Accept-Language": "en"}) as browser:
        shown = await browser.get(edit)
        assert shown.status_code == 200
        assert f'name="version" value="{version}"' in shown.text
        saves = await asyncio.gather(
            *(
                browser.post(
                    edit,
                    data={"title.fr": "Apéro réseau", "title.en": f"Drinks {n}", "capacity": "30", "version": version},
                )
                for n in range(5)
            )
        )
    codes = sorted(s.status_code for s in saves)
    assert codes == [303, 409, 409, 409, 409], codes
    winner = next(n for n, s in enumerate(saves) if s.status_code == 303)
    for lost in (s for s in saves if s.status_code == 409):
        assert "Someone changed this event while you were editing it" in lost.text
        assert f'value="Drinks {winner}"' in lost.text  # the event as it is now
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {stack.admin}"}, timeout=30) as http:
        now = (await http.get(f"{stack.community}/v1/events/{event_id}")).json()
    assert now["title"]["en"] == f"Drinks {winner}"
    assert now["version"] == version + 1
