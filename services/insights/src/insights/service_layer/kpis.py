"""KPI queries: the stored facts folded by the pure domain functions.

A dashboard asks for many charts at once (one SVG per KPI), each over the same facts: the
facts read from the store are kept for `ttl` seconds, so a page costs one read of the log,
and a KPI is at most that many seconds behind the projection.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from insights.adapters.projection import InsightsStore
from insights.domain.facts import Fact
from insights.domain.kpis import Scope, compute


class Kpis:
    def __init__(self, store: InsightsStore, ttl: float = 5.0) -> None:
        self.store = store
        self.ttl = ttl
        self._facts: list[Fact] = []
        self._read_at: float | None = None
        self._lock = asyncio.Lock()

    async def facts(self) -> list[Fact]:
        async with self._lock:
            if self._read_at is None or time.monotonic() - self._read_at >= self.ttl:
                self._facts = await self.store.all_facts()
                self._read_at = time.monotonic()
            return self._facts

    async def for_scope(self, scope: Scope) -> dict[str, Any]:
        return compute(await self.facts(), scope)
