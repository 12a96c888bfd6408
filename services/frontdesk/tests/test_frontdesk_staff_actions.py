"""Issue 24: the staff actions of the last round, driven in real Chromium against the real
services of frontdesk_support (over the real broker): a residency extended, moved and ended
(through its confirmation page); a day pass in a hot-desk area; the office waitlist (an office
offered to the first in line and accepted, another declined); the "More" links of a member's
upcoming bookings (portal and desk); a double submit of the desk's booking form making one
booking; a member based at another site who booked here, on the desk's member page.

The module keeps to a site of its own (`site-fda`), its spaces, members and offering, so the
suite's other tests (one stack per session) see none of it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import pytest_asyncio
from frontdesk_support import (
    SCREENSHOTS,
    ZONE,
    Stack,
    eventually,
    offering_body,
    published_offering,
    signed_in,
    until_accepted,
)
from playwright.async_api import Browser, Page, expect

from parkgrid.auth import Role

pytest_plugins = ["frontdesk_fixtures"]

pytestmark = [pytest.mark.asyncio(loop_scope="session")]

SITE = "site-fda"
ELSEWHERE = "site-fda-rabat"
WEEK = [{"weekday": d, "opens": "08:00", "closes": "19:00"} for d in range(1, 8)]
RESIDENT, FIRST, SECOND, BUSY, VISITOR = "m-fda-resident", "m-fda-first", "m-fda-second", "m-fda-busy", "m-fda-visitor"
OFFICES = [
    ("sp-fda-a", "Bureau A", 4),
    ("sp-fda-b", "Bureau B", 4),
    ("sp-fda-c", "Bureau C", 2),
    ("sp-fda-d", "Bureau D", 2),
]


def person(member_id: str) -> str:
    return member_id.replace("m-", "p-")


class Desk:
    def __init__(self, stack: Stack, offering_id: str) -> None:
        self.stack = stack
        self.offering_id = offering_id
        self.staff = stack.token(Role.FRONT_DESK, sites=[SITE])

    def member(self, member_id: str) -> str:
        return self.stack.token(Role.MEMBER, member_id=member_id, person_id=person(member_id))

    def page_of(self, member_id: str) -> str:
        return f"{self.stack.frontdesk}/staff/sites/{SITE}/members/{member_id}"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def desk(stack: Stack) -> AsyncIterator[Desk]:
    """site-fda (four offices, a hot-desk area), site-fda-rabat, five members, a mentoring offering at site-fda."""
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {stack.admin}"}, timeout=30) as http:
        for site_id, name in ((SITE, "Technopark Actions"), (ELSEWHERE, "Rabat Annexe")):
            body = {"site_id": site_id, "name": name, "city": "Rabat", "country": "MA", "time_zone": ZONE}
            created = await http.post(f"{stack.spaces}/v1/sites", json=body | {"opening_hours": WEEK})
            assert created.status_code == 201, created.text
        spaces: list[dict[str, Any]] = [
            {"space_id": s, "name": n, "kind": "private_office", "capacity": c} for s, n, c in OFFICES
        ]
        spaces.append({"space_id": "sp-fda-hot", "name": "Open space", "kind": "hot_desk_area", "capacity": 10})
        for space in spaces:
            created = await http.post(f"{stack.spaces}/v1/sites/{SITE}/spaces", json=space)
            assert created.status_code == 201, created.text
        for member_id in (RESIDENT, FIRST, SECOND, BUSY, VISITOR):
            member_body = {
                "member_id": member_id,
                "name": f"Org {member_id[6:].title()}",
                "kind": "startup",
                "sector": "agritech",
                "home_site_id": ELSEWHERE if member_id == VISITOR else SITE,
                "stage": "incubation",
                "started_on": "2026-01-05",
                "people": [
                    {
                        "person_id": person(member_id),
                        "name": f"Person {member_id[6:].title()}",
                        "email": f"{member_id}@fda.example",
                        "role": "CEO",
                    }
                ],
            }
            created = await until_accepted(http, f"{stack.community}/v1/members", member_body)
            assert created.status_code == 201, created.text
        offering = offering_body("Growth mentoring", "mentoring", ["startup"]) | {
            "site_id": SITE,
            "seats_per_session": 5,
        }
        offering_id = await published_offering(http, stack, offering, "fda")
    yield Desk(stack, offering_id)


async def open_page(browser: Browser, desk: Desk, token: str, url: str) -> Page:
    context = await signed_in(browser, desk.stack.frontdesk, token)
    page = await context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    await page.goto(url)
    return page


async def test_a_residency_extended_moved_and_ended(browser: Browser, desk: Desk) -> None:
    today = datetime.now(ZoneInfo(ZONE)).date()
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {desk.staff}"}, timeout=30) as http:
        body = {
            "member_id": RESIDENT,
            "site_id": SITE,
            "space_id": "sp-fda-a",
            "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=60)).isoformat(),
        }
        started = await until_accepted(http, f"{desk.stack.spaces}/v1/residencies", body)
        assert started.status_code == 201, started.text
    page = await open_page(browser, desk, desk.staff, desk.page_of(RESIDENT))
    residency = page.locator(".residency").first
    await expect(residency).to_contain_text("Bureau A")

    until = today + timedelta(days=120)
    await residency.get_by_label("Extend until").fill(until.isoformat())
    await residency.get_by_role("button", name="Extend").click()
    await expect(page.locator(".notice")).to_contain_text(f"ends on {until:%d/%m/%Y}")

    residency = page.locator(".residency").first
    await residency.get_by_label("Move to").select_option("sp-fda-b")
    await residency.get_by_label("From").fill((today + timedelta(days=1)).isoformat())
    await residency.get_by_role("button", name="Move").click()
    await expect(page.locator(".notice")).to_contain_text("The residency is moved.")

    await page.locator(".residency").first.get_by_role("link", name="End this residency").click()
    await expect(page.get_by_role("heading", name="End this residency?")).to_be_visible()
    await page.get_by_label("Last day").fill((today + timedelta(days=30)).isoformat())
    await page.get_by_role("button", name="Yes, end it").click()
    await expect(page.locator(".notice")).to_contain_text("ended")
    assert "/end" not in page.url
    await page.screenshot(path=str(SCREENSHOTS / "desk-residency.png"), full_page=True)
    await page.context.close()


async def test_a_day_pass_in_a_hot_desk_area(browser: Browser, desk: Desk) -> None:
    page = await open_page(browser, desk, desk.staff, desk.page_of(FIRST))
    section = page.locator("section[aria-labelledby='day-pass-title']")
    await expect(section.get_by_label("Office or desk")).to_have_value("sp-fda-hot")
    await section.get_by_role("button", name="Issue the day pass").click()
    await expect(page.locator(".notice")).to_contain_text("places taken")
    await expect(page.locator(".notice")).to_contain_text("1/10")
    await page.context.close()


async def test_the_office_waitlist_offer_accept_and_decline(browser: Browser, desk: Desk) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        for member_id in (FIRST, SECOND):
            joined = await until_accepted(
                http,
                f"{desk.stack.spaces}/v1/office-waitlist",
                {"site_id": SITE, "member_id": member_id, "seats": 2},
                Authorization=f"Bearer {desk.member(member_id)}",
            )
            assert joined.status_code in (200, 201), joined.text
    page = await open_page(browser, desk, desk.staff, f"{desk.stack.frontdesk}/staff/sites/{SITE}/waitlist")
    offer = page.locator("section[aria-labelledby='offer-title']")
    await offer.get_by_label("Office or desk").select_option("sp-fda-c")
    await offer.get_by_role("button", name="Offer to the first in line").click()
    await expect(page.locator(".notice")).to_contain_text(f"offered to {FIRST}")
    await page.get_by_role("button", name="Confirm the offer: Org First").click()
    await expect(page.locator(".notice")).to_contain_text("The residency starts.")

    offer = page.locator("section[aria-labelledby='offer-title']")
    await offer.get_by_label("Office or desk").select_option("sp-fda-d")
    await offer.get_by_role("button", name="Offer to the first in line").click()
    await expect(page.locator(".notice")).to_contain_text(f"offered to {SECOND}")
    await page.get_by_role("button", name="Declined: Org Second").click()
    await expect(page.locator(".notice")).to_contain_text("Declined: the office goes to the next in line.")
    await page.context.close()

    # the member who accepted is resident in Bureau C
    member = await open_page(browser, desk, desk.staff, desk.page_of(FIRST))
    await expect(member.locator(".residency")).to_contain_text("Bureau C")
    await member.context.close()


async def book_many(desk: Desk, member_id: str, count: int) -> list[str]:
    """`count` bookings of the member's, one session each, through bookings' API (the member's token)."""
    headers = {"Authorization": f"Bearer {desk.member(member_id)}"}
    async with httpx.AsyncClient(headers=headers, timeout=30) as http:
        first = datetime.now(ZoneInfo(ZONE)).date() + timedelta(days=1)
        slots = await http.get(
            f"{desk.stack.bookings}/v1/offerings/{desk.offering_id}/slots",
            params={"from": first.isoformat(), "to": (first + timedelta(days=6)).isoformat()},
        )
        assert slots.status_code == 200, slots.text
        starts = [s["starts_at"] for s in slots.json()["items"]][:count]
        assert len(starts) == count
        made = []
        for at in starts:
            body = {"offering_id": desk.offering_id, "member_id": member_id, "starts_at": at, "party_size": 1}
            booked = await http.post(f"{desk.stack.bookings}/v1/bookings", json=body, headers={"Idempotency-Key": at})
            assert booked.status_code in (201, 202), booked.text
            made.append(booked.json()["booking_id"])
        return made


async def test_more_pages_a_members_upcoming_bookings(browser: Browser, desk: Desk) -> None:
    made = set(await book_many(desk, BUSY, 12))
    seen: set[str] = set()
    page = await open_page(browser, desk, desk.member(BUSY), f"{desk.stack.frontdesk}/member")
    rows = page.locator("ul.bookings").first.locator("li[data-booking]")
    await expect(rows).to_have_count(10)
    seen |= {await r.get_attribute("data-booking") or "" for r in await rows.all()}
    await page.get_by_role("link", name="More").first.click()
    await expect(rows).to_have_count(2)
    seen |= {await r.get_attribute("data-booking") or "" for r in await rows.all()}
    assert seen == made
    await page.context.close()

    staff = await open_page(browser, desk, desk.staff, desk.page_of(BUSY))
    section = staff.locator("section[aria-labelledby='upcoming-title']")
    await expect(section.locator("li[data-booking]")).to_have_count(10)
    await section.get_by_role("link", name="More").click()
    await expect(section.locator("li[data-booking]")).to_have_count(2)
    await staff.context.close()


async def test_a_double_submit_of_the_desks_booking_form_makes_one_booking(browser: Browser, desk: Desk) -> None:
    page = await open_page(browser, desk, desk.staff, desk.page_of(SECOND))
    await page.get_by_label("Offering").select_option(desk.offering_id)
    await page.get_by_role("button", name="Free slots").click()
    chosen = page.locator("fieldset.slot-day").nth(1).locator("input[name=starts_at]").first
    starts_at = await chosen.get_attribute("value") or ""
    await chosen.check()
    # the form sent twice as a double click sends it: the same body, the same Idempotency-Key
    statuses = await page.evaluate(
        """async () => {
            const form = document.querySelector("form[action$='/bookings']");
            const body = new URLSearchParams(new FormData(form));
            const send = () => fetch(form.action, {method: "POST", body, redirect: "manual"}).then(r => r.type);
            return await Promise.all([send(), send()]);
        }"""
    )
    assert len(statuses) == 2
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {desk.staff}"}, timeout=30) as http:

        async def one() -> bool:
            found = await http.get(f"{desk.stack.bookings}/v1/bookings", params={"member_id": SECOND, "limit": 100})
            at = datetime.fromisoformat(starts_at)
            same = [b for b in found.json()["items"] if datetime.fromisoformat(b["session"]["starts_at"]) == at]
            return len(same) == 1

        await eventually(one, "one booking of that session")
        await asyncio.sleep(1)  # the second submit has had its answer: still one
        assert await one()
    await page.context.close()


async def test_a_member_based_elsewhere_who_booked_here_shows_on_the_desks_member_page(
    browser: Browser, desk: Desk
) -> None:
    """Community will not show this desk a member based at another site, so the page names it
    from the web app's own projection, says where it is based, shows its bookings here, and
    offers none of the panels only its own site's desk can use (no wall of refusals)."""
    [booking_id] = await book_many(desk, VISITOR, 1)
    cookies = {"parkgrid_token": desk.staff, "parkgrid_lang": "en"}
    async with httpx.AsyncClient(cookies=cookies, timeout=30) as http:

        async def named() -> bool:  # the web app's member projection has caught up
            return "<h1>Org Visitor</h1>" in (await http.get(desk.page_of(VISITOR))).text

        await eventually(named, "the member based elsewhere named on the desk's page")
    page = await open_page(browser, desk, desk.staff, desk.page_of(VISITOR))
    await expect(page.locator("h1")).to_have_text("Org Visitor")
    await expect(page.locator("#based-elsewhere")).to_contain_text("Rabat Annexe")
    section = page.locator("section[aria-labelledby='upcoming-title']")
    await expect(section.locator(f"[data-booking='{booking_id}']")).to_have_count(1)
    await expect(section).to_contain_text("Growth mentoring")
    await expect(page.locator("[role='alert']")).to_have_count(0)
    for panel in ("book-title", "registrations-title", "entitlements-title", "residency-title"):
        await expect(page.locator(f"section[aria-labelledby='{panel}']")).to_have_count(0)
    await page.screenshot(path=str(SCREENSHOTS / "desk-member-elsewhere.png"), full_page=True)
    await page.context.close()


async def test_an_empty_today_leads_to_the_sites_next_booked_day(browser: Browser, desk: Desk) -> None:
    """Nothing is booked at the site today (its sessions start tomorrow at the earliest): Today
    says so and links to the next day that has bookings, which shows them."""
    [booking_id] = await book_many(desk, FIRST, 1)
    today = datetime.now(ZoneInfo(ZONE)).date()
    page = await open_page(browser, desk, desk.staff, f"{desk.stack.frontdesk}/staff/sites/{SITE}/today")
    following = page.locator("#next-booked-day")
    await expect(following).to_have_count(1)
    href = await following.get_attribute("href")
    assert href is not None
    day = datetime.strptime(href.rsplit("date=", 1)[1], "%Y-%m-%d").date()
    assert today < day <= today + timedelta(days=7)
    await following.click()
    await expect(page.locator("[data-booking]").first).to_be_visible()
    if day == (await booked_day(desk, booking_id)):
        await expect(page.locator(f"[data-booking='{booking_id}']").first).to_be_visible()
    await expect(page.locator("#next-booked-day")).to_have_count(0)
    await page.context.close()


async def booked_day(desk: Desk, booking_id: str) -> Any:
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {desk.staff}"}, timeout=30) as http:
        got = await http.get(f"{desk.stack.bookings}/v1/bookings/{booking_id}")
        assert got.status_code == 200, got.text
        return datetime.fromisoformat(got.json()["session"]["starts_at"]).astimezone(ZoneInfo(ZONE)).date()
