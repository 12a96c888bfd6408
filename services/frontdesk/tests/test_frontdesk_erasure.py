"""Erasing someone at their request (issue 22, item 3), in Chromium against the real services over
the real broker: an admin opens a member's page, chooses "Erase…" beside one of its people, reads
what erasure means on a confirmation page and confirms; the member's page no longer lists them,
and insights, which had their sealed name and address in its fact log (its audit trail shows it),
has forgotten them while it keeps the other person. An organisation that left is erased whole, from
one link. A front desk sees no "Erase…" and is refused the page. Each page passes axe."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
import pytest_asyncio
from frontdesk_support import SITE, Stack, axe_violations, member_body, signed_in, until_accepted
from playwright.async_api import Browser, expect

from parkgrid.auth import Role

pytest_plugins = ["frontdesk_fixtures"]

pytestmark = [pytest.mark.asyncio(loop_scope="session")]

MEMBER = "m-fd-erase"
ORGANISATION = "Oujda Solar"
NADIA = {"person_id": "p-fd-erase-nadia", "name": "Nadia Berrada", "email": "nadia@oujda-solar.example", "role": "CEO"}
OMAR = {"person_id": "p-fd-erase-omar", "name": "Omar Tazi", "email": "omar@oujda-solar.example", "role": "CTO"}


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def member(stack: Stack) -> str:
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {stack.admin}"}, timeout=30) as http:
        created = await until_accepted(
            http, f"{stack.community}/v1/members", member_body(MEMBER, ORGANISATION, SITE, [NADIA])
        )
        assert created.status_code in (200, 201), created.text
        # He joins later: the audit trail shows who joined (a creation lists no changes).
        joined = await http.post(f"{stack.community}/v1/members/{MEMBER}/people", json=OMAR)
        assert joined.status_code == 201, joined.text
    return MEMBER


async def audit_of(stack: Stack, until: str, within: float = 45) -> str:
    """Insights' audit trail of the member (its fact log, as admins read it), once it holds `until`."""
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {stack.admin}"}, timeout=30) as http:
        while True:
            answer = await http.get(f"{stack.insights}/v1/audit", params={"object_id": MEMBER})
            assert answer.status_code == 200, answer.text
            if until in answer.text:
                return answer.text
            assert time.monotonic() < deadline, f"insights' audit of {MEMBER} never held {until!r}: {answer.text}"
            await asyncio.sleep(0.3)


async def test_an_admin_erases_a_person_and_insights_forgets_them(browser: Browser, stack: Stack, member: str) -> None:
    # Insights' fact log holds his arrival, his name and address sealed under his key, as the log does.
    before = await audit_of(stack, "parkgrid.community.member.person_added")
    assert f"shredded:v1:{OMAR['person_id']}:" in before
    assert OMAR["email"] not in before

    admin = await signed_in(browser, stack.frontdesk, stack.admin)
    page = await admin.new_page()
    await page.goto(f"{stack.frontdesk}/staff/sites/{SITE}/members/{member}")
    await page.get_by_role("link", name=f"Erase {OMAR['name']}").click()
    await expect(page.locator("h1")).to_have_text(f"Erase {OMAR['name']}")
    await expect(page.locator("#erase-what")).to_contain_text(ORGANISATION)
    await expect(page.get_by_text("This cannot be undone.")).to_be_visible()
    assert await axe_violations(page) == []
    await page.get_by_role("button", name=f"Erase {OMAR['name']}").click()

    await page.wait_for_url(f"**/staff/sites/{SITE}/members/{member}?notice=*")
    await expect(page.locator(".notice").first).to_have_text("The person was erased.")
    people = page.locator("table.people tbody")
    await expect(people).to_contain_text(NADIA["name"])
    await expect(people).not_to_contain_text(OMAR["name"])
    assert await axe_violations(page) == []
    # Erasing twice (a second tab, a reload of the form) is no error: nothing more to erase.
    await page.goto(f"{stack.frontdesk}/staff/sites/{SITE}/members/{member}/people/{OMAR['person_id']}/erase")
    await expect(page.locator(".notice")).to_contain_text("erased already")
    await admin.close()

    after = await audit_of(stack, "parkgrid.community.member.person_erased")
    assert "parkgrid.community.member.person_added" not in after  # the fact about him alone went
    assert f"shredded:v1:{OMAR['person_id']}:" not in after  # and every sealed value of his
    assert OMAR["person_id"] in after  # the erasure names him by id alone


async def test_a_front_desk_may_not_erase_anyone(browser: Browser, stack: Stack, member: str) -> None:
    desk = await signed_in(browser, stack.frontdesk, stack.token(Role.FRONT_DESK, sites=[SITE]))
    page = await desk.new_page()
    await page.goto(f"{stack.frontdesk}/staff/sites/{SITE}/members/{member}")
    await expect(page.locator("table.people tbody")).to_contain_text(NADIA["name"])
    await expect(page.locator("a[href$='/erase']")).to_have_count(0)
    refused = await page.goto(
        f"{stack.frontdesk}/staff/sites/{SITE}/members/{member}/people/{NADIA['person_id']}/erase"
    )
    assert refused is not None
    assert refused.status == 403
    await desk.close()


async def test_an_organisation_that_left_is_erased_whole(browser: Browser, stack: Stack) -> None:
    gone, people = (
        "m-fd-erase-whole",
        [
            {"person_id": "p-fd-whole-1", "name": "Hind Alami", "email": "hind@closed.example", "role": "CEO"},
            {"person_id": "p-fd-whole-2", "name": "Yassine Idrissi", "email": "yassine@closed.example", "role": "CTO"},
        ],
    )
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {stack.admin}"}, timeout=30) as http:
        created = await until_accepted(
            http, f"{stack.community}/v1/members", member_body(gone, "Closed Ventures", SITE, people)
        )
        assert created.status_code in (200, 201), created.text
        left = await http.post(f"{stack.community}/v1/members/{gone}/leave", json={"reason": "closed down"})
        assert left.status_code == 200, left.text

    admin = await signed_in(browser, stack.frontdesk, stack.admin)
    page = await admin.new_page()
    await page.goto(f"{stack.frontdesk}/staff/sites/{SITE}/members/{gone}")
    await page.locator("#erase-everyone").click()
    await expect(page.locator("h1")).to_have_text("Erase everyone of Closed Ventures")
    await expect(page.locator("section.card .list")).to_contain_text("Yassine Idrissi")
    assert await axe_violations(page) == []
    await page.get_by_role("button", name="Erase everyone of Closed Ventures").click()
    await page.wait_for_url(f"**/staff/sites/{SITE}/members/{gone}?notice=*")
    await expect(page.locator(".notice").first).to_have_text("Everyone of the organisation was erased.")
    await expect(page.locator("table.people tbody tr")).to_have_count(0)
    await expect(page.locator("#erase-everyone")).to_have_count(0)
    await admin.close()
