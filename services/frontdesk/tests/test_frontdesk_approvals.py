"""Approvals in the web app (issue 25 part 2), in Chromium against the real stack: a member books an
offering that requires the park's confirmation and reads it awaiting, with the deadline on the
site's clock; the desk finds it from Today's line and the nav's count, approves one (the member
reads it confirmed) and declines another after a confirmation page, an empty reason refused next
to its field first (the member reads the reason); a decision taken meanwhile is "already decided";
a member withdraws a third while it waits. Two desks deciding one booking at once: one outcome.
Each page passes axe; members are refused the desk's pages."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime

import httpx
import pytest
import pytest_asyncio
from frontdesk_support import (
    SCREENSHOTS,
    Stack,
    axe_violations,
    offering_body,
    published_offering,
    signed_in,
    site_of_its_own,
    startup_at,
)
from playwright.async_api import Browser, Page, expect

from frontdesk.domain.member_days import local_day_label
from frontdesk.domain.messages import translator
from parkgrid.auth import Role

pytest_plugins = ["frontdesk_fixtures"]

pytestmark = [pytest.mark.asyncio(loop_scope="session")]

SITE = "site-fd-approvals"
MEMBER = "m-fd-approvals"
PERSON = "p-fd-approvals"
ORGANISATION = "Souss Robotics"
PERSON_NAME = "Nadia Ouali"
TITLE = "Investor readiness clinic"
EN = translator("en")
REASON = "The expert is away that week; please book the week after."


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def offering_id(stack: Stack) -> str:
    """A site of its own (its queue is this module's alone), a startup at home there and a one-seat
    clinic whose bookings wait for the site's staff (decided within 24 hours)."""
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {stack.admin}"}, timeout=30) as http:
        await site_of_its_own(http, stack, SITE, "Technopark Approbations", "Agadir")
        person = {"person_id": PERSON, "name": PERSON_NAME, "email": "nadia.approvals@example.ma", "role": "CEO"}
        await startup_at(http, stack, SITE, MEMBER, ORGANISATION, person)
        body = {
            **offering_body(TITLE, "expert_clinic", ["startup"]),
            "site_id": SITE,
            "rules": {"approval": {"required": True, "decide_within_hours": 24}},
        }
        return await published_offering(http, stack, body, "approvals-clinic", member_id=MEMBER)


def desk_token(stack: Stack) -> str:
    return stack.token(Role.FRONT_DESK, sites=[SITE])


def member_token(stack: Stack) -> str:
    return stack.token(Role.MEMBER, member_id=MEMBER, person_id=PERSON)


async def book_in_browser(page: Page, stack: Stack, offering_id: str, nth: int) -> str:
    """The member books the offering's `nth` free slot; the booking's id from its page's address."""
    await page.goto(f"{stack.frontdesk}/member/offerings/{offering_id}")
    await page.locator("input[name=starts_at]:not([disabled])").nth(nth).check()
    await page.get_by_role("button", name="Book", exact=True).click()
    await page.wait_for_url(re.compile(r"/member/bookings/[^/?]+$"))
    await expect(page.locator("#booking-status")).to_contain_text("awaiting confirmation", timeout=30_000)
    return page.url.rsplit("/", 1)[1]


async def deadline_words(stack: Stack, booking_id: str) -> str:
    """The booking's `decide_by` as the member's page says it (English, the site's clock)."""
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {member_token(stack)}"}, timeout=30) as http:
        booking = (await http.get(f"{stack.bookings}/v1/bookings/{booking_id}")).json()
    decide_by = datetime.fromisoformat(booking["decide_by"])
    return local_day_label(decide_by, booking["time_zone"], EN)


async def test_a_member_waits_the_desk_approves_one_and_declines_another(
    browser: Browser, stack: Stack, offering_id: str
) -> None:
    member = await signed_in(browser, stack.frontdesk, member_token(stack))
    portal = await member.new_page()
    first = await book_in_browser(portal, stack, offering_id, 0)
    deadline = await deadline_words(stack, first)
    await expect(portal.locator("#booking-approval")).to_have_text(
        f"Awaiting confirmation by the park until {deadline}."
    )
    assert await axe_violations(portal) == []
    await portal.screenshot(path=str(SCREENSHOTS / "approval-awaiting.png"), full_page=True)
    second = await book_in_browser(portal, stack, offering_id, 1)
    await portal.goto(f"{stack.frontdesk}/member")
    await expect(portal.locator(f"li[data-booking='{first}']")).to_contain_text("Awaiting confirmation by the park")

    desk = await signed_in(browser, stack.frontdesk, desk_token(stack))
    page = await desk.new_page()
    await page.goto(f"{stack.frontdesk}/staff/sites/{SITE}/members/{MEMBER}")  # the member's page leads there too
    await expect(page.get_by_role("link", name="Approve or decline")).to_have_count(2)
    await page.goto(f"{stack.frontdesk}/staff/sites/{SITE}/today")
    await expect(page.locator("#approvals-count")).to_contain_text("2")
    await page.get_by_role("link", name="2 bookings await approval").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Bookings to approve")
    rows = page.locator("#approvals tbody tr")
    await expect(rows).to_have_count(2)
    await expect(rows.first).to_contain_text(ORGANISATION)
    await expect(rows.first).to_contain_text(PERSON_NAME)
    await expect(rows.first).to_contain_text(TITLE)
    await expect(rows.first).to_contain_text(deadline)
    assert await axe_violations(page) == []
    await page.screenshot(path=str(SCREENSHOTS / "approvals-queue.png"), full_page=True)
    stale = await desk.new_page()  # a second tab, left open on the queue as it was
    await stale.goto(f"{stack.frontdesk}/staff/sites/{SITE}/approvals")
    await portal.goto(f"{stack.frontdesk}/member/bookings/{first}")  # the member's page stays open meanwhile

    await page.locator(f"tr[data-booking='{first}']").get_by_role("button", name="Approve").click()
    await expect(page.locator(".notice")).to_have_text(
        f"Approved: {TITLE}, {ORGANISATION}. The member sees it confirmed."
    )
    await expect(page.locator("#approvals tbody tr")).to_have_count(1)
    # the member's open page learns the decision by itself (it asks again every 10 s while awaiting)
    await expect(portal.locator("#booking-done")).to_be_visible(timeout=30_000)

    await page.locator(f"tr[data-booking='{second}']").get_by_role("link", name=re.compile(r"^Decline…")).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Decline the booking")
    await expect(page.locator("main")).to_contain_text(PERSON_NAME)
    await page.get_by_label("Reason for declining").fill("   ")  # passes the browser's `required`, not ours
    await page.get_by_role("button", name="Decline the booking").click()
    await expect(page.locator("#note-error")).to_have_text("Write the reason for declining: the member will read it.")
    await expect(page.get_by_label("Reason for declining")).to_have_attribute("aria-invalid", "true")
    assert await axe_violations(page) == []
    await page.get_by_label("Reason for declining").fill(REASON)
    await page.get_by_role("button", name="Decline the booking").click()
    await expect(page.locator(".notice")).to_have_text(f"Declined: {TITLE}. The member reads your reason.")
    await expect(page.locator("#approvals-empty")).to_be_visible()

    await stale.locator(f"tr[data-booking='{second}']").get_by_role("button", name="Approve").click()
    await expect(stale.locator(".notice")).to_contain_text("Already decided: ")
    await desk.close()

    await portal.reload()
    await expect(portal.locator("#booking-status")).to_contain_text("confirmed")
    await portal.goto(f"{stack.frontdesk}/member/bookings/{second}")
    await expect(portal.locator("#rejected-why")).to_contain_text(EN("rejected.declined"))
    await expect(portal.locator("#booking-approval")).to_have_text(EN("approvals.their_note", note=REASON))
    assert await axe_violations(portal) == []
    await portal.screenshot(path=str(SCREENSHOTS / "approval-declined.png"), full_page=True)
    await portal.goto(f"{stack.frontdesk}/member")
    declined = portal.locator(f"li[data-booking='{second}']")
    await expect(declined).to_contain_text(EN("approvals.their_note", note=REASON))
    await expect(declined.locator(".why-detail")).to_have_count(1)  # the reason once, not again as bookings' detail
    refused = await portal.goto(f"{stack.frontdesk}/staff/sites/{SITE}/approvals")
    assert refused is not None
    assert refused.status == 403
    await member.close()


async def test_a_member_withdraws_a_booking_while_it_awaits(browser: Browser, stack: Stack, offering_id: str) -> None:
    member = await signed_in(browser, stack.frontdesk, member_token(stack))
    portal = await member.new_page()
    booking_id = await book_in_browser(portal, stack, offering_id, 2)
    await portal.get_by_role("link", name="Cancel this booking").click()
    await portal.get_by_role("button", name="Yes, cancel the booking").click()
    await expect(portal.locator("#booking-status")).to_contain_text("cancelled")
    await member.close()
    async with stack.browser(desk_token(stack), headers={"Accept-Language": "en"}) as desk:
        queue = await desk.get(f"/staff/sites/{SITE}/approvals")
    assert queue.status_code == 200
    assert booking_id not in queue.text


async def test_two_desks_deciding_one_booking_at_once_end_with_one_outcome(
    browser: Browser, stack: Stack, offering_id: str
) -> None:
    """Six desks at once, three approving and three declining: bookings keeps one decision, and every
    other desk is told it was already decided (none is told it succeeded too)."""
    member = await signed_in(browser, stack.frontdesk, member_token(stack))
    portal = await member.new_page()
    booking_id = await book_in_browser(portal, stack, offering_id, 3)
    await member.close()
    headers = {"Accept-Language": "en"}
    desks = [stack.browser(desk_token(stack), headers=headers) for _ in range(6)]
    try:
        base = f"/staff/sites/{SITE}/approvals/{booking_id}"
        answers = await asyncio.gather(
            *(
                desk.post(f"{base}/approve", data={"idempotency_key": f"race-approve-{i}", "member": ORGANISATION})
                if i % 2 == 0
                else desk.post(f"{base}/decline", data={"idempotency_key": f"race-decline-{i}", "note": REASON})
                for i, desk in enumerate(desks)
            )
        )
    finally:
        for desk in desks:
            await desk.aclose()
    notices = [httpx.URL(a.headers["location"]).params.get("notice", "") for a in answers]
    assert all(a.status_code == 303 for a in answers), [a.status_code for a in answers]
    decided = [n for n in notices if n.startswith(("Approved:", "Declined:"))]
    assert len(decided) == 1, notices
    assert sum(n.startswith("Already decided: ") for n in notices) == 5, notices
