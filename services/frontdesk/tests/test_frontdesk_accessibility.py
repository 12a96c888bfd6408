"""Issue 24, item 6 (and the labels of item 7): every page of the web app, as a front desk and as
a member, in French and in Arabic (right to left), checked by axe-core (the npm package in
node_modules) in Debian's Chromium against the five real apps of frontdesk_support. A serious or
critical violation fails the test, named by its rule and page. The same visit looks for raw ids
(`site-fd`, `m-fd-…`) and `_`-joined enum values (`meeting_room`) in the text a person reads.
And a member books a slot with the keyboard only, from the home page.

The scene (a member organisation, an offering, an office) is this module's own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import pytest_asyncio
from frontdesk_support import (
    SCREENSHOTS,
    SITE,
    ZONE,
    Stack,
    axe_violations,
    offering_body,
    published_offering,
    until_accepted,
)
from playwright.async_api import Browser, BrowserContext, Page, expect

from parkgrid.auth import Role

pytest_plugins = ["frontdesk_fixtures"]


pytestmark = [pytest.mark.asyncio(loop_scope="session")]

MEMBER = "m-fd-a11y"
PERSON = "p-fd-a11y"
OFFICE = "sp-a11y-office"
TITLE = "Accessible legal clinic"
BLOCKING = {"serious", "critical"}
RAW_ID = re.compile(r"\b(?:site|space|person|member|sp|m|p|off)-[a-z0-9]+(?:-[a-z0-9]+)*\b")
RAW_ENUM = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")
KNOWN_GAPS = {
    ("member", SITE): "spaces lets a member read no site names: the member's pages name sites by id",
    ("front desk", PERSON): "the registration's cancel page has the person's id only (community's RegistrationRead)",
}
"""Raw ids still shown, each for a reason a template cannot fix (the page's data has no label)."""


@dataclass
class Scene:
    token: str
    offering_id: str
    booking_id: str
    booking_day: str
    registration_id: str
    residency_id: str
    office_entry: str
    visit_id: str
    visit_day: str


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def scene(stack: Stack) -> Scene:
    """A startup with a booking, an event registration, a residency, a place on the office waitlist and a guest."""
    token = stack.token(Role.MEMBER, member_id=MEMBER, person_id=PERSON)
    person = {"person_id": PERSON, "name": "Karim Tazi", "email": "karim@example.ma", "role": "CEO"}
    member = {
        "member_id": MEMBER,
        "name": "Atlas Accessible",
        "kind": "startup",
        "sector": "agritech",
        "home_site_id": SITE,
        "stage": "incubation",
        "started_on": "2026-01-05",
        "people": [person],
    }
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {stack.admin}"}, timeout=30) as http:
        created = await until_accepted(http, f"{stack.community}/v1/members", member)
        assert created.status_code in (200, 201), created.text
        office = {"space_id": OFFICE, "name": "Bureau Cèdre", "kind": "private_office", "capacity": 4}
        made = await http.post(f"{stack.spaces}/v1/sites/{SITE}/spaces", json=office)
        assert made.status_code == 201, made.text
        body = offering_body(TITLE, "legal_clinic", ["startup"])
        offering_id = await published_offering(http, stack, body, "a11y", MEMBER)
        slot = (await http.get(f"{stack.bookings}/v1/offerings/{offering_id}/slots")).json()["items"][1]
        mine = {"Authorization": f"Bearer {token}"}
        seat = {"offering_id": offering_id, "member_id": MEMBER, "person_id": PERSON, "starts_at": slot["starts_at"]}
        booked = await http.post(f"{stack.bookings}/v1/bookings", json=seat, headers=mine)
        assert booked.status_code in (200, 201, 202), booked.text
        registration = await http.post(
            f"{stack.community}/v1/events/{stack.event_id}/registrations",
            json={"person_id": PERSON, "member_id": MEMBER},
            headers=mine,
        )
        assert registration.status_code in (200, 201), registration.text
    today = datetime.now(ZoneInfo(ZONE)).date()
    async with stack.browser(stack.staff) as desk:
        allocated = await desk.post(
            f"/staff/sites/{SITE}/members/{MEMBER}/residencies",
            data={"space_id": OFFICE, "starts_on": today.isoformat(), "ends_on": (today + timedelta(90)).isoformat()},
        )
        assert allocated.status_code == 303, allocated.text
        profile = (await desk.get(f"/staff/sites/{SITE}/members/{MEMBER}")).text
        residency = re.search(r"/residencies/([^/\"]+)/end", profile)
        assert residency, "the member's page offers to end the residency"
    async with stack.browser(token) as portal:
        joined = await portal.post(
            "/member/office-waitlist", data={"idempotency_key": "a11y-office", "site_id": SITE, "seats": "2"}
        )
        assert joined.status_code == 303, joined.text
        home = (await portal.get("/member")).text
        entry = re.search(r"/member/office-waitlist/([^/\"]+)/leave", home)
        assert entry, "the home page offers to leave the office waitlist"
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
        for ahead in range(8):  # the first day the site is open, from today (spaces knows the member by now)
            guest = {"site_id": SITE, "member_id": MEMBER, "guest_name": "Salma Idrissi", "expected_at": "10:30"}
            invited = await http.post(
                f"{stack.spaces}/v1/visits", json=guest | {"day": (today + timedelta(ahead)).isoformat()}
            )
            if invited.status_code == 201:
                break
        assert invited.status_code == 201, invited.text
    starts = datetime.fromisoformat(slot["starts_at"]).astimezone(ZoneInfo(ZONE))
    return Scene(
        token=token,
        offering_id=offering_id,
        booking_id=booked.json()["booking_id"],
        booking_day=starts.date().isoformat(),
        registration_id=registration.json()["registration_id"],
        residency_id=residency.group(1),
        office_entry=entry.group(1),
        visit_id=invited.json()["visit_id"],
        visit_day=invited.json()["day"],
    )


def staff_pages(stack: Stack, scene: Scene) -> list[tuple[str, str]]:
    site = f"/staff/sites/{SITE}"
    return [
        ("sites", "/staff/sites"),
        ("today", f"{site}/today"),
        ("today, the timeline of a booked day", f"{site}/today?date={scene.booking_day}"),
        ("today, a date it cannot show (422)", f"{site}/today?date=not-a-date"),
        ("today, with an expected visitor", f"{site}/today?date={scene.visit_day}"),
        ("members search", f"{site}/members?q=atlas"),
        ("a member's page (book on behalf)", f"{site}/members/{MEMBER}"),
        ("booking cancel confirmation", f"{site}/bookings/{scene.booking_id}/cancel"),
        ("booking reschedule", f"{site}/bookings/{scene.booking_id}/reschedule"),
        ("registration cancel confirmation", f"{site}/registrations/{scene.registration_id}/cancel"),
        ("residency end confirmation", f"{site}/residencies/{scene.residency_id}/end"),
        ("event edit", f"{site}/events/{stack.event_id}/edit"),
        ("waitlists", f"{site}/waitlist"),
        ("dashboard of the network", "/staff/dashboard"),
        ("dashboard of the site", f"{site}/dashboard"),
        ("the site's limits per period", f"{site}/limits"),
        ("the site's rooms and release", f"{site}/rooms"),
        ("a room's door sign", f"{site}/rooms/sp-atlas/door"),
        ("bookings to approve", f"{site}/approvals"),
        ("decline a booking: the reason and confirmation", f"{site}/approvals/{scene.booking_id}/decline"),
    ]


def member_pages(scene: Scene) -> list[tuple[str, str]]:
    return [
        ("member home", "/member"),
        ("member home, everything in a category", "/member?category=legal_clinic&everything=true"),
        ("an offering's slots", f"/member/offerings/{scene.offering_id}"),
        ("book every week (a series)", f"/member/offerings/{scene.offering_id}/series"),
        ("recurring bookings (none yet)", "/member/series"),
        ("the booking", f"/member/bookings/{scene.booking_id}"),
        ("booking cancel confirmation", f"/member/bookings/{scene.booking_id}/cancel"),
        ("booking reschedule", f"/member/bookings/{scene.booking_id}/reschedule"),
        ("the ticket", f"/member/registrations/{scene.registration_id}/ticket"),
        ("registration cancel confirmation", f"/member/registrations/{scene.registration_id}/cancel"),
        ("office waitlist: leave confirmation", f"/member/office-waitlist/{scene.office_entry}/leave"),
        ("office waitlist: an answer it does not know (404)", f"/member/office-waitlist/{scene.office_entry}/nope"),
        ("visitors", "/member/visitors"),
        ("visitor cancel confirmation", f"/member/visitors/{scene.visit_id}/cancel"),
        ("checking in at a room's door", "/member/check-in?space_id=sp-atlas"),
        ("a staff page, not allowed (403)", f"/staff/sites/{SITE}/today"),
        ("a booking that does not exist", "/member/bookings/no-such-booking"),
    ]


async def context_for(browser: Browser, stack: Stack, token: str | None, lang: str) -> BrowserContext:
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-MA")
    cookies: list[Any] = [{"name": "parkgrid_lang", "value": lang, "url": stack.frontdesk}]
    if token:
        cookies.append({"name": "parkgrid_token", "value": token, "url": stack.frontdesk})
    await context.add_cookies(cookies)
    return context


async def visible_text(page: Page) -> str:
    """What a person reads: the body's rendered text (option labels included, values and attributes not)."""
    text: str = await page.evaluate("() => document.body.innerText")
    return text


def raw_words(text: str) -> list[str]:
    """Ids and `_`-joined enum values in a page's text; the sign-in page's demo help names ids on purpose."""
    return sorted(set(RAW_ID.findall(text)) | set(RAW_ENUM.findall(text)))


async def visit(
    page: Page, base: str, pages: list[tuple[str, str]], lang: str, who: str
) -> tuple[list[str], list[str]]:
    """Each page, checked: (serious or critical violations, raw ids and enum values shown)."""
    problems: list[str] = []
    raw: list[str] = []
    for name, path in pages:
        answer = await page.goto(f"{base}{path}")
        assert answer is not None, path
        await page.wait_for_load_state("load")
        root = page.locator("html")
        await expect(root).to_have_attribute("lang", lang)
        if lang == "ar":
            await expect(root).to_have_attribute("dir", "rtl")
        for v in await axe_violations(page):
            if v["impact"] in BLOCKING:
                targets = ", ".join(" ".join(n["target"]) for n in v["nodes"][:5])
                problems.append(f"[{lang}] {who} · {name} ({path}): {v['id']} ({v['impact']}) at {targets}")
        shown = [w for w in raw_words(await visible_text(page)) if (who, w) not in KNOWN_GAPS]
        if shown:
            raw.append(f"[{lang}] {who} · {name} ({path}): {', '.join(shown)}")
    return problems, raw


@pytest.mark.parametrize("lang", ["fr", "ar"])
async def test_every_page_passes_axe_and_shows_no_raw_ids(
    browser: Browser, stack: Stack, scene: Scene, lang: str
) -> None:
    problems: list[str] = []
    raw: list[str] = []
    visitors: tuple[tuple[str | None, str, list[tuple[str, str]]], ...] = (
        (None, "visitor", [("sign-in", "/sign-in")]),
        (stack.staff, "front desk", staff_pages(stack, scene)),
        (scene.token, "member", member_pages(scene)),
        (stack.admin, "admin", [("webhooks of the partners", "/staff/webhooks")]),
    )
    for token, who, pages in visitors:
        context = await context_for(browser, stack, token, lang)
        page = await context.new_page()
        found, shown = await visit(page, stack.frontdesk, pages, lang, who)
        problems += found
        raw += [line for line in shown if who != "visitor"]
        await context.close()
    assert not problems, "axe-core found serious or critical violations:\n" + "\n".join(problems)
    assert not raw, "raw ids or enum values shown to a person:\n" + "\n".join(raw)


async def test_a_member_books_a_slot_with_the_keyboard_only(browser: Browser, stack: Stack, scene: Scene) -> None:
    """Tab to the offering on the home page, Enter; Tab to a slot, Space picks it; Tab to Book, Enter."""
    context = await context_for(browser, stack, scene.token, "fr")
    page = await context.new_page()
    await page.goto(f"{stack.frontdesk}/member?category=legal_clinic")

    async def tab_to(check: str, what: str, limit: int = 250) -> None:
        for _ in range(limit):
            await page.keyboard.press("Tab")
            if await page.evaluate(check):
                return
        raise AssertionError(f"Tab never reached {what}")

    grid_link = (
        "() => (document.activeElement.getAttribute('href') || '').startsWith('/member/offerings/')"
        f" && document.activeElement.textContent.includes({TITLE!r})"
    )
    await tab_to(grid_link, "the offering's link in the grid")
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", level=1)).to_contain_text(TITLE)
    await tab_to("() => document.activeElement.name === 'starts_at' && !document.activeElement.disabled", "a slot")
    # the booked slot (index 1) is not free: the focused radio is another one
    await page.keyboard.press("Space")
    picked = await page.evaluate("() => document.activeElement.checked")
    assert picked, "Space picks the focused slot"
    # past the full slot's own "Join the waitlist" button, to the form's "Book"
    await tab_to("() => document.activeElement.type === 'submit' && !document.activeElement.name", "the Book button")
    await page.keyboard.press("Enter")
    await page.wait_for_url(re.compile(r"/member/bookings/[^/]+$"))
    await expect(page.locator("#booking-status")).to_contain_text("confirmée", timeout=30_000)
    await page.screenshot(path=str(SCREENSHOTS / "keyboard-booked.png"), full_page=True)
    await context.close()
