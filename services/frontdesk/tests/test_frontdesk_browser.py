"""The issue's acceptance in a real browser: Python Playwright driving Debian's Chromium
(headless, `/usr/bin/chromium`: no browser download) against the five real apps of
frontdesk_support. Screenshots go to services/frontdesk/tests/screenshots/ (git-ignored).
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from frontdesk_support import MENTORING, ROOM, SITE, TPE_ONLY, Stack
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"

pytest_plugins = ["frontdesk_fixtures"]

pytestmark = [
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (apt-get install chromium)"),
]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    SCREENSHOTS.mkdir(exist_ok=True)
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            await chromium.close()


async def signed_in(browser: Browser, base: str, token: str, *, phone: bool = False) -> BrowserContext:
    viewport = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
    context = await browser.new_context(viewport=viewport, locale="en-GB")  # type: ignore[arg-type]
    await context.add_cookies([{"name": "parkgrid_token", "value": token, "url": base}])
    return context


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
    await today.goto(f"{stack.frontdesk}/staff/sites/{SITE}/today")
    await today.get_by_label("Event", exact=True).select_option(stack.event_id)
    await today.get_by_label("Ticket code (QR)").fill("forged-token")
    await today.locator("form[action$='/check-ins'] button").click()
    await expect(today.locator("#token-error")).to_be_visible()
    await today.get_by_label("Ticket code (QR)").fill(ticket)
    await today.locator("form[action$='/check-ins'] button").click()
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
    await expect(page.locator("#ineligible")).to_contain_text("it is for tpe; your organisation is a startup")
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
