"""Issue 25.5: a member checks itself in from the web app, in real Chromium against the real services.

A site of its own open round the clock and an offering of 15-minute sessions, so the first free
session always starts within the check-in window (an hour before the start until the end) whatever
time the run starts. The member books it, finds "Check in" on the booking's page and checks in
(Post/Redirect/Get with the form's Idempotency-Key): the page says so and the button is gone, and
bookings' `checked_in` event names the member as the one who did it. The same page left open in a
second tab, in French, sends the check-in again: refused, and said in French from the booking's state.
"""

from __future__ import annotations

import httpx
import pytest
import pytest_asyncio
from frontdesk_support import (
    ROUND_THE_CLOCK,
    SCREENSHOTS,
    Stack,
    offering_body,
    published_offering,
    signed_in,
    site_of_its_own,
    startup_at,
)
from playwright.async_api import Browser, expect

from parkgrid.auth import Role
from parkgrid.testing.topics import read_topic

pytest_plugins = ["frontdesk_fixtures"]

pytestmark = [pytest.mark.asyncio(loop_scope="session")]

SITE = "site-fd-check-in"
MEMBER = "m-fd-check-in"
PERSON = "p-fd-check-in"
CHECKED_IN = "parkgrid.bookings.booking.checked_in"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def offering_id(stack: Stack) -> str:
    """The site, a startup at home there (one person) and a published offering of 15-minute sessions."""
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {stack.admin}"}, timeout=30) as http:
        await site_of_its_own(http, stack, SITE, "Technopark Nuit", "Casablanca", ROUND_THE_CLOCK)
        person = {"person_id": PERSON, "name": "Yasmine Alaoui", "email": "yasmine.nuit@example.ma", "role": "CEO"}
        await startup_at(http, stack, SITE, MEMBER, "Nuit Agritech", person)
        body = {
            **offering_body("Night desk coaching", "mentoring", ["startup"]),
            "site_id": SITE,
            "session_minutes": 15,
            "availability": ROUND_THE_CLOCK,
        }
        return await published_offering(http, stack, body, "check-in-coaching")


async def test_a_member_checks_itself_in_from_its_booking(browser: Browser, stack: Stack, offering_id: str) -> None:
    token = stack.token(Role.MEMBER, member_id=MEMBER, person_id=PERSON)
    english = await signed_in(browser, stack.frontdesk, token)
    page = await english.new_page()
    await page.goto(f"{stack.frontdesk}/member/offerings/{offering_id}")
    await page.locator("input[name=starts_at]").first.check()
    await page.get_by_role("button", name="Book", exact=True).click()
    status = page.locator("#booking-status")
    await expect(status).to_contain_text("confirmed", timeout=30_000)
    booking_page = page.url.split("?")[0]
    booking_id = booking_page.rsplit("/", 1)[1]
    check_in = status.get_by_role("button", name="Check in")
    await expect(check_in).to_be_visible()

    # the same page left open in French, before the check-in
    french = await signed_in(browser, stack.frontdesk, token, locale="fr-FR")
    stale = await french.new_page()
    await stale.goto(booking_page)
    await expect(stale.get_by_role("button", name="Enregistrer l'arrivée")).to_be_visible()

    await check_in.click()
    await expect(page.locator(".notice")).to_contain_text("You are checked in. Welcome!")
    await expect(status).to_contain_text("Checked in at")
    await expect(status.get_by_role("button", name="Check in")).to_have_count(0)
    assert page.url.startswith(booking_page), "Post/Redirect/Get: back on the booking's page"
    await page.screenshot(path=str(SCREENSHOTS / "portal-checked-in.png"), full_page=True)

    await stale.get_by_role("button", name="Enregistrer l'arrivée").click()
    await expect(stale.locator(".notice")).to_contain_text("Votre arrivée est déjà enregistrée (à ")
    await english.close()
    await french.close()

    events = await read_topic(stack.kafka, "bookings.booking", until=1, types={CHECKED_IN}, within=30)
    [arrived] = [e for e in events if e.subject == booking_id]
    assert arrived.data["checked_in_by"] == {"role": "member", "subject": PERSON}
