"""The front desk books a walk-in (issue 24's front-desk day): a session within the offering's
notice, which a member may not book any more, is offered to the desk and booked, in real
Chromium against the real services over the real broker."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from frontdesk_support import SITE, STARTUP, ZONE, Stack, offering_body, published_offering, signed_in
from playwright.async_api import Browser, expect

pytest_plugins = ["frontdesk_fixtures"]

pytestmark = [pytest.mark.asyncio(loop_scope="session")]

NOTICE = timedelta(hours=24)


async def test_the_desk_books_a_walk_in_within_the_notice(browser: Browser, stack: Stack) -> None:
    body = offering_body("Walk-in clinic", "expert_clinic", [])
    body["rules"] = {"min_notice_minutes": 24 * 60, "max_advance_days": 30, "cancellation_window_minutes": 60}
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {stack.admin}"}, timeout=30) as http:
        offering_id = await published_offering(http, stack, body, "walk-in-clinic")

    desk = await signed_in(browser, stack.frontdesk, stack.staff)
    page = await desk.new_page()
    await page.goto(f"{stack.frontdesk}/staff/sites/{SITE}/members/{STARTUP}")
    await page.get_by_label("Offering").select_option(offering_id)
    await page.get_by_role("button", name="Free slots").click()
    first = page.locator("fieldset.slot-day").first.locator("input[name=starts_at]").first
    starts_at = datetime.fromisoformat(await first.get_attribute("value") or "")
    assert starts_at < datetime.now(ZoneInfo(ZONE)) + NOTICE  # within the notice: a walk-in
    await first.check()
    await page.get_by_role("button", name="Book", exact=True).click()
    await expect(page.locator(".notice")).to_contain_text("Booking")
    upcoming = page.locator("section[aria-labelledby='upcoming-title']")
    await expect(upcoming).to_contain_text(f"{starts_at.astimezone(ZoneInfo(ZONE)):%d/%m/%Y %H:%M}")
    await desk.close()

    # the member is held to the notice: the same offering's page offers nothing that soon
    async with stack.browser(stack.member, headers={"Accept-Language": "en"}) as member:
        offered = await member.get(f"/member/offerings/{offering_id}")
        assert offered.status_code == 200
        values = re.findall(r'name="starts_at" value="(?:waitlist:)?([^"]+)"', offered.text)
        starts = [datetime.fromisoformat(value) for value in values]
        assert starts, "the member is offered the sessions after the notice"
        assert min(starts) >= datetime.now(ZoneInfo(ZONE)) + NOTICE - timedelta(minutes=5)
