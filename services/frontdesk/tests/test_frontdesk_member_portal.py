"""Issue 24, item 2: a member's portal, driven in real Chromium against the real services as a
member would: find an offering by category, book a slot picked from its day, reschedule it,
cancel it after a confirmation page; join a full session's waitlist from the slot itself and
leave it; register for an event, show the ticket, cancel the registration; join the office
waitlist and decline an office offered; and book on a phone (375x740).

The portal's own member organisation, offering and office keep these tests off the others' data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
import pytest_asyncio
from frontdesk_support import (
    SCREENSHOTS,
    SITE,
    ZONE,
    Stack,
    offering_body,
    published_offering,
    signed_in,
    until_accepted,
)
from playwright.async_api import Browser, Page, expect

from parkgrid.auth import Role

pytest_plugins = ["frontdesk_fixtures"]

pytestmark = [pytest.mark.asyncio(loop_scope="session")]

MEMBER = "m-fd-portal"
PERSON = "p-fd-portal"
FILLER = "m-fd-portal-filler"
OFFICE = "sp-portal-office"
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass
class Portal:
    offering_id: str
    token: str
    filler: str


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def portal(stack: Stack) -> Portal:
    """A startup of its own (one person), another to fill a session, an offering of one seat, an office."""
    body = offering_body("Portal pitch review", "mentoring", ["startup"])
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {stack.admin}"}, timeout=30) as http:
        for member_id, name, people in (
            (
                MEMBER,
                "Portail Agritech",
                [{"person_id": PERSON, "name": "Nadia Idrissi", "email": "nadia.portail@example.ma", "role": "CEO"}],
            ),
            (
                FILLER,
                "Souss Robotics",
                [{"person_id": "p-fd-filler", "name": "Omar Filali", "email": "omar@example.ma", "role": "CTO"}],
            ),
        ):
            member = {
                "member_id": member_id,
                "name": name,
                "kind": "startup",
                "sector": "agritech",
                "home_site_id": SITE,
                "stage": "incubation",
                "started_on": "2026-01-05",
                "people": people,
            }
            created = await until_accepted(http, f"{stack.community}/v1/members", member)
            assert created.status_code in (200, 201), created.text
        office = {"space_id": OFFICE, "name": "Bureau Argane", "kind": "private_office", "capacity": 4}
        made = await http.post(f"{stack.spaces}/v1/sites/{SITE}/spaces", json=office)
        assert made.status_code == 201, made.text
        offering_id = await published_offering(http, stack, body, "portal-review", MEMBER)
    return Portal(
        offering_id=offering_id,
        token=stack.token(Role.MEMBER, member_id=MEMBER, person_id=PERSON),
        filler=stack.token(Role.MEMBER, member_id=FILLER, person_id="p-fd-filler"),
    )


async def open_offering(page: Page, stack: Stack) -> None:
    """From the home page: the grid narrowed to mentoring, then the portal's offering."""
    await page.goto(f"{stack.frontdesk}/member")
    await page.get_by_label("Category").select_option("mentoring")
    await page.get_by_role("button", name="Search").click()
    assert "category=mentoring" in page.url
    await page.locator(".grid").get_by_role("link", name="Portal pitch review").click()
    await expect(page.get_by_role("heading", name="Portal pitch review", level=1)).to_be_visible()


async def test_a_member_books_reschedules_and_cancels(browser: Browser, stack: Stack, portal: Portal) -> None:
    context = await signed_in(browser, stack.frontdesk, portal.token)
    page = await context.new_page()
    await open_offering(page, stack)
    first_day = page.locator(".slot-day h3").first
    assert (await first_day.inner_text()).split(" ")[0] in WEEKDAYS
    await page.locator("input[name=starts_at]").first.check()
    await page.get_by_role("button", name="Book", exact=True).click()
    await expect(page.locator("#booking-status")).to_contain_text("confirmed", timeout=30_000)
    first_booking = page.url
    await page.screenshot(path=str(SCREENSHOTS / "portal-booked.png"), full_page=True)

    # move it: a new booking replaces it, then the old one is released
    await page.get_by_role("link", name="Move to another slot").click()
    await page.locator("input[name=starts_at]").nth(2).check()
    await page.get_by_role("button", name="Move my booking").click()
    await expect(page.locator(".notice")).to_contain_text("Moved")
    await expect(page.locator("#booking-status")).to_contain_text("confirmed", timeout=30_000)
    assert page.url.split("?")[0] != first_booking
    await page.goto(first_booking)
    await expect(page.locator("#booking-status")).to_contain_text("cancelled", timeout=30_000)

    # upcoming first on the home page, the moved booking among them
    await page.goto(f"{stack.frontdesk}/member")
    upcoming = page.locator("section[aria-labelledby='upcoming-title']")
    await expect(upcoming.get_by_role("link", name="Portal pitch review").first).to_be_visible()
    await upcoming.locator(".status-confirmed").first.locator("xpath=..").get_by_role("link").click()

    # cancel, after a confirmation page
    await page.get_by_role("link", name="Cancel this booking").click()
    await expect(page.get_by_role("heading", name="Cancel this booking?")).to_be_visible()
    await page.get_by_role("button", name="Yes, cancel the booking").click()
    await expect(page.locator(".notice")).to_contain_text("Your booking is cancelled.")
    await expect(page.locator("#booking-status")).to_contain_text("cancelled")
    assert "/cancel" not in page.url
    await context.close()


async def test_a_full_slot_offers_its_waitlist_and_the_member_leaves_it(
    browser: Browser, stack: Stack, portal: Portal
) -> None:
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {portal.filler}"}, timeout=30) as http:
        slots = (await http.get(f"{stack.bookings}/v1/offerings/{portal.offering_id}/slots")).json()["items"]
        free = [s for s in slots if s["remaining"] > 0]
        taken = free[-1]["starts_at"]
        filled = await http.post(
            f"{stack.bookings}/v1/bookings",
            json={"offering_id": portal.offering_id, "member_id": FILLER, "starts_at": taken},
        )
        assert filled.status_code == 201, filled.text
    context = await signed_in(browser, stack.frontdesk, portal.token)
    page = await context.new_page()
    start = datetime.fromisoformat(taken).astimezone(ZoneInfo(ZONE)).date()
    await page.goto(f"{stack.frontdesk}/member/offerings/{portal.offering_id}?from={start.isoformat()}")
    join = page.locator(f"button[name=waitlist_at][value='{taken}']")
    await expect(join).to_have_text("Join the waitlist")
    await join.click()
    await expect(page.locator(".notice")).to_contain_text("waitlist")
    places = page.locator("section[aria-labelledby='waitlist']")
    await expect(places).to_contain_text("Portal pitch review")
    local = datetime.fromisoformat(taken).astimezone(ZoneInfo(ZONE)).strftime("%d/%m/%Y %H:%M")
    await expect(places).to_contain_text(local)
    await page.screenshot(path=str(SCREENSHOTS / "portal-waitlisted.png"), full_page=True)
    await places.get_by_role("button", name="Leave the waitlist").first.click()
    await expect(page.locator(".notice")).to_contain_text("You left the waitlist.")
    await context.close()


async def test_a_member_registers_shows_the_ticket_and_cancels(browser: Browser, stack: Stack, portal: Portal) -> None:
    context = await signed_in(browser, stack.frontdesk, portal.token)
    page = await context.new_page()
    await page.goto(f"{stack.frontdesk}/member")
    await page.locator("#events li", has_text="Pitch workshop").get_by_role("button", name="Register").click()
    await expect(page.locator(".notice")).to_contain_text("You are registered (confirmed)")
    registrations = page.locator("section[aria-labelledby='registrations']")
    row = registrations.locator("li", has_text="Pitch workshop")
    await row.get_by_role("link", name="Your ticket").click()
    await expect(page.get_by_role("img", name="QR code of your ticket")).to_be_visible()
    await page.go_back()
    await page.reload()
    await row.get_by_role("link", name="Cancel my registration").click()
    await expect(page.get_by_role("heading", name="Cancel my registration")).to_be_visible()
    await page.get_by_role("button", name="Yes, cancel the registration").click()
    await expect(page.locator(".notice")).to_contain_text("Your registration is cancelled.")
    await expect(row.locator(".status-cancelled")).to_be_visible()
    await context.close()


async def test_a_member_joins_the_office_waitlist_and_declines_an_offer(
    browser: Browser, stack: Stack, portal: Portal
) -> None:
    context = await signed_in(browser, stack.frontdesk, portal.token)
    page = await context.new_page()
    await page.goto(f"{stack.frontdesk}/member")
    await page.get_by_label("Seats").fill("3")
    await page.get_by_role("button", name="Join the office waitlist").click()
    await expect(page.locator(".notice")).to_contain_text("You are in line for an office")
    await expect(page.locator("[data-office]")).to_contain_text("An office for 3")
    starts_on = (datetime.now(ZoneInfo(ZONE)) + timedelta(days=400)).date()
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {stack.staff}"}, timeout=30) as http:
        offered = await http.post(
            f"{stack.spaces}/v1/sites/{SITE}/office-waitlist/offers",
            json={"space_id": OFFICE, "starts_on": starts_on.isoformat(), "seats": 3},
        )
        assert offered.status_code in (200, 201), offered.text
    await page.reload()
    entry = page.locator("[data-office]").first
    await expect(entry).to_contain_text("office offered")
    await expect(entry).to_contain_text("Bureau Argane")
    await entry.get_by_role("link", name="Decline this office").click()
    await page.get_by_role("button", name="Yes, decline the office").click()
    await expect(page.locator(".notice")).to_contain_text("You declined the office.")
    await expect(page.locator("[data-office]").first).to_contain_text("declined")
    await context.close()


async def test_a_member_books_on_a_phone(browser: Browser, stack: Stack, portal: Portal) -> None:
    context = await signed_in(browser, stack.frontdesk, portal.token, viewport={"width": 375, "height": 740})
    page = await context.new_page()
    await open_offering(page, stack)
    assert await page.evaluate("document.documentElement.scrollWidth") <= 375
    await page.locator("label.slot").nth(3).click()
    await page.get_by_role("button", name="Book", exact=True).click()
    await expect(page.locator("#booking-status")).to_contain_text("confirmed", timeout=30_000)
    await page.goto(f"{stack.frontdesk}/member")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 375
    await page.screenshot(path=str(SCREENSHOTS / "portal-phone.png"), full_page=True)
    await context.close()
