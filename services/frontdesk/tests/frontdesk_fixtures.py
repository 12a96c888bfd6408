"""Fixtures of the frontdesk tests, a pytest plugin (`pytest_plugins = ["frontdesk_fixtures"]`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from frontdesk_support import Stack, running_stack

from parkgrid.testing.infrastructure import Infrastructure


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def stack(infrastructure: Infrastructure) -> AsyncIterator[Stack]:
    async with running_stack(infrastructure) as running:
        yield running
