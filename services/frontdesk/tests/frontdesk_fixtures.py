"""Fixtures of the frontdesk tests, a pytest plugin (`pytest_plugins = ["frontdesk_fixtures"]`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from frontdesk_support import CHROMIUM, SCREENSHOTS, Stack, running_stack
from playwright.async_api import Browser, async_playwright

from parkgrid.testing.infrastructure import Infrastructure


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def stack(infrastructure: Infrastructure) -> AsyncIterator[Stack]:
    async with running_stack(infrastructure) as running:
        yield running


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    """A headless Chromium for one test module (its pages and contexts are the tests' own)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            await chromium.close()
