"""The issue's acceptance in a real browser: Python Playwright driving Debian's Chromium
(headless, `/usr/bin/chromium`: no browser download) against the five real apps of
frontdesk_support. Screenshots go to services/frontdesk/tests/screenshots/ (git-ignored).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from frontdesk_support import (
    FOUNDER,
    MENTORING,
    ROOM,
    SCREENSHOTS,
    SITE,
    STARTUP,
    TPE_ONLY,
    ZONE,
    Stack,
    event_body,
    signed_in,
    two_days_ahead_at_ten,
    until_accepted,
)
from playwright.async_api import Browser, Page, expect

pytest_plugins = ["frontdesk_fixtures"]

pytestmark = [pytest.mark.asyncio(loop_scope="session")]


async def book_first_slot(page: Page, base: str, offering_id: str, nth: int = 0) -> None:
    await page.goto(f"{base}/member/offerings/{offering_id}")
    await page.locator("input[name=starts_at]").nth(nth).check()
    await page.get_by_role("button", name="Book", exact=True).click()


async def test_member_books_and_front_desk_sees_it_live(browser: Browser, stack: Stack) -> None:
    desk = await signed_in(browser, stack.frontdesk, stack.staff)
    today = await desk.new_page()
    await today.goto(f"{stack.frontdesk}/staff/sites/{SITE}/today")
    await expect(today.locator("#live-state.on")).to_be_attached(timeout=10_000)
    member = await signed_in(browser, stack.frontdesk, stack.member)
    page = await member.new_page()

    # a mentoring slot (no room needed): confirmed at once
    await book_first_slot(page, stack.frontdesk, stack.offerings[MENTORING])
    await expect(page.locator("#booking-status")).to_contain_text("confirmed", timeout=30_000)
    await page.screenshot(path=str(SCREENSHOTS / "booking-confirmed.png"), full_page=True)

    # a meeting room: pending while spaces finds a room, then confirmed without reloading
    await book_first_slot(page, stack.frontdesk, stack.offerings[ROOM], nth=2)
    status = page.locator("#booking-status")
    await expect(status).to_contain_text("Status", timeout=15_000)
    first_seen = await status.inner_text()
    await expect(status).to_contain_text("confirmed", timeout=45_000)
    assert "pending" in first_seen or "confirmed" in first_seen
    url_after = page.url
    await page.screenshot(path=str(SCREENSHOTS / "room-confirmed.png"), full_page=True)
    assert url_after == page.url, "the page did not reload"

    # the front desk saw both arrive on Today, in another browser context
    feed = today.locator("#live-feed")
    await expect(feed).to_contain_text("booking confirmed · Meeting room for four", timeout=30_000)
    await expect(feed).to_contain_text("booking confirmed · Strategy mentoring")
    await today.screenshot(path=str(SCREENSHOTS / "today-live.png"), full_page=True)
    await desk.close()
    await member.close()


async def test_front_desk_checks_in_a_registration_by_token(browser: Browser, stack: Stack) -> None:
    member = await signed_in(browser, stack.frontdesk, stack.member)
    page = await member.new_page()
    await page.goto(f"{stack.frontdesk}/member")
    await page.get_by_role("button", name="Register").first.click()
    await expect(page.locator(".notice")).to_contain_text("You are registered (confirmed)")
    await page.screenshot(path=str(SCREENSHOTS / "member-home.png"), full_page=True)
    await page.get_by_role("link", name="Your ticket").first.click()
    ticket = await page.locator("#ticket-token").input_value()
    await expect(page.get_by_role("img", name="QR code of your ticket")).to_be_visible()
    await member.close()

    desk = await signed_in(browser, stack.frontdesk, stack.staff)
    today = await desk.new_page()
    await today.goto(f"{stack.frontdesk}{stack.event_today}")  # the event's date: tomorrow near midnight
    await today.get_by_label("Event", exact=True).select_option(stack.event_id)
    await today.get_by_label("Ticket code (QR)").fill("forged-token")
    await today.locator("form[action*='/check-ins'] button").click()
    await expect(today.locator("#token-error")).to_be_visible()
    await today.get_by_label("Ticket code (QR)").fill(ticket)
    await today.locator("form[action*='/check-ins'] button").click()
    await expect(today.locator(".notice")).to_contain_text("is checked in")
    await today.screenshot(path=str(SCREENSHOTS / "today-checked-in.png"), full_page=True)
    await desk.close()


async def test_an_ineligible_offering_shows_the_reason(browser: Browser, stack: Stack) -> None:
    member = await signed_in(browser, stack.frontdesk, stack.member)
    page = await member.new_page()
    await page.goto(f"{stack.frontdesk}/member")
    grid = page.locator(".grid")
    await expect(grid.get_by_role("link", name="Strategy mentoring")).to_be_visible()
    await expect(grid.get_by_role("link", name="TPE bookkeeping clinic")).to_have_count(0)
    await page.goto(f"{stack.frontdesk}/member/offerings/{stack.offerings[TPE_ONLY]}")
    await expect(page.locator("#ineligible")).to_contain_text(
        "it is for very small business; your organisation is a startup"
    )
    await member.close()


async def test_with_bookings_down_the_catalogue_still_browses(browser: Browser, stack: Stack) -> None:
    member = await signed_in(browser, stack.degraded, stack.member)
    page = await member.new_page()
    await page.goto(f"{stack.degraded}/member")
    mentoring = page.locator(".grid").get_by_role("link", name="Strategy mentoring")
    await expect(mentoring).to_be_visible()
    await page.screenshot(path=str(SCREENSHOTS / "member-grid-bookings-down.png"), full_page=True)
    await mentoring.click()
    await expect(page.get_by_text("bookings is unavailable right now")).to_be_visible()
    await page.screenshot(path=str(SCREENSHOTS / "offering-bookings-down.png"), full_page=True)
    await member.close()

    phone = await signed_in(browser, stack.frontdesk, stack.member, phone=True)
    small = await phone.new_page()
    await small.goto(f"{stack.frontdesk}/member")
    too_wide = await small.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391)"
        ".map(e => e.tagName + '.' + e.className + '#' + e.id)"
    )
    assert await small.evaluate("document.documentElement.scrollWidth") <= 390, f"scrolls sideways: {too_wide}"
    await small.screenshot(path=str(SCREENSHOTS / "member-grid-phone.png"), full_page=True)
    await phone.close()


async def test_keyboard_and_french_sign_in(browser: Browser, stack: Stack) -> None:
    context = await browser.new_context(locale="fr-FR")
    page = await context.new_page()
    await page.goto(f"{stack.frontdesk}/sign-in")
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("link", name="Aller au contenu")).to_be_focused()
    await page.get_by_label("Jeton d'accès").fill("pas-un-jeton")
    await page.get_by_label("Jeton d'accès").press("Tab")
    await page.keyboard.press("Enter")
    await expect(page.locator("#token-error")).to_contain_text("Ce jeton n'est pas valide")
    await expect(page.get_by_label("Jeton d'accès")).to_have_attribute("aria-invalid", "true")
    await page.get_by_role("button", name="Entrer comme accueil").click()
    await expect(page.get_by_role("heading", name="Aujourd'hui à Technopark Test")).to_be_visible()
    await page.screenshot(path=str(SCREENSHOTS / "today-fr.png"), full_page=True)
    await context.close()


# Issue 23: the member and the desk see what the services answered.


async def test_a_refused_booking_says_why(browser: Browser, stack: Stack) -> None:
    """The only room is taken (staff reserve it in spaces) after the slot was shown: bookings
    accepts, spaces answers no_space, and the page says why, never a bare "rejected"."""
    member = await signed_in(browser, stack.frontdesk, stack.member)
    page = await member.new_page()
    await page.goto(f"{stack.frontdesk}/member/offerings/{stack.offerings[ROOM]}")
    slot = page.locator("input[name=starts_at]").nth(5)
    starts_at = datetime.fromisoformat(await slot.get_attribute("value") or "")
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {stack.admin}"}, timeout=30) as http:
        taken = await http.post(
            f"{stack.spaces}/v1/reservations",
            json={
                "site_id": SITE,
                "requirement": {"kind": "meeting_room", "seats": 4},
                "time": {"starts_at": starts_at.isoformat(), "ends_at": (starts_at + timedelta(hours=1)).isoformat()},
            },
        )
        assert taken.status_code == 201, taken.text
        assert taken.json()["status"] == "confirmed", taken.text
    await slot.check()
    await page.get_by_role("button", name="Book", exact=True).click()
    await expect(page.locator("#rejected-why")).to_contain_text(
        "Why: no room matching this booking was free at that time.", timeout=45_000
    )
    # under the reason, bookings' own words (BookingRead.rejection_detail)
    await expect(page.locator("#rejected-detail")).to_contain_text("Details: ")
    detail = (await page.locator("#rejected-detail").inner_text()).removeprefix("Details: ")
    assert detail.strip(), "the detail bookings stored with the rejection"
    booking_id = page.url.rsplit("/", 1)[1]
    await page.screenshot(path=str(SCREENSHOTS / "booking-rejected-why.png"), full_page=True)
    await page.goto(f"{stack.frontdesk}/member")
    await expect(page.locator(".why").first).to_contain_text("no room matching this booking")
    await expect(page.locator(".why-detail").first).to_contain_text(detail)
    await page.get_by_label("Language").select_option("ar")
    await page.get_by_role("button", name="OK").click()
    await expect(page.locator("html")).to_have_attribute("dir", "rtl")
    await expect(page.locator(".why").first).to_contain_text("لم تكن أي قاعة مناسبة")
    await expect(page.locator(".why-detail").first).to_contain_text("التفاصيل")
    await member.close()

    # the desk sees why too: on the member's page and on Today's row of that booking (its date)
    desk = await signed_in(browser, stack.frontdesk, stack.staff)
    staff = await desk.new_page()
    await staff.goto(f"{stack.frontdesk}/staff/sites/{SITE}/members/{STARTUP}")
    await expect(staff.locator(".why-detail").first).to_contain_text(detail)
    day = starts_at.astimezone(ZoneInfo(ZONE)).date().isoformat()
    await staff.goto(f"{stack.frontdesk}/staff/sites/{SITE}/today?date={day}")
    row = staff.locator(f"li[data-booking='{booking_id}']")
    await expect(row.locator(".why")).to_contain_text("no room matching this booking")
    await expect(row.locator(".why-detail")).to_contain_text(detail)
    await staff.screenshot(path=str(SCREENSHOTS / "today-rejected-why.png"), full_page=True)
    await desk.close()


async def test_a_member_and_the_desk_take_places_off_a_waitlist(browser: Browser, stack: Stack) -> None:
    """Three places in line (bookings API), one left by the member on their page, one by the desk
    on the site's Waitlist page, one by the desk on the member's page; leaving again is bookings'
    409, shown as a line."""
    places = []
    other = {"person_id": "p-fd-other", "name": "Nadia Idrissi", "email": "nadia@example.ma", "role": "CEO"}
    member_body = {
        "member_id": "m-fd-other",
        "name": "Sahara Robotics",
        "kind": "startup",
        "sector": "robotics",
        "home_site_id": SITE,
        "stage": "incubation",
        "started_on": "2026-01-05",
        "people": [other],
    }
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {stack.admin}"}, timeout=30) as admin:
        created = await until_accepted(admin, f"{stack.community}/v1/members", member_body)
        assert created.status_code == 201, created.text
        slots = (await admin.get(f"{stack.bookings}/v1/offerings/{stack.offerings[MENTORING]}/slots")).json()["items"]
        mentoring = {"offering_id": stack.offerings[MENTORING]}
        for slot in slots[-3:]:
            seat = mentoring | {"member_id": "m-fd-other", "person_id": "p-fd-other", "starts_at": slot["starts_at"]}
            booked = await until_accepted(admin, f"{stack.bookings}/v1/bookings", seat)
            assert booked.status_code in (201, 202), booked.text
            body = mentoring | {"member_id": STARTUP, "person_id": FOUNDER, "starts_at": slot["starts_at"]}
            waiting = await admin.post(
                f"{stack.bookings}/v1/bookings",
                json=body | {"join_waitlist": True},
                headers={"Authorization": f"Bearer {stack.member}"},
            )
            assert waiting.status_code in (200, 201, 202), waiting.text
            assert waiting.json()["status"] == "waitlisted", waiting.text
            places.append(waiting.json()["entry_id"])

    member = await signed_in(browser, stack.frontdesk, stack.member)
    page = await member.new_page()
    await page.goto(f"{stack.frontdesk}/member#waitlist")
    await page.locator(f"form[action='/member/waitlist/{places[0]}/leave'] button").click()
    await expect(page.locator(".notice")).to_contain_text("You left the waitlist.")
    await expect(page.locator(f"form[action='/member/waitlist/{places[0]}/leave']")).to_have_count(0)
    await page.screenshot(path=str(SCREENSHOTS / "member-left-waitlist.png"), full_page=True)

    desk = await signed_in(browser, stack.frontdesk, stack.staff)
    staff = await desk.new_page()
    await staff.goto(f"{stack.frontdesk}/staff/sites/{SITE}/waitlist")
    leave = staff.locator(f"form[action$='/waitlist/{places[1]}/leave'] button")
    await leave.click()
    await expect(staff.locator(".notice")).to_contain_text(f"{STARTUP} left the waitlist.")
    await expect(leave).to_have_count(0)
    await staff.screenshot(path=str(SCREENSHOTS / "staff-left-waitlist.png"), full_page=True)

    # the member's page at the desk lists the places still waiting, named by their offering
    await staff.goto(f"{stack.frontdesk}/staff/sites/{SITE}/members/{STARTUP}")
    places_there = staff.locator("section[aria-labelledby='waitlist']")
    await expect(places_there).to_contain_text("Strategy mentoring")
    await expect(places_there.locator(f"form[action$='/waitlist/{places[1]}/leave']")).to_have_count(0)
    leave = places_there.locator(f"form[action$='/waitlist/{places[2]}/leave'] button")
    await leave.click()
    await expect(staff.locator(".notice")).to_contain_text("Argan Labs left the waitlist.")
    assert f"/staff/sites/{SITE}/members/{STARTUP}" in staff.url
    await expect(leave).to_have_count(0)
    await staff.screenshot(path=str(SCREENSHOTS / "staff-member-left-waitlist.png"), full_page=True)

    # the member's page still showed the button: bookings says the place is no longer waiting
    await page.goto(f"{stack.frontdesk}/member")
    await page.evaluate(
        "id => { const f = document.createElement('form'); f.method = 'post';"
        " f.action = `/member/waitlist/${id}/leave`; document.body.append(f); f.submit(); }",
        places[1],
    )
    await expect(page.locator(".notice")).not_to_contain_text("You left the waitlist.")
    await expect(page.locator(".notice")).not_to_contain_text("unavailable")
    await member.close()
    await desk.close()


async def test_the_desk_edits_an_event_and_sees_a_refusal(browser: Browser, stack: Stack) -> None:
    """From the event's row on Today: a new English title and capacity are saved; a capacity
    below the confirmed registrations is community's 409 and 0 its 422, each shown next to the capacity.
    The event is the day after tomorrow at 10:00 on the site's clock, and the desk opens Today of
    that date (any hour of the run gives the same page); saved, Today shows the event's day."""
    starts = two_days_ahead_at_ten()
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {stack.admin}"}, timeout=30) as http:
        event = event_body(
            "networking", ("Causerie export", "Export talk"), ("Une causerie.", "A talk."), starts, 1, 10
        )
        created = await http.post(f"{stack.community}/v1/events", json=event)
        assert created.status_code == 201, created.text
        event_id = created.json()["event_id"]
        person = {"name": "Youssef Amrani", "email": "youssef@example.ma", "role": "CTO"}
        added = await http.post(f"{stack.community}/v1/members/{STARTUP}/people", json=person)
        assert added.status_code == 201, added.text
        for person_id in (FOUNDER, added.json()["person"]["person_id"]):
            body = {"person_id": person_id, "member_id": STARTUP}
            registered = await http.post(f"{stack.community}/v1/events/{event_id}/registrations", json=body)
            assert registered.status_code in (200, 201, 202), registered.text

    desk = await signed_in(browser, stack.frontdesk, stack.staff)
    page = await desk.new_page()
    await page.goto(f"{stack.frontdesk}/staff/sites/{SITE}/today?date={starts.date().isoformat()}")
    await page.get_by_role("link", name="Edit: Export talk").click()
    await page.get_by_label("Title (English)").fill("Export talk, revised")
    await page.get_by_label("Capacity").fill("1")
    await page.get_by_role("button", name="Save").click()
    await expect(page.locator("[id='capacity-error']")).to_contain_text("below the 2 confirmed registrations")
    await expect(page.get_by_label("Title (English)")).to_have_value("Export talk, revised")
    await page.screenshot(path=str(SCREENSHOTS / "event-edit-refused.png"), full_page=True)
    await page.get_by_label("Capacity").fill("0")
    await page.get_by_role("button", name="Save").click()
    await expect(page.locator("[id='capacity-error']")).not_to_contain_text("registrations")
    await expect(page.get_by_label("Capacity")).to_have_attribute("aria-invalid", "true")
    await page.get_by_label("Capacity").fill("12")
    await page.get_by_role("button", name="Save").click()
    await expect(page.locator(".notice")).to_contain_text("The event is updated.")
    assert f"date={starts.date().isoformat()}" in page.url
    await expect(page.locator("#panel-events")).to_contain_text("Export talk, revised")
    await expect(page.locator("#panel-events")).to_contain_text("2/12")
    await page.screenshot(path=str(SCREENSHOTS / "event-edited.png"), full_page=True)
    await desk.close()


async def test_check_in_refusals_are_shown(browser: Browser, stack: Stack) -> None:
    """A ticket scanned twice: the second says when it was checked in; a booking hours from its
    start (the fourth slot): the desk is told when its check-in window opens. Both as a line on the page."""
    member = await signed_in(browser, stack.frontdesk, stack.member)
    page = await member.new_page()
    await book_first_slot(page, stack.frontdesk, stack.offerings[MENTORING], nth=3)
    await expect(page.locator("#booking-status")).to_contain_text("confirmed", timeout=30_000)
    booking_id = page.url.rsplit("/", 1)[1]
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {stack.member}"}, timeout=30) as http:
        mine = (await http.get(f"{stack.community}/v1/registrations", params={"member_id": STARTUP})).json()["items"]
        registration = next((r for r in mine if r["event_id"] == stack.event_id and r["status"] != "cancelled"), None)
        if registration is None:
            body = {"person_id": FOUNDER, "member_id": STARTUP}
            registration = (
                await http.post(f"{stack.community}/v1/events/{stack.event_id}/registrations", json=body)
            ).json()
        ticket = (await http.get(f"{stack.community}/v1/registrations/{registration['registration_id']}/ticket")).json()
    await member.close()

    desk = await signed_in(browser, stack.frontdesk, stack.staff)
    today = await desk.new_page()
    await today.goto(f"{stack.frontdesk}{stack.event_today}")
    for _ in range(2):
        await today.get_by_label("Event", exact=True).select_option(stack.event_id)
        await today.get_by_label("Ticket code (QR)").fill(ticket["token"])
        await today.locator("form[action*='/check-ins'] button").click()
    await expect(today.locator(".notice")).to_contain_text("already checked in at")
    await today.screenshot(path=str(SCREENSHOTS / "ticket-already-checked-in.png"), full_page=True)

    # hours from its start the page offers no "Check in"; a stale page's button gets bookings' 409 as a line
    await today.goto(f"{stack.frontdesk}/staff/sites/{SITE}/members/{STARTUP}")
    await expect(today.locator(f"form[action$='/bookings/{booking_id}/check-in']")).to_have_count(0)
    await today.evaluate(
        "id => { const f = document.createElement('form'); f.method = 'post';"
        " f.action = `/staff/sites/site-fd/bookings/${id}/check-in`; document.body.append(f); f.submit(); }",
        booking_id,
    )
    await expect(today.locator(".notice")).to_contain_text("opens at")
    await today.screenshot(path=str(SCREENSHOTS / "booking-check-in-window.png"), full_page=True)
    await desk.close()
