"""Signing in to the web app with a real OIDC provider, in a real browser.

A provider process (tests/oidc/oidc_provider.py: oidc-provider-mock over HTTP, JWT access
tokens living 8 s) and a web app verifying tokens against its JWKS, served by uvicorn over
the real store and broker (its APIs unreachable: the pages' panels say so, which is enough
to show who is signed in). Chromium goes through the provider's login page to a signed-in
page, keeps working after the access token expired (renewed with the refresh token), signs
out; the provider's refusal and a forged answer get a clear page, not a server error.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import jwt
import pytest
import pytest_asyncio
from frontdesk_support import closed_port, kit_settings, serve
from playwright.async_api import Browser, async_playwright, expect

from frontdesk.bootstrap import build_app
from frontdesk.settings import FrontdeskSettings
from parkgrid.oidc import OidcSettings
from parkgrid.testing.infrastructure import Infrastructure
from tests.oidc.oidc_provider import Provider, running_provider

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
TOKEN_SECONDS = 8
MEMBER = {"sub": "salma", "role": "member", "member": "m-oidc-startup", "person": "p-oidc-salma", "name": "Salma"}
DESK = {"sub": "nadia", "role": "front_desk", "sites": ["site-oidc"], "name": "Nadia"}

pytestmark = [pytest.mark.asyncio(loop_scope="module")]


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with running_provider(MEMBER, DESK, token_seconds=TOKEN_SECONDS) as running:
        yield running


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def web(infrastructure: Infrastructure, provider: Provider) -> AsyncIterator[str]:
    run = f"oidc{int(time.time() * 1000) % 10**8}"
    nowhere = f"http://127.0.0.1:{closed_port()}"
    settings = FrontdeskSettings(
        **kit_settings(infrastructure, "frontdesk", run, f"{run}."),
        PARKGRID_ENV="production",
        PARKGRID_JWKS_URL=provider.jwks_url,
        PARKGRID_JWT_ISSUER=provider.issuer,
        PARKGRID_JWT_AUDIENCE="parkgrid",
        FRONTDESK_CATALOGUE_URL=nowhere,
        FRONTDESK_BOOKINGS_URL=nowhere,
        FRONTDESK_SPACES_URL=nowhere,
        FRONTDESK_COMMUNITY_URL=nowhere,
        FRONTDESK_SERVICE_TIMEOUT=1,
    )
    app = build_app(settings)
    app.state.oidc_settings = OidcSettings(
        issuer=provider.issuer, client_id="parkgrid-frontdesk", client_secret="s3cret"
    )
    async with serve(app) as url:
        yield url


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield chromium
        finally:
            await chromium.close()


async def token_cookie(context: object, name: str = "parkgrid_token") -> str | None:
    for cookie in await context.cookies():  # type: ignore[attr-defined]
        if cookie["name"] == name:
            return str(cookie["value"])
    return None


async def test_a_member_signs_in_at_the_provider_stays_signed_in_past_the_token_and_signs_out(
    browser: Browser, web: str, provider: Provider
) -> None:
    context = await browser.new_context(locale="en-GB")
    page = await context.new_page()
    await page.goto(f"{web}/sign-in")
    await page.locator("#oidc-sign-in").click()
    await page.wait_for_url(f"{provider.issuer}/oauth2/authorize**")
    await page.get_by_role("button", name="salma").click()  # the provider's login page
    await page.wait_for_url(f"{web}/member**")
    await expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    first = await token_cookie(context)
    assert first is not None
    claims = jwt.decode(first, options={"verify_signature": False})
    assert (claims["iss"], claims["sub"], claims["member"]) == (provider.issuer, "salma", "m-oidc-startup")
    assert await token_cookie(context, "parkgrid_refresh")
    assert await token_cookie(context, "parkgrid_oidc") is None  # the sign-in's state is spent

    # the access token expires; the next page renews it with the refresh token
    await asyncio.sleep(max(0.0, claims["exp"] - time.time() + 1))
    assert claims["exp"] < time.time(), "the access token has expired"
    await page.goto(f"{web}/member")
    assert page.url.startswith(f"{web}/member"), "still signed in after the access token's life"
    await expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    renewed = await token_cookie(context)
    assert renewed is not None
    assert renewed != first
    assert jwt.decode(renewed, options={"verify_signature": False})["exp"] > claims["exp"]

    # signing out ends the session here and at the provider, back to the sign-in page
    await page.get_by_role("button", name="Sign out").click()
    await page.get_by_role("button", name="End session").click()
    await page.wait_for_url(f"{web}/sign-in")
    assert await token_cookie(context) is None
    assert await token_cookie(context, "parkgrid_refresh") is None
    await page.goto(f"{web}/member")
    assert page.url == f"{web}/sign-in"
    await context.close()


async def test_a_front_desk_lands_on_its_site(browser: Browser, web: str, provider: Provider) -> None:
    context = await browser.new_context(locale="en-GB")
    page = await context.new_page()
    await page.goto(f"{web}/sign-in/oidc")
    await page.get_by_role("button", name="nadia").click()
    await page.wait_for_url(f"{web}/staff/sites/site-oidc/today**")
    await context.close()


async def test_a_member_who_scanned_a_rooms_door_comes_back_to_it_after_the_provider(
    browser: Browser, web: str, provider: Provider
) -> None:
    """The room's check-in page sends a visitor not signed in to sign in, and back to it afterwards."""
    context = await browser.new_context(locale="en-GB")
    page = await context.new_page()
    door = f"{web}/member/check-in?space_id=sp-oidc-room"
    await page.goto(door)
    await page.wait_for_url(f"{web}/sign-in")
    await page.locator("#oidc-sign-in").click()
    await page.get_by_role("button", name="salma").click()
    await page.wait_for_url(door)
    await expect(page.get_by_role("heading", name="Check in at the room")).to_be_visible()
    assert await token_cookie(context, "parkgrid_after_sign_in") is None, "spent: the next sign-in goes home"
    await context.close()


async def test_the_providers_refusal_is_a_clear_page(browser: Browser, web: str) -> None:
    context = await browser.new_context(locale="en-GB")
    page = await context.new_page()
    await page.goto(f"{web}/sign-in/oidc")
    await page.get_by_role("button", name="Deny").click()
    await page.wait_for_url(f"{web}/sign-in/oidc/callback**")
    await expect(page.locator("#oidc-error")).to_contain_text("refused")
    assert await token_cookie(context) is None
    await context.close()


async def test_an_answer_not_of_this_sign_in_is_refused(web: str) -> None:
    async with httpx.AsyncClient(base_url=web, timeout=10) as http:
        started = await http.get("/sign-in/oidc")
        assert started.status_code == 303
        forged = await http.get("/sign-in/oidc/callback", params={"code": "stolen", "state": "not-this-one"})
        assert forged.status_code == 400
        assert "state does not match" in forged.text
        assert "parkgrid_token" not in forged.headers.get("set-cookie", "")
    async with httpx.AsyncClient(base_url=web, timeout=10) as fresh:
        unstarted = await fresh.get("/sign-in/oidc/callback", params={"code": "x", "state": "y"})
        assert unstarted.status_code == 400


async def test_in_production_with_a_provider_nobody_signs_in_by_pasting_a_token(web: str, provider: Provider) -> None:
    async with httpx.AsyncClient(base_url=web, timeout=10) as http:
        form = await http.get("/sign-in")
        assert 'id="oidc-sign-in"' in form.text
        assert 'name="token"' not in form.text
        pasted = await http.post("/sign-in", data={"token": provider.sign(sub="x", aud="parkgrid", role="admin")})
        assert pasted.status_code == 404
        assert "parkgrid_token" not in pasted.headers.get("set-cookie", "")


async def test_a_refresh_token_the_provider_refuses_signs_the_visitor_out(web: str) -> None:
    async with httpx.AsyncClient(base_url=web, timeout=10, cookies={"parkgrid_refresh": "revoked"}) as http:
        response = await http.get("/member")
        assert response.status_code == 303
        assert response.headers["location"] == "/sign-in"
        assert 'parkgrid_refresh=""' in response.headers.get("set-cookie", "")
