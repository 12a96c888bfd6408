"""The audit trail in the web app (issue 22, item 4), in Chromium against the real stack: an admin
registers a member and changes its sector through community's API; another admin finds the change
on /staff/audit (who, when, the field before and after), follows the actor's link, filters by
kind, and the page passes axe; a front desk is not let in and sees no link to it."""

from __future__ import annotations

import httpx
import pytest
from frontdesk_support import SCREENSHOTS, SITE, Stack, axe_violations, member_body, signed_in, until_accepted
from playwright.async_api import Browser, expect

from parkgrid.auth import Role

pytest_plugins = ["frontdesk_fixtures"]

pytestmark = [pytest.mark.asyncio(loop_scope="session")]

MEMBER = "m-fd-audit"


async def test_an_admin_finds_who_changed_a_member_what_and_when(browser: Browser, stack: Stack) -> None:
    ana = {"Authorization": f"Bearer {stack.token(Role.ADMIN, subject='admin-ana')}"}
    async with httpx.AsyncClient(headers=ana, timeout=30) as http:
        registered = await until_accepted(
            http, f"{stack.community}/v1/members", member_body(MEMBER, "Audit Labs", SITE, [])
        )
        assert registered.status_code == 201, registered.text
        moved = await http.patch(
            f"{stack.community}/v1/members/{MEMBER}",
            json={"sector": "fintech"},
            headers={"If-Match": registered.headers["ETag"]},
        )
        assert moved.status_code == 200, moved.text

    context = await signed_in(browser, stack.frontdesk, stack.token(Role.ADMIN, subject="admin-root"))
    page = await context.new_page()
    await page.goto(f"{stack.frontdesk}/staff/dashboard")
    await page.get_by_role("link", name="Audit trail").click()
    await expect(page.get_by_role("heading", name="Audit trail")).to_be_visible()
    await page.get_by_label("Object (id)").fill(MEMBER)
    await page.get_by_role("button", name="Show").click()
    entries = page.locator("ol.audit > li")
    for _ in range(60):  # insights records the member's events as they arrive
        if await entries.count() == 2:
            break
        await page.wait_for_timeout(500)
        await page.reload()
    await expect(entries).to_have_count(2)
    latest, first = entries.nth(0), entries.nth(1)
    await expect(latest).to_contain_text("Member")
    await expect(latest).to_contain_text(MEMBER)
    await expect(latest.locator(".audit-who")).to_contain_text("By admin admin-ana")
    sector = latest.locator("tr", has=page.locator("th code", has_text="sector"))
    await expect(sector.locator("td").nth(0)).to_have_text("agritech")
    await expect(sector.locator("td").nth(1)).to_have_text("fintech")
    await expect(first).to_contain_text("Created: its first event.")
    assert await axe_violations(page) == []
    await page.screenshot(path=str(SCREENSHOTS / "audit-member.png"), full_page=True)

    await latest.get_by_role("link", name="admin admin-ana").click()
    await expect(page).to_have_url(f"{stack.frontdesk}/staff/audit?actor=admin%3Aadmin-ana")
    await expect(page.get_by_label("Who")).to_have_value("admin:admin-ana")
    await expect(page.locator("ol.audit > li", has_text=MEMBER)).to_have_count(2)

    await page.get_by_label("Object (id)").fill(MEMBER)
    await page.get_by_label("Kind").select_option(label="Offering")
    await page.get_by_role("button", name="Show").click()
    await expect(page.locator("#audit-none")).to_have_text("No change matches.")
    await context.close()

    desk = await signed_in(browser, stack.frontdesk, stack.staff)
    page = await desk.new_page()
    refused = await page.goto(f"{stack.frontdesk}/staff/audit")
    assert refused is not None
    assert refused.status == 403
    await page.goto(f"{stack.frontdesk}/staff/sites/{SITE}/today")
    await expect(page.get_by_role("link", name="Audit trail")).to_have_count(0)
    await desk.close()
