"""Per-period limits per plan in the web app (issue 25, item 6), in Chromium against the real stack:
an admin sets the site's limit for project holders (2 room hours a month of meeting rooms) on the
site's limits page, a wrong maximum refused next to its field first; the member books two hours,
and the third is refused with the limit in words next to the slots; the member's portal and the
staff member page show the month's usage; a front desk reads the rules but has no form. Each page
passes axe."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from frontdesk_support import (
    SCREENSHOTS,
    SITE,
    ZONE,
    Stack,
    axe_violations,
    member_body,
    offering_body,
    published_offering,
    signed_in,
    until_accepted,
)
from playwright.async_api import Browser, expect

from parkgrid.auth import Role

pytest_plugins = ["frontdesk_fixtures"]

pytestmark = [pytest.mark.asyncio(loop_scope="session")]

MEMBER = "m-fd-limits"
PERSON = "p-fd-limits"


async def bookable_day(http: httpx.AsyncClient, stack: Stack, offering_id: str) -> date:
    """The first local day with at least three free slots (the member books three on it)."""
    slots = await http.get(f"{stack.bookings}/v1/offerings/{offering_id}/slots")
    assert slots.status_code == 200, slots.text
    days = Counter(
        datetime.fromisoformat(s["starts_at"]).astimezone(ZoneInfo(ZONE)).date()
        for s in slots.json()["items"]
        if s["remaining"] > 0
    )
    return min(day for day, free in days.items() if free >= 3)


async def test_an_admin_sets_a_monthly_limit_and_the_member_is_refused_past_it(browser: Browser, stack: Stack) -> None:
    admin = {"Authorization": f"Bearer {stack.admin}"}
    async with httpx.AsyncClient(headers=admin, timeout=30) as http:
        person = {"person_id": PERSON, "name": "Yassine Amrani", "email": "yassine@example.ma", "role": "CEO"}
        member = member_body(MEMBER, "Oasis Makers", SITE, [person], kind="project_holder")
        created = await until_accepted(http, f"{stack.community}/v1/members", member)
        assert created.status_code in (200, 201), created.text
        body = offering_body("Huddle room", "meeting_room", ["project_holder"])
        offering_id = await published_offering(http, stack, body, "limits-huddle", MEMBER)
        day = await bookable_day(http, stack, offering_id)

    context = await signed_in(browser, stack.frontdesk, stack.admin)
    page = await context.new_page()
    await page.goto(f"{stack.frontdesk}/staff/sites/{SITE}/today")
    await page.get_by_role("link", name="Limits", exact=True).click()
    await expect(page.get_by_role("heading", name="Limits per period", exact=False)).to_be_visible()
    await page.get_by_label("New rule: Kind of member").select_option("project_holder")
    await page.get_by_label("New rule: Category").select_option("meeting_room")
    await page.get_by_label("New rule: What is counted").select_option("room_hours")
    await page.get_by_label("New rule: Period").select_option("month")
    await page.get_by_label("New rule: Maximum").fill("0")
    await page.get_by_role("button", name="Save the limits").click()
    await expect(page.locator("#rule-0-max-error")).to_contain_text("Value refused")
    refused_row = page.get_by_label("Rule 1: Maximum")  # the refused rule, drawn again as sent
    await expect(refused_row).to_have_attribute("aria-invalid", "true")
    await expect(refused_row).to_have_value("0")
    await refused_row.fill("2")
    await page.get_by_role("button", name="Save the limits").click()
    await expect(page.locator(".notice")).to_have_text("Limits saved.")
    await expect(page.get_by_label("Rule 1: Maximum")).to_have_value("2")
    await expect(page.get_by_label("Rule 1: Kind of member")).to_have_value("project_holder")
    assert await axe_violations(page) == []
    await page.screenshot(path=str(SCREENSHOTS / "limits-admin.png"), full_page=True)
    await context.close()

    member_page = await signed_in(
        browser, stack.frontdesk, stack.token(Role.MEMBER, member_id=MEMBER, person_id=PERSON)
    )
    page = await member_page.new_page()
    offering_url = f"{stack.frontdesk}/member/offerings/{offering_id}?from={day.isoformat()}"
    for booked in range(2):
        await page.goto(offering_url)
        await page.locator("input[name=starts_at]").nth(booked).check()
        await page.get_by_role("button", name="Book", exact=True).click()
        await expect(page.locator("#booking-status")).to_contain_text("confirmed", timeout=30_000)
    await page.goto(offering_url)
    await page.locator("input[name=starts_at]").nth(2).check()
    await page.get_by_role("button", name="Book", exact=True).click()
    refusal = page.locator("#starts_at-error")
    await expect(refusal).to_have_text(
        "Limit reached: 2 of 2 room hours already booked this month (Meeting room); this slot needs 1."
    )
    assert await axe_violations(page) == []
    await page.screenshot(path=str(SCREENSHOTS / "limits-refused.png"), full_page=True)

    today = datetime.now(ZoneInfo(ZONE)).date()
    used = 2 if (day.year, day.month) == (today.year, today.month) else 0  # the portal shows this month's
    await page.goto(f"{stack.frontdesk}/member")
    await expect(page.locator("#limits-usage")).to_contain_text(f"{used} of 2 room hours this month (Meeting room)")
    await member_page.close()

    desk = await signed_in(browser, stack.frontdesk, stack.staff)
    page = await desk.new_page()
    await page.goto(f"{stack.frontdesk}/staff/sites/{SITE}/members/{MEMBER}")
    await expect(page.locator("#limits-usage")).to_contain_text(f"{used} of 2 room hours this month (Meeting room)")
    await page.goto(f"{stack.frontdesk}/staff/sites/{SITE}/limits")
    await expect(page.locator("#limit-rules")).to_contain_text("2 room hours per month (Meeting room)")
    await expect(page.locator("#limits-form")).to_have_count(0)
    refused = await page.request.post(f"{stack.frontdesk}/staff/sites/{SITE}/limits", form={"rows": "0"})
    assert refused.status == 403
    await desk.close()
