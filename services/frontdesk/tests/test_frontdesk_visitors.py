"""Issue 25's visitors in real Chromium against the real services of frontdesk_support (over the
real broker): a member invites a guest from the portal (a refusal next to its field, in the
reader's language; a double submit of the form is one visit) and cancels another through its
confirmation page; the desk's Today shows the day's expected visitors with their host, live, and
checks one in (Arrived) and out (Left); the desk expects a guest from the member's page.

The module keeps to a site of its own (`site-fdv`, open every day) and one member, so the
suite's other tests (one stack per session) see none of it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
import pytest_asyncio
from frontdesk_support import SCREENSHOTS, ZONE, Stack, eventually, member_body, signed_in, until_accepted
from playwright.async_api import Browser, Page, expect

from parkgrid.auth import Role

pytest_plugins = ["frontdesk_fixtures"]

pytestmark = [pytest.mark.asyncio(loop_scope="session")]

SITE = "site-fdv"
MEMBER, PERSON = "m-fdv-host", "p-fdv-host"
EVERY_DAY = [{"weekday": d, "opens": "00:00", "closes": "23:59"} for d in range(1, 8)]


class Visits:
    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.staff = stack.token(Role.FRONT_DESK, sites=[SITE])
        self.member = stack.token(Role.MEMBER, member_id=MEMBER, person_id=PERSON)
        self.today = datetime.now(ZoneInfo(ZONE)).date()

    async def of_member(self) -> list[dict[str, str]]:
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {self.member}"}, timeout=30) as http:
            found = await http.get(f"{self.stack.spaces}/v1/visits", params={"member_id": MEMBER})
            assert found.status_code == 200, found.text
            items: list[dict[str, str]] = found.json()["items"]
            return items

    async def status_of(self, guest_name: str) -> str:
        return {v["guest_name"]: v["status"] for v in await self.of_member()}[guest_name]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def visits(stack: Stack) -> AsyncIterator[Visits]:
    """site-fdv and its member organisation, whose person hosts; a guest already expected today (by the API)."""
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {stack.admin}"}, timeout=30) as http:
        body = {"site_id": SITE, "name": "Technopark Visites", "city": "Oujda", "country": "MA", "time_zone": ZONE}
        created = await http.post(f"{stack.spaces}/v1/sites", json=body | {"opening_hours": EVERY_DAY})
        assert created.status_code == 201, created.text
        host = {"person_id": PERSON, "name": "Hind Host", "email": "hind@fdv.example", "role": "CEO"}
        member = member_body(MEMBER, "Atlas Hosting", SITE, [host])
        created = await until_accepted(http, f"{stack.community}/v1/members", member)
        assert created.status_code == 201, created.text
    made = Visits(stack)
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {made.member}"}, timeout=30) as http:
        guest = {"site_id": SITE, "day": made.today.isoformat(), "member_id": MEMBER, "guest_name": "Karim Benali"}
        # until spaces has projected the member (community.member)
        expected = await until_accepted(http, f"{stack.spaces}/v1/visits", guest | {"expected_at": "09:00"})
        assert expected.status_code == 201, expected.text
    yield made


async def open_page(browser: Browser, visits: Visits, token: str, path: str) -> Page:
    context = await signed_in(browser, visits.stack.frontdesk, token)
    page = await context.new_page()
    await page.goto(f"{visits.stack.frontdesk}{path}")
    return page


async def test_a_member_invites_a_guest_and_cancels_another(browser: Browser, visits: Visits) -> None:
    page = await open_page(browser, visits, visits.member, "/member")
    await page.get_by_role("link", name="Visitors").click()
    await expect(page.get_by_role("heading", name="My visitors")).to_be_visible()
    form = page.locator("form[action='/member/visitors']")
    await expect(form.get_by_label("Site")).to_have_value(SITE)
    await expect(form.get_by_label("Day of the visit")).to_have_value(visits.today.isoformat())

    # a name of spaces only: spaces refuses it (422 guest_name), the sentence lands next to the field
    await form.get_by_label("Visitor's name").fill("   ")
    await form.get_by_label("Company (optional)").fill("Maghreb Seed Fund")
    await form.get_by_role("button", name="Invite").click()
    await expect(page.locator("#guest_name-error")).to_have_text(
        "Give the visitor's name, on one line (200 characters at most)."
    )
    await expect(page.get_by_label("Visitor's name")).to_have_attribute("aria-invalid", "true")
    await expect(page.get_by_label("Company (optional)")).to_have_value("Maghreb Seed Fund")

    form = page.locator("form[action='/member/visitors']")
    await form.get_by_label("Visitor's name").fill("Salma Idrissi")
    await form.get_by_label("Expected at (optional)").fill("10:30")
    await form.get_by_role("button", name="Invite").click()
    await expect(page.locator(".notice")).to_have_text(f"Salma Idrissi is expected on {visits.today:%d/%m/%Y}.")
    salma = page.locator("li[data-visit]", has_text="Salma Idrissi")
    await expect(salma).to_contain_text("10:30")
    await expect(salma).to_contain_text("Maghreb Seed Fund")
    await expect(salma).to_contain_text("expected")

    # the form sent twice as a double click sends it: the same body, the same Idempotency-Key
    form = page.locator("form[action='/member/visitors']")
    await form.get_by_label("Visitor's name").fill("Nadia El Fassi")
    statuses = await page.evaluate(
        """async () => {
            const form = document.querySelector("form[action='/member/visitors']");
            const body = new URLSearchParams(new FormData(form));
            const send = () => fetch(form.action, {method: "POST", body, redirect: "manual"}).then(r => r.type);
            return await Promise.all([send(), send()]);
        }"""
    )
    assert len(statuses) == 2

    async def nadia_once() -> bool:
        return [v["guest_name"] for v in await visits.of_member()].count("Nadia El Fassi") == 1

    await eventually(nadia_once, "one visit for a double submit")
    await page.reload()
    nadia = page.locator("li[data-visit]", has_text="Nadia El Fassi")
    await expect(nadia).to_have_count(1)
    await nadia.get_by_role("link", name="Cancel the visit").click()
    await expect(page.get_by_role("heading", name="Cancel the visit")).to_be_visible()
    await expect(page.locator("main")).to_contain_text("Nadia El Fassi, expected on")
    await page.get_by_role("button", name="Yes, cancel the visit").click()
    await expect(page.locator(".notice")).to_have_text("The visit is cancelled.")
    nadia = page.locator("li[data-visit]", has_text="Nadia El Fassi")
    await expect(nadia).to_contain_text("cancelled")
    await expect(nadia.get_by_role("link")).to_have_count(0)
    assert await visits.status_of("Nadia El Fassi") == "cancelled"
    await page.screenshot(path=str(SCREENSHOTS / "member-visitors.png"), full_page=True)
    await page.context.close()


async def test_the_desk_checks_the_days_guest_in_and_out(browser: Browser, visits: Visits) -> None:
    page = await open_page(browser, visits, visits.staff, f"/staff/sites/{SITE}/today")
    panel = page.locator("section[aria-labelledby='visitors-title']")
    await expect(panel.get_by_role("heading", name="Expected visitors")).to_be_visible()
    karim = panel.locator("li.visit", has_text="Karim Benali")
    await expect(karim).to_contain_text("09:00")
    await expect(karim).to_contain_text("guest of Atlas Hosting")
    await expect(karim).to_contain_text("expected")

    await karim.get_by_role("button", name="Arrived").click()
    await expect(page.locator(".notice")).to_have_text("Arrival recorded: the host is told.")
    karim = page.locator("section[aria-labelledby='visitors-title'] li.visit", has_text="Karim Benali")
    await expect(karim).to_contain_text("arrived")
    await karim.get_by_role("button", name="Left").click()
    await expect(page.locator(".notice")).to_have_text("Departure recorded.")
    karim = page.locator("section[aria-labelledby='visitors-title'] li.visit", has_text="Karim Benali")
    await expect(karim).to_contain_text("left")
    await expect(karim.get_by_role("button")).to_have_count(0)
    assert await visits.status_of("Karim Benali") == "left"
    await page.screenshot(path=str(SCREENSHOTS / "desk-visitors.png"), full_page=True)
    await page.context.close()


async def test_a_guest_invited_while_the_desk_looks_appears_on_today_live(browser: Browser, visits: Visits) -> None:
    page = await open_page(browser, visits, visits.staff, f"/staff/sites/{SITE}/today")
    await expect(page.locator("#live-state")).to_have_class("dot on")
    panel = page.locator("section[aria-labelledby='visitors-title']")
    await expect(panel.locator("li.visit", has_text="Youssef Alaoui")).to_have_count(0)
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {visits.member}"}, timeout=30) as http:
        guest = {"site_id": SITE, "day": visits.today.isoformat(), "member_id": MEMBER, "guest_name": "Youssef Alaoui"}
        invited = await http.post(f"{visits.stack.spaces}/v1/visits", json=guest | {"expected_at": "16:45"})
        assert invited.status_code == 201, invited.text
    youssef = panel.locator("li.visit", has_text="Youssef Alaoui")
    await expect(youssef).to_contain_text("16:45", timeout=20_000)  # no reload: the live feed refreshed the panel
    await expect(youssef.get_by_role("button", name="Arrived")).to_be_visible()
    await expect(page.locator("#live-feed li").first).to_contain_text("visit expected")
    await page.context.close()


async def test_the_desk_expects_a_guest_for_a_members_person(browser: Browser, visits: Visits) -> None:
    page = await open_page(browser, visits, visits.staff, f"/staff/sites/{SITE}/members/{MEMBER}")
    section = page.locator("section[aria-labelledby='visit-title']")
    await expect(section.get_by_label("Guest of")).to_have_value(PERSON)
    await section.get_by_label("Visitor's name").fill("Omar Chraibi")
    await section.get_by_label("Day of the visit").fill((visits.today - timedelta(days=1)).isoformat())
    await section.get_by_role("button", name="Expect this visitor").click()
    # spaces refuses a day past (422 day): the sentence next to the field, what was typed kept
    section = page.locator("section[aria-labelledby='visit-title']")
    await expect(page.locator("#day-error")).to_have_text(
        "Choose a day the site is open, from today and within a year."
    )
    await expect(section.get_by_label("Visitor's name")).to_have_value("Omar Chraibi")

    await section.get_by_label("Day of the visit").fill(visits.today.isoformat())
    await section.get_by_label("Expected at (optional)").fill("17:15")
    await section.get_by_role("button", name="Expect this visitor").click()
    await expect(page.locator(".notice")).to_have_text(f"Omar Chraibi is expected on {visits.today:%d/%m/%Y}.")
    await page.goto(f"{visits.stack.frontdesk}/staff/sites/{SITE}/today")
    omar = page.locator("section[aria-labelledby='visitors-title'] li.visit", has_text="Omar Chraibi")
    await expect(omar).to_contain_text("17:15")
    await expect(omar).to_contain_text("guest of Atlas Hosting")
    await page.context.close()
