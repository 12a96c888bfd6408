"""Members' data exports in the web app (issue 22, item 2), in Chromium against the real services over
the real broker: an admin exports an organisation from its page and follows the export while the
services answer (insights asks, bookings, community and spaces answer through their topics), then
downloads one JSON archive holding the organisation, both its people and its booking; a person of the
organisation exports only what concerns them from the member home; a front desk may not export.
Each page passes axe."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from frontdesk_support import (
    SITE,
    Stack,
    axe_violations,
    member_body,
    offering_body,
    published_offering,
    signed_in,
    until_accepted,
)
from playwright.async_api import Browser, Page, expect

from parkgrid.auth import Role

pytest_plugins = ["frontdesk_fixtures"]

pytestmark = [pytest.mark.asyncio(loop_scope="session")]

MEMBER = "m-fd-export"
ORGANISATION = "Ifrane Data"
ASMAE = {"person_id": "p-fd-export-asmae", "name": "Asmae Kettani", "email": "asmae@ifrane.example", "role": "CEO"}
KARIM = {"person_id": "p-fd-export-karim", "name": "Karim Sefrioui", "email": "karim@ifrane.example", "role": "CTO"}


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def booking_id(stack: Stack) -> str:
    """The organisation (two people) at the stack's site, and one booking of Asmae's."""
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {stack.admin}"}, timeout=30) as http:
        created = await until_accepted(
            http, f"{stack.community}/v1/members", member_body(MEMBER, ORGANISATION, SITE, [ASMAE, KARIM])
        )
        assert created.status_code in (200, 201), created.text
        body = offering_body("Data room hour", "mentoring", ["startup"])
        offering_id = await published_offering(http, stack, body, "export-mentoring", member_id=MEMBER)
        slots = await http.get(f"{stack.bookings}/v1/offerings/{offering_id}/slots")
        first = slots.json()["items"][0]["starts_at"]
        booked = await http.post(
            f"{stack.bookings}/v1/bookings",
            json={"offering_id": offering_id, "member_id": MEMBER, "person_id": ASMAE["person_id"], "starts_at": first},
            headers={"Idempotency-Key": "export-booking"},
        )
        assert booked.status_code == 201, booked.text
        return str(booked.json()["booking_id"])


async def ready_archive(page: Page) -> dict[str, Any]:
    """On an export's page: wait until it says ready (it reloads itself), then download the archive."""
    await page.wait_for_url(re.compile(r"/exports/ex-[^/]+$"))
    await expect(page.locator("#export-status")).to_have_text("Ready: every service has answered.", timeout=45_000)
    assert await axe_violations(page) == []
    async with page.expect_download() as download:
        await page.locator("#export-download").click()
    path = await (await download.value).path()
    archive: dict[str, Any] = json.loads(await asyncio.to_thread(Path(path).read_text))
    return archive


async def test_an_admin_exports_an_organisation_and_downloads_everything_it_holds(
    browser: Browser, stack: Stack, booking_id: str
) -> None:
    admin = await signed_in(browser, stack.frontdesk, stack.admin)
    page = await admin.new_page()
    await page.goto(f"{stack.frontdesk}/staff/sites/{SITE}/members/{MEMBER}")
    await page.get_by_role("button", name="Export the data").click()
    archive = await ready_archive(page)
    await expect(page.locator("#export-subject")).to_have_text(f"Organisation: {ORGANISATION}")
    await expect(page.locator("#export-services tbody tr")).to_have_count(3)
    await admin.close()

    assert archive["member_id"] == MEMBER
    assert set(archive["services"]) == {"bookings", "community", "spaces", "insights"}
    [organisation] = archive["services"]["community"]["members"]
    assert organisation["name"] == ORGANISATION
    assert {p["name"] for p in organisation["people"]} == {ASMAE["name"], KARIM["name"]}
    assert "name_search" not in organisation  # the store's own index, not data on them
    booked = archive["services"]["bookings"]["bookings"]
    assert [b["booking_id"] for b in booked] == [booking_id]
    assert "residencies" in archive["services"]["spaces"]


async def test_a_person_exports_only_what_concerns_them_and_a_front_desk_may_not(
    browser: Browser, stack: Stack, booking_id: str
) -> None:
    karim = stack.token(Role.MEMBER, member_id=MEMBER, person_id=KARIM["person_id"])
    member = await signed_in(browser, stack.frontdesk, karim)
    page = await member.new_page()
    await page.goto(f"{stack.frontdesk}/member")
    await page.get_by_label("Only what concerns me").check()
    await page.get_by_role("button", name="Export the data").click()
    archive = await ready_archive(page)
    await expect(page.locator("#export-subject")).to_contain_text(KARIM["name"])
    await member.close()

    assert archive["person_id"] == KARIM["person_id"]
    [organisation] = archive["services"]["community"]["members"]
    assert [p["name"] for p in organisation["people"]] == [KARIM["name"]]  # not Asmae's name and email
    assert archive["services"]["bookings"]["bookings"] == []  # the booking is Asmae's
    assert "residencies" not in archive["services"]["spaces"]  # the organisation's, not his

    desk = stack.token(Role.FRONT_DESK, sites=[SITE])
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {desk}"}, timeout=30) as http:
        refused = await http.post(f"{stack.insights}/v1/exports", json={"member_id": MEMBER})
        assert refused.status_code == 403, refused.text
