"""The front desk records a visit (issue 24's front-desk day): someone came to a session that has
already begun without booking, and the desk books it after the fact from the member's page; the
booking is made checked in and Today lists it so. In real Chromium against the real services over
the real broker, on a site of its own open round the clock (15-minute sessions from midnight), so
a session has begun whatever the hour the suite runs at. The page passes axe; the member's own
page offers no begun session."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
import pytest_asyncio
from frontdesk_support import (
    ROUND_THE_CLOCK,
    ZONE,
    Stack,
    axe_violations,
    offering_body,
    published_offering,
    signed_in,
    site_of_its_own,
    startup_at,
)
from playwright.async_api import Browser, expect

from parkgrid.auth import Role

pytest_plugins = ["frontdesk_fixtures"]

pytestmark = [pytest.mark.asyncio(loop_scope="session")]

SITE = "site-fd-visits"
MEMBER = "m-fd-visits"
PERSON = "p-fd-visits"
ORGANISATION = "Draa Solar"
PERSON_NAME = "Youssef Amrani"
TITLE = "Prototype lab slot"
QUARTERS = [{"weekday": d, "opens": "00:00", "closes": "23:45"} for d in range(1, 8)]
LAST_START = 23 * 60 + 30
"""The day's last session starts at 23:30 local and ends at 23:45: none is under way until midnight."""


async def a_session_under_way(margin: timedelta = timedelta(seconds=90)) -> None:
    """Wait, if need be, until a session of QUARTERS is under way for `margin` more at least.

    The latest begun session is the one the test records a visit to, and today's page must show it
    checked in: once it has ended, the bookings sweeper completes it (CI once recorded the visit at
    23:44 local and read "completed"). Waits up to `margin` near the end of a quarter, and until
    midnight between 23:45 and 00:00, when no session runs."""
    while True:
        now = datetime.now(ZoneInfo(ZONE))
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        minutes = (now - midnight) // timedelta(minutes=1)
        start = midnight + timedelta(minutes=minutes - minutes % 15)
        if (start - midnight) // timedelta(minutes=1) > LAST_START:
            await asyncio.sleep((midnight + timedelta(days=1) - now).total_seconds() + 2)
        elif (end := start + timedelta(minutes=15)) - now < margin:
            await asyncio.sleep((end - now).total_seconds() + 2)
        else:
            return


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def offering_id(stack: Stack) -> str:
    """The site, a startup at home there, and a three-seat lab slot every quarter of an hour."""
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {stack.admin}"}, timeout=30) as http:
        await site_of_its_own(http, stack, SITE, "Technopark Visites", "Ouarzazate", ROUND_THE_CLOCK)
        person = {"person_id": PERSON, "name": PERSON_NAME, "email": "youssef.visits@example.ma", "role": "CTO"}
        await startup_at(http, stack, SITE, MEMBER, ORGANISATION, person)
        body = {
            **offering_body(TITLE, "training", ["startup"]),
            "site_id": SITE,
            "availability": QUARTERS,
            "session_minutes": 15,
            "seats_per_session": 3,
        }
        return await published_offering(http, stack, body, "visits-lab", member_id=MEMBER)


async def test_the_desk_records_a_visit_that_began_and_today_shows_it_checked_in(
    browser: Browser, stack: Stack, offering_id: str
) -> None:
    await a_session_under_way()
    desk = await signed_in(browser, stack.frontdesk, stack.token(Role.FRONT_DESK, sites=[SITE]))
    page = await desk.new_page()
    await page.goto(f"{stack.frontdesk}/staff/sites/{SITE}/members/{MEMBER}")
    await page.get_by_label("Offering").select_option(offering_id)
    await page.get_by_role("button", name="Free slots").click()
    visits = page.locator("#visit-slots")
    await expect(visits.locator("legend")).to_have_text("Earlier today: record a visit")
    latest = visits.locator("input[name=starts_at]").last
    value = await latest.get_attribute("value") or ""
    assert value.startswith("visit:"), value
    local_start = (await latest.locator("xpath=..").inner_text()).split(" · ")[0].strip()
    assert await axe_violations(page) == []
    await latest.check()
    await page.get_by_role("button", name="Book", exact=True).click()
    await expect(page.locator(".notice")).to_have_text("Visit recorded: checked in.")
    assert "/bookings" not in page.url  # Post/Redirect/Get: back on the member's page

    await page.goto(f"{stack.frontdesk}/staff/sites/{SITE}/today")
    row = page.locator("li.booking").filter(has_text=PERSON_NAME)
    await expect(row).to_have_count(1)
    await expect(row).to_contain_text(local_start)
    await expect(row).to_contain_text(TITLE)
    await expect(row).to_contain_text("checked in")
    await expect(row.get_by_role("button", name=re.compile("Check in"))).to_have_count(0)
    await desk.close()

    # a member is offered no begun session, and bookings refuses them the begun slots outright
    member_token = stack.token(Role.MEMBER, member_id=MEMBER, person_id=PERSON)
    async with stack.browser(member_token, headers={"Accept-Language": "en"}) as member:
        offered = await member.get(f"/member/offerings/{offering_id}")
        assert offered.status_code == 200
        assert "visit:" not in offered.text
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {member_token}"}, timeout=30) as http:
        begun = await http.get(f"{stack.bookings}/v1/offerings/{offering_id}/slots", params={"begun": "true"})
        assert begun.status_code == 403, begun.text
