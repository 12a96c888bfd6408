"""Issue 25, buffers, in real Chromium against the real services of frontdesk_support: a site whose
meeting rooms keep 15 minutes of preparation and 30 of cleaning (its default by kind, set by an
admin through the site's PATCH with If-Match), a booking of its room, and the staff room timeline
of that day showing the preparation and the cleaning as shaded parts of their own around it.

The module keeps to a site of its own (`site-fdb`), its room, member and offering, so the suite's
other tests (one stack per session) see none of it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
import pytest_asyncio
from frontdesk_support import (
    SCREENSHOTS,
    ZONE,
    Stack,
    eventually,
    member_body,
    offering_body,
    signed_in,
    until_accepted,
)
from playwright.async_api import Browser, expect

from parkgrid.auth import Role

pytest_plugins = ["frontdesk_fixtures"]

pytestmark = [pytest.mark.asyncio(loop_scope="session")]

SITE = "site-fdb"
ROOM = "sp-fdb-room"
MEMBER, PERSON = "m-fdb-startup", "p-fdb-founder"
WEEK = [{"weekday": d, "opens": "08:00", "closes": "19:00"} for d in range(1, 8)]
BUFFERS = {"meeting_room": {"before_minutes": 15, "after_minutes": 30}}


@dataclass
class Booked:
    day: date
    starts_at: datetime
    booking_id: str


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def booked(stack: Stack) -> AsyncIterator[Booked]:
    """site-fdb with its meeting rooms' default buffers, one room, a member, a room offering, and a
    booking of it tomorrow, confirmed by spaces."""
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {stack.admin}"}, timeout=30) as http:
        body = {"site_id": SITE, "name": "Technopark Buffers", "city": "Rabat", "country": "MA", "time_zone": ZONE}
        created = await http.post(f"{stack.spaces}/v1/sites", json=body | {"opening_hours": WEEK})
        assert created.status_code == 201, created.text
        patched = await http.patch(
            f"{stack.spaces}/v1/sites/{SITE}", json={"buffers": BUFFERS}, headers={"If-Match": created.headers["ETag"]}
        )
        assert patched.status_code == 200, patched.text
        room = {"space_id": ROOM, "name": "Salle Buffers", "kind": "meeting_room", "capacity": 6}
        created = await http.post(f"{stack.spaces}/v1/sites/{SITE}/spaces", json=room)
        assert created.status_code == 201, created.text
        nadia = {"person_id": PERSON, "name": "Nadia Fassi", "email": "nadia@fdb.example", "role": "CEO"}
        member = member_body(MEMBER, "Buffer Labs", SITE, [nadia])
        created = await until_accepted(http, f"{stack.community}/v1/members", member)
        assert created.status_code == 201, created.text
        need = {"kind": "meeting_room", "seats": 1, "features": []}
        offering = offering_body("Room with turnover", "meeting_room", ["startup"], need) | {"site_id": SITE}
        created = await until_accepted(http, f"{stack.catalogue}/v1/offerings", offering, **{"Idempotency-Key": "fdb"})
        assert created.status_code == 201, created.text
        offering_id = created.json()["id"]
        published = await until_accepted(http, f"{stack.catalogue}/v1/offerings/{offering_id}/publish", {})
        assert published.status_code == 200, published.text

        tomorrow = (datetime.now(ZoneInfo(ZONE)) + timedelta(days=1)).date()
        slots: list[str] = []

        async def bookable() -> bool:
            got = await http.get(
                f"{stack.bookings}/v1/offerings/{offering_id}/slots",
                params={"from": tomorrow.isoformat(), "to": tomorrow.isoformat()},
            )
            slots[:] = [s["starts_at"] for s in got.json().get("items", [])] if got.status_code == 200 else []
            return len(slots) > 3

        await eventually(bookable, "bookings to offer the room's sessions")
        starts_at = datetime.fromisoformat(slots[2])
        made = await http.post(
            f"{stack.bookings}/v1/bookings",
            json={"offering_id": offering_id, "member_id": MEMBER, "person_id": PERSON, "starts_at": slots[2]},
            headers={"Prefer": "wait=25"},
        )
        assert made.status_code == 201, made.text
        assert (made.json()["status"], made.json()["space_id"]) == ("confirmed", ROOM), made.text
        yield Booked(tomorrow, starts_at, made.json()["id"])


async def test_the_room_timeline_shows_a_bookings_preparation_and_cleaning(
    browser: Browser, stack: Stack, booked: Booked
) -> None:
    desk = await signed_in(browser, stack.frontdesk, stack.token(Role.FRONT_DESK, sites=[SITE]))
    page = await desk.new_page()
    await page.goto(f"{stack.frontdesk}/staff/sites/{SITE}/today?date={booked.day.isoformat()}")
    lane = page.locator(f".timeline .lane[data-space='{ROOM}']")
    await expect(lane.locator(".lane-name")).to_contain_text("Salle Buffers")
    block = lane.locator(f".block[data-booking='{booked.booking_id}']")
    await expect(block).to_contain_text("Nadia Fassi")
    local = booked.starts_at.astimezone(ZoneInfo(ZONE))
    await expect(block).to_contain_text(f"{local:%H:%M}\u2013{local + timedelta(hours=1):%H:%M}")
    before, after = lane.locator(".turnover.before"), lane.locator(".turnover.after")
    await expect(before).to_be_visible()
    await expect(before).to_have_attribute("title", "Preparation: 15 min")
    await expect(after).to_be_visible()
    await expect(after).to_have_attribute("title", "Cleaning: 30 min")
    # Drawn in place: the preparation just before the booking, the cleaning just after, twice as wide.
    shapes = [await part.bounding_box() for part in (before, block, after)]
    prep, meeting, cleaning = (shape for shape in shapes if shape is not None)
    assert prep["x"] < meeting["x"] < cleaning["x"]
    assert abs(cleaning["width"] - 2 * prep["width"]) < 3
    assert abs(meeting["width"] - 4 * prep["width"]) < 6
    # The timeline takes the page's width, and a block's lines are cut, never broken letter by
    # letter: the time and what is booked take one line each, the whole is in its title.
    panel, page_width = page.locator("section:has(#panel-bookings)"), page.locator(".today")
    panel_box, today_box = await panel.bounding_box(), await page_width.bounding_box()
    assert panel_box is not None
    assert today_box is not None
    assert abs(panel_box["width"] - today_box["width"]) < 2
    await expect(block).to_have_attribute("title", re.compile("Nadia Fassi"))
    time_box, what_box = await block.locator(".time").bounding_box(), await block.locator(".what").bounding_box()
    assert time_box is not None
    assert what_box is not None
    assert what_box["height"] < 1.5 * time_box["height"]
    await page.screenshot(path=str(SCREENSHOTS / "desk-timeline-buffers.png"), full_page=True)
    # A day without events offers no event check-in (nothing to choose in it).
    await page.goto(f"{stack.frontdesk}/staff/sites/{SITE}/today?date={(booked.day + timedelta(days=40)).isoformat()}")
    await expect(page.locator("#panel-events")).to_contain_text("No event today.")
    assert await page.locator("form[action*='/check-ins']").count() == 0
    await desk.close()
