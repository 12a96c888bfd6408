"""Site names for members (issue 24): spaces' site list is staff-only, so the web app keeps its
own projection of `spaces.site` (`adapters/known_sites.py`, the kit's KnownSites in its store,
one shared consumer group). The projection over the real store, its consumer over the real
broker (the stack's web app learns a site spaces registers), and a member's home in real
Chromium naming sites where it showed ids."""

from __future__ import annotations

import httpx
import pytest
from frontdesk_support import Stack, eventually, member_body, signed_in, until_accepted
from playwright.async_api import Browser, expect

from frontdesk.adapters.known_sites import SiteDirectory
from parkgrid.auth import Role
from parkgrid.consumer import Delivery
from parkgrid.contracts.community import MemberRegistered
from parkgrid.contracts.spaces import SiteRegistered, SiteUpdated
from parkgrid.events import IntegrationEvent, registry
from parkgrid.store import Database

pytest_plugins = ["frontdesk_fixtures"]

AGADIR = "site-fds-agadir"
AGADIR_MEMBER = "m-fds-souss"
AMAL = "p-fds-amal"
WEEK = [{"weekday": d, "opens": "08:00", "closes": "19:00"} for d in range(1, 8)]


def delivered(event: IntegrationEvent, subject: str, sequence: int) -> Delivery:
    envelope = registry.envelope(event, source="spaces", subject=subject, sequence=sequence)
    return Delivery(envelope=envelope, event=event, topic="spaces.site", partition=0, offset=sequence)


def agadir(name: str, time_zone: str = "Africa/Casablanca") -> dict[str, object]:
    return {
        "site_id": AGADIR,
        "name": name,
        "city": "Agadir",
        "country": "MA",
        "time_zone": time_zone,
        "opening_hours": WEEK,
    }


@pytest.mark.asyncio
async def test_the_projection_keeps_each_sites_newest_name_and_zone(database: Database) -> None:
    sites = SiteDirectory(database["sites"])
    assert await sites.names() == {}
    assert await sites.time_zone(AGADIR) is None
    await sites.record(delivered(SiteRegistered.model_validate(agadir("Souss Lab")), AGADIR, 1))
    await sites.record(delivered(SiteUpdated.model_validate(agadir("Souss Lab Agadir", "Asia/Tokyo")), AGADIR, 2))
    # a replay of the first event and another topic's message change nothing
    await sites.record(delivered(SiteRegistered.model_validate(agadir("Souss Lab")), AGADIR, 1))
    member = MemberRegistered.model_validate(
        {
            "member_id": "m-x",
            "name": "X",
            "kind": "startup",
            "sector": "agritech",
            "home_site_id": AGADIR,
            "programme": {"stage": "incubation", "started_on": "2026-01-05"},
            "people": [],
            "status": "active",
        }
    )
    await sites.record(delivered(member, "m-x", 3))
    assert await sites.names() == {AGADIR: "Souss Lab Agadir"}
    assert await sites.time_zone(AGADIR) == "Asia/Tokyo"
    assert await sites.time_zone(None) is None


@pytest.mark.asyncio(loop_scope="session")
async def test_a_member_sees_site_names_not_ids(browser: Browser, stack: Stack) -> None:
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {stack.admin}"}, timeout=30) as http:
        created = await http.post(f"{stack.spaces}/v1/sites", json=agadir("Souss Lab Agadir"))
        assert created.status_code in (201, 409), created.text
        amal = {"person_id": AMAL, "name": "Amal Idrissi", "email": "amal@souss.example", "role": "CEO"}
        member = member_body(AGADIR_MEMBER, "Souss Digital", AGADIR, [amal])
        joined = await until_accepted(http, f"{stack.community}/v1/members", member)
        assert joined.status_code in (201, 409), joined.text

    async def learnt() -> bool:  # the web app's own consumer of spaces.site, over the broker
        async with stack.browser(stack.token(Role.MEMBER, member_id=AGADIR_MEMBER, person_id=AMAL)) as web:
            home = await web.get("/member", params={"everything": "true"})
            return "Souss Lab Agadir" in home.text

    await eventually(learnt, "the web app to learn the site from spaces.site")

    token = stack.token(Role.MEMBER, member_id=AGADIR_MEMBER, person_id=AMAL)
    context = await signed_in(browser, stack.frontdesk, token)
    page = await context.new_page()
    await page.goto(f"{stack.frontdesk}/member?everything=true")
    # the offerings grid (the stack's offerings are at the test site) and its site filter
    await expect(page.locator(".where", has_text="Technopark Test").first).to_be_visible()
    assert "site-" not in " ".join(await page.locator(".where").all_inner_texts())
    office_site = page.locator("#office-site")
    await expect(office_site.locator("option", has_text="Souss Lab Agadir")).to_have_attribute("value", AGADIR)
    await expect(office_site).to_have_value(AGADIR)  # the member's home site, by name
    assert AGADIR not in " ".join(await office_site.locator("option").all_inner_texts())
    # joining the office waitlist: the line is named by the site
    await page.get_by_label("Seats").fill("2")
    await page.get_by_role("button", name="Join").click()
    await expect(page.locator("[data-office]").first).to_contain_text("Souss Lab Agadir")
    await page.locator("[data-office]").first.get_by_role("link").last.click()
    await expect(page.locator("main")).to_contain_text("Souss Lab Agadir")
    await context.close()
