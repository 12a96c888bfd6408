"""The webhooks page in Chromium against the real stack (issue 22): an admin follows the nav's link,
registers a partner's endpoint (a real HTTP receiver started here, verifying signatures with
`standardwebhooks`), sees the secret once (not after a reload), a member registered through
community reaches the receiver signed with that secret, the endpoint's page shows the delivery and
its attempt, the admin disables and enables it again; both pages pass axe; a front desk is not let in."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from frontdesk_support import SCREENSHOTS, SITE, ZONE, Stack, axe_violations, member_body, signed_in, until_accepted
from playwright.async_api import Browser, expect
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from parkgrid.auth import Role

pytest_plugins = ["frontdesk_fixtures"]

pytestmark = [pytest.mark.asyncio(loop_scope="session")]

MEMBER = "m-fd-webhook"


class Partner:
    """The partner's receiver: what arrived, and whether it verified with the secret the page showed."""

    def __init__(self) -> None:
        self.secret: str | None = None
        self.events: list[dict[str, Any]] = []
        self.forged = 0
        partner = self

        class Receive(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                try:
                    partner.events.append(Webhook(partner.secret or "").verify(body, dict(self.headers.items())))
                except WebhookVerificationError:
                    partner.forged += 1
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Receive)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/parkgrid"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def partner() -> Iterator[Partner]:
    made = Partner()
    yield made
    made.close()


async def test_an_admin_registers_an_endpoint_sees_its_secret_once_and_its_deliveries(
    browser: Browser, stack: Stack, partner: Partner
) -> None:
    context = await signed_in(browser, stack.frontdesk, stack.token(Role.ADMIN, subject="admin-hooks"))
    page = await context.new_page()
    await page.goto(f"{stack.frontdesk}/staff/dashboard")
    await page.get_by_role("link", name="Webhooks", exact=True).click()
    await expect(page.get_by_role("heading", name="Partners' webhooks")).to_be_visible()

    await page.get_by_label("Address (URL)").fill(partner.url)
    await page.get_by_label("Bookings and waitlists").uncheck()
    await page.get_by_label("Members, events, registrations").check()
    await page.get_by_label("Owner's email").fill("partner-ops@example.ma")
    await page.get_by_label("Description").fill("University events desk")
    await page.get_by_role("button", name="Register").click()
    created = page.locator("#webhook-created")
    await expect(created).to_contain_text(partner.url)
    secret = await page.get_by_label("Signing secret").input_value()
    assert secret.startswith("whsec_")
    partner.secret = secret
    row = page.locator("#webhook-endpoints tbody tr", has_text=partner.url)
    await expect(row).to_contain_text("Members, events, registrations")
    await expect(row).to_contain_text("Enabled")
    assert await axe_violations(page) == []
    await page.screenshot(path=str(SCREENSHOTS / "webhooks-registered.png"), full_page=True)
    await page.goto(f"{stack.frontdesk}/staff/webhooks")
    await expect(page.locator("#webhook-created")).to_have_count(0)
    assert secret not in await page.content(), "the secret is shown once"

    admin = {"Authorization": f"Bearer {stack.admin}"}
    async with httpx.AsyncClient(headers=admin, timeout=30) as http:
        registered = await until_accepted(
            http, f"{stack.community}/v1/members", member_body(MEMBER, "Webhook Labs", SITE, [])
        )
        assert registered.status_code == 201, registered.text
    for _ in range(60):  # insights consumes the member's event, then its worker sends it
        if partner.events:
            break
        await page.wait_for_timeout(500)
    assert partner.forged == 0
    [event] = partner.events
    assert event["type"] == "parkgrid.community.member.registered"
    assert event["data"]["member_id"] == MEMBER

    await page.locator("#webhook-endpoints tbody tr", has_text=partner.url).get_by_role("link").first.click()
    await expect(page.get_by_role("heading", name="Delivery log")).to_be_visible()
    delivery = page.locator("#webhook-deliveries > li").first
    await expect(delivery).to_contain_text("parkgrid.community.member.registered")
    await expect(delivery).to_contain_text("Delivered")
    await expect(delivery.locator("tbody tr")).to_have_count(1)
    await expect(delivery.locator("tbody td").first).to_have_text("204")
    assert await axe_violations(page) == []
    await page.screenshot(path=str(SCREENSHOTS / "webhooks-deliveries.png"), full_page=True)

    await page.get_by_role("link", name="← Every endpoint").click()
    row = page.locator("#webhook-endpoints tbody tr", has_text=partner.url)
    await row.get_by_role("button", name="Disable").click()
    await expect(page.get_by_role("status")).to_contain_text(f"Disabled: {partner.url}")
    await expect(row).to_contain_text("Disabled")
    await row.get_by_role("button", name="Enable").click()
    await expect(row).to_contain_text("Enabled")
    await context.close()


async def test_a_front_desk_is_not_let_in_and_sees_no_link(browser: Browser, stack: Stack) -> None:
    context = await signed_in(browser, stack.frontdesk, stack.staff)
    page = await context.new_page()
    await page.goto(f"{stack.frontdesk}/staff/sites/{SITE}/today")
    await expect(page.get_by_role("link", name="Webhooks", exact=True)).to_have_count(0)
    answer = await page.goto(f"{stack.frontdesk}/staff/webhooks")
    assert answer is not None
    assert answer.status == 403
    await context.close()


async def test_a_refused_endpoint_is_said_next_to_its_field(browser: Browser, stack: Stack) -> None:
    context = await signed_in(browser, stack.frontdesk, stack.admin)
    page = await context.new_page()
    await page.goto(f"{stack.frontdesk}/staff/webhooks")
    await page.get_by_label("Address (URL)").fill("http://partner.example.org/hooks")
    await page.get_by_label("Owner's email").fill("partner-ops@example.ma")
    await page.get_by_role("button", name="Register").click()
    await expect(page.locator("#url-error")).to_contain_text("An https:// address")
    await expect(page.get_by_label("Address (URL)")).to_have_attribute("aria-invalid", "true")
    await context.close()


async def test_an_admin_replays_an_endpoint_and_rotates_its_secret(
    browser: Browser, stack: Stack, partner: Partner
) -> None:
    """From the endpoint's page: a replay from a moment before the member was registered sends its
    event again (the partner gets it twice, the log shows it replayed); a rotation asks for the
    tick, then shows the new secret once, and the partner still on the old secret verifies the next
    delivery (both signatures, for the grace), as does one told the new secret."""
    admin = {"Authorization": f"Bearer {stack.admin}"}
    async with httpx.AsyncClient(headers=admin, timeout=30) as http:
        made = await http.post(
            f"{stack.insights}/v1/webhooks/endpoints",
            json={"url": partner.url, "event_types": ["parkgrid.community.member"], "owner_email": "ops@example.ma",
                  "owner_language": "en", "description": "Replay and rotation"},
            headers={"Idempotency-Key": "fd-webhook-actions"},
        )  # fmt: skip
        assert made.status_code == 201, made.text
        endpoint, partner.secret = made.json()["id"], made.json()["secret"]
        since = datetime.now(ZoneInfo(ZONE)).replace(second=0, microsecond=0) - timedelta(minutes=1)
        registered = await until_accepted(
            http, f"{stack.community}/v1/members", member_body("m-fd-webhook-2", "Replay Labs", SITE, [])
        )
        assert registered.status_code == 201, registered.text
    for _ in range(60):
        if partner.events:
            break
        await asyncio.sleep(0.5)
    assert [e["data"]["member_id"] for e in partner.events] == ["m-fd-webhook-2"]

    context = await signed_in(browser, stack.frontdesk, stack.token(Role.ADMIN, subject="admin-hooks-2"))
    page = await context.new_page()
    # The replay reads insights' history, which a consumer group of its own projects: until it holds
    # the registration the partner already got, the page says "Queued again: 0 deliveries".
    for _ in range(60):
        await page.goto(f"{stack.frontdesk}/staff/webhooks/{endpoint}")
        await page.get_by_label(f"Every event it wants since ({ZONE})").fill(since.strftime("%Y-%m-%dT%H:%M"))
        await page.get_by_role("button", name="Send again").click()
        await expect(page.get_by_role("status")).to_contain_text("Queued again: ")  # the minute's member events
        if "Queued again: 0 " not in await page.get_by_role("status").inner_text():
            break
        await asyncio.sleep(0.5)

    def received(member_id: str) -> int:
        return sum(1 for e in partner.events if e["data"].get("member_id") == member_id)

    for _ in range(60):
        if received("m-fd-webhook-2") == 2:
            break
        await asyncio.sleep(0.5)
    assert received("m-fd-webhook-2") == 2
    assert partner.forged == 0
    await page.reload()
    await expect(page.locator("#webhook-deliveries")).to_contain_text("replayed")

    await page.get_by_role("button", name="Rotate the secret").click()  # the tick is required
    await expect(page.locator("#webhook-rotated")).to_have_count(0)
    await page.get_by_label("I will give the new secret to the receiver's owner").check()
    await page.get_by_role("button", name="Rotate the secret").click()
    new_secret = await page.get_by_role("textbox", name="Signing secret").input_value()
    assert new_secret.startswith("whsec_")
    assert new_secret != partner.secret
    assert await axe_violations(page) == []
    await page.screenshot(path=str(SCREENSHOTS / "webhooks-rotated.png"), full_page=True)
    await page.goto(f"{stack.frontdesk}/staff/webhooks/{endpoint}")
    assert new_secret not in await page.content(), "the new secret is shown once"
    await context.close()

    async with httpx.AsyncClient(headers=admin, timeout=30) as http:  # the partner is still on the old secret
        changed = await until_accepted(
            http, f"{stack.community}/v1/members", member_body("m-fd-webhook-3", "Rotation Labs", SITE, [])
        )
        assert changed.status_code == 201, changed.text
    for _ in range(60):
        if received("m-fd-webhook-3"):
            break
        await asyncio.sleep(0.5)
    assert received("m-fd-webhook-3") == 1, "verified with the old secret during the grace"
    assert partner.forged == 0
