"""Periodic jobs of a runtime: they run on time, survive their own failures and stop with it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from parkgrid.events import registry
from parkgrid.runtime import ServiceRuntime
from parkgrid.testing.plugin import ServiceSettings


async def test_a_job_runs_every_interval_and_a_failure_does_not_stop_it(service_settings: ServiceSettings) -> None:
    runtime = ServiceRuntime(service_settings("periodic"), registry=registry)
    runs: list[int] = []

    async def flaky() -> None:
        runs.append(len(runs))
        if len(runs) == 2:
            raise RuntimeError("the store blinked")

    runtime.every("flaky", timedelta(milliseconds=50), flaky)
    await runtime.start()
    try:
        for _ in range(100):
            if len(runs) >= 4:
                break
            await asyncio.sleep(0.05)
    finally:
        await runtime.stop()
    assert len(runs) >= 4  # the run after the failure came
    stopped_at = len(runs)
    await asyncio.sleep(0.2)
    assert len(runs) == stopped_at  # nothing runs after stop
