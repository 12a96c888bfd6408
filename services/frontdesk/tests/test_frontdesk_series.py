"""Issue 25.1: recurring bookings in the web app, in real Chromium against the real services.

A member books a mentoring hour every week for three weeks from the offering's page. The
second week's session is already taken by another member, so the series page says so in words:
two of three booked, the second refused because it is full (never a silent gap). The member
moves the third to the next day an hour later (a new series, linked both ways), cancels that one
after a confirmation, then the whole first series; the front desk sees the same series on its
side, and books one for the member from its own booking form. The pages pass axe, and the series
reads in Arabic.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import httpx
import pytest
import pytest_asyncio
from frontdesk_support import (
    Stack,
    axe_violations,
    offering_body,
    published_offering,
    signed_in,
    site_of_its_own,
    startup_at,
    two_days_ahead_at_ten,
    until_accepted,
)
from playwright.async_api import Browser, Page, expect

from parkgrid.auth import Role
from parkgrid.testing.topics import read_topic

pytest_plugins = ["frontdesk_fixtures"]

pytestmark = [pytest.mark.asyncio(loop_scope="session")]

SITE = "site-fd-series"
MEMBER = "m-fd-series"
PERSON = "p-fd-series"
OTHER = "m-fd-series-other"
OTHER_PERSON = "p-fd-series-other"
FIRST = two_days_ahead_at_ten()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def offering_id(stack: Stack) -> str:
    """A site of its own, two startups at home there, a one-seat mentoring hour; the other startup
    has already booked the session a week after the first."""
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {stack.admin}"}, timeout=30) as http:
        await site_of_its_own(http, stack, SITE, "Technopark Séries", "Casablanca")
        for member_id, person_id, name in ((MEMBER, PERSON, "Série Agritech"), (OTHER, OTHER_PERSON, "Autre Fintech")):
            person = {"person_id": person_id, "name": "Nadia Tazi", "email": f"{person_id}@example.ma", "role": "CEO"}
            await startup_at(http, stack, SITE, member_id, name, person)
        body = {**offering_body("Weekly mentoring", "mentoring", ["startup"]), "site_id": SITE}
        offering_id = await published_offering(http, stack, body, "series-mentoring", member_id=MEMBER)
        taken = await until_accepted(
            http,
            f"{stack.bookings}/v1/bookings",
            {"offering_id": offering_id, "member_id": OTHER, "starts_at": (FIRST + timedelta(weeks=1)).isoformat()},
        )
        assert taken.status_code == 201, taken.text
        return offering_id


async def pick(page: Page, moment: datetime) -> None:
    """Tick the session starting at `moment` (the radios' values are instants, whatever their offset)."""
    index = await page.locator("input[name=starts_at]").evaluate_all(
        "(inputs, ms) => inputs.findIndex(i => new Date(i.value).getTime() === ms)", int(moment.timestamp() * 1000)
    )
    assert index >= 0, f"the session at {moment} is offered"
    await page.locator("input[name=starts_at]").nth(index).check()


async def no_violations(page: Page) -> None:
    assert await axe_violations(page) == [], page.url


async def test_a_member_books_a_series_sees_each_outcome_and_cancels_it(
    browser: Browser, stack: Stack, offering_id: str
) -> None:
    token = stack.token(Role.MEMBER, member_id=MEMBER, person_id=PERSON)
    context = await signed_in(browser, stack.frontdesk, token)
    page = await context.new_page()
    await page.goto(f"{stack.frontdesk}/member/offerings/{offering_id}")
    await page.get_by_role("link", name="Book every week…").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Recurring booking")
    await no_violations(page)
    await pick(page, FIRST)
    await page.get_by_label("Number of sessions (at most 26)").fill("3")
    await page.get_by_role("button", name="Book the series").click()

    summary = page.locator("#series-outcome")
    await expect(summary).to_have_text("2 of 3 sessions booked or waitlisted, 1 refused.")
    rows = page.locator("#occurrences tbody tr")
    await expect(rows).to_have_count(3)
    await expect(rows.nth(0)).to_contain_text("booked")
    await expect(rows.nth(1)).to_contain_text("refused: full")
    await expect(rows.nth(2)).to_contain_text("booked")
    await no_violations(page)
    series_url = page.url.split("?")[0]
    series_id = series_url.rsplit("/", 1)[1]

    # the same series in Arabic
    arabic = await signed_in(browser, stack.frontdesk, token, locale="ar")
    await arabic.add_cookies([{"name": "parkgrid_lang", "value": "ar", "url": stack.frontdesk}])
    read = await arabic.new_page()
    await read.goto(series_url)
    await expect(read.locator("#occurrences tbody tr").nth(1)).to_contain_text("مرفوضة: ممتلئة")

    # the member finds it again among its recurring bookings
    await page.get_by_role("link", name="Recurring bookings").click()
    await no_violations(page)
    await page.locator("#my-series").get_by_role("link", name="Weekly mentoring").click()
    await expect(page).to_have_url(series_url)

    # the third moves to the next day an hour later: a new series, booked before the old one is cancelled
    await rows.nth(2).get_by_role("link", name="Move this and the following").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Move the series")
    await no_violations(page)
    await pick(page, FIRST + timedelta(weeks=2, days=1, hours=1))
    await page.get_by_role("button", name="Move", exact=True).click()
    await expect(page.locator(".notice")).to_have_text("Series moved: here are the new sessions.")
    await expect(summary).to_have_text("1 of 1 sessions booked or waitlisted, 0 refused.")
    moved_id = page.url.split("?")[0].rsplit("/", 1)[1]
    assert moved_id != series_id

    # the moved one, after a confirmation
    await rows.nth(0).get_by_role("link", name="Cancel this and the following").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Cancel the series?")
    await no_violations(page)
    await page.get_by_role("button", name="Yes, cancel").click()
    await expect(page.locator(".notice")).to_have_text("Sessions cancelled.")
    await expect(rows.nth(0)).to_contain_text("cancelled")
    await page.get_by_role("link", name="Moves an earlier series: see it").click()
    await expect(rows.nth(2)).to_contain_text("cancelled")
    await expect(rows.nth(0)).to_contain_text("booked")
    await expect(page.get_by_role("link", name="Its following sessions were moved: see the new series")).to_be_visible()

    # the front desk sees it at its site
    desk = await signed_in(browser, stack.frontdesk, stack.token(Role.FRONT_DESK, sites=[SITE]))
    staff = await desk.new_page()
    await staff.goto(f"{stack.frontdesk}/staff/series/{series_id}")
    await expect(staff.locator("#series-outcome")).to_have_text(
        "1 of 3 sessions booked or waitlisted, 1 refused. 1 cancelled."
    )
    await expect(staff.locator("#occurrences tbody tr").nth(2)).to_contain_text("cancelled")
    await staff.get_by_role("link", name="The member's page").click()
    await expect(staff).to_have_url(f"{stack.frontdesk}/staff/sites/{SITE}/members/{MEMBER}")

    # the booking says it belongs to the series; then the whole series goes
    cancel_first = await rows.nth(0).get_by_role("link", name="Cancel this one").get_attribute("href")
    assert cancel_first is not None
    await page.goto(stack.frontdesk + cancel_first.removesuffix("/cancel"))
    await page.get_by_role("link", name="Part of a recurring series: see the series").click()
    await expect(page).to_have_url(series_url)
    await page.get_by_role("link", name="Cancel the whole series").click()
    await expect(page.locator("h1")).to_have_text("Cancel the series?")
    await expect(page.locator("body")).to_contain_text("Every coming session of the series will be cancelled.")
    await page.get_by_role("button", name="Yes, cancel").click()
    await expect(rows.nth(0)).to_contain_text("cancelled")
    await expect(page.get_by_role("link", name="Cancel the whole series")).to_have_count(0)

    kinds = {"parkgrid.bookings.series.requested", "parkgrid.bookings.series.cancelled"}
    events = await read_topic(stack.kafka, "bookings.series", until=5, types=kinds)
    mine = [e for e in events if e.subject == series_id]
    assert [e.type.rsplit(".", 1)[1] for e in mine] == ["requested", "cancelled", "cancelled"]
    moved = [e for e in events if e.subject == moved_id]
    assert [e.type.rsplit(".", 1)[1] for e in moved] == ["requested", "cancelled"]
    await context.close()
    await arabic.close()
    await desk.close()


async def test_the_desk_books_a_series_for_a_member_from_its_booking_form(
    browser: Browser, stack: Stack, offering_id: str
) -> None:
    desk = await signed_in(browser, stack.frontdesk, stack.token(Role.FRONT_DESK, sites=[SITE]))
    page = await desk.new_page()
    await page.goto(f"{stack.frontdesk}/staff/sites/{SITE}/members/{MEMBER}?offering_id={offering_id}")
    await pick(page, FIRST + timedelta(days=1))
    await page.get_by_label("Number of sessions (at most 26)").fill("2")
    await page.get_by_role("button", name="Book the series").click()
    await expect(page).to_have_url(re.compile(r"/staff/series/sr-"))
    await expect(page.locator("#series-outcome")).to_have_text("2 of 2 sessions booked or waitlisted, 0 refused.")
    await expect(page.locator("#occurrences tbody tr").nth(1)).to_contain_text("booked")
    await no_violations(page)
    await desk.close()
