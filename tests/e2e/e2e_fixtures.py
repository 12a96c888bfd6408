"""Helpers of the end-to-end tests: a stack of real service processes, and waiting for facts."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


async def eventually(probe: Callable[[], Awaitable[T | None]], *, within: float = 30.0, what: str = "") -> T:
    """Poll `probe` until it returns something truthy: cross-service facts arrive over Kafka."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = await probe()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not within {within:.0f} s: {what}")
        await asyncio.sleep(0.2)


def site_body(site_id: str, **changes: Any) -> dict[str, Any]:
    return {
        "site_id": site_id,
        "name": "Technopark Test",
        "city": "Rabat",
        "country": "MA",
        "time_zone": "Africa/Casablanca",
        "opening_hours": [{"weekday": d, "opens": "08:00", "closes": "19:00"} for d in range(1, 6)],
        **changes,
    }
