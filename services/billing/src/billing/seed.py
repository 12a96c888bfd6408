"""`parkgrid seed` for billing: the demo sites' price lists (filled in as billing grows)."""

from __future__ import annotations


async def seed() -> str:
    return "billing: nothing seeded yet"
