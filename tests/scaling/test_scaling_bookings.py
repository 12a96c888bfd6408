"""Horizontal scaling of bookings, proven locally (issue 12), small size.

Two bookings processes (API + consumers + relay each, in the same consumer groups) behind a
client-side round robin take the booking workload; one is killed with SIGKILL mid-run and a
third is started. Afterwards: one booking per Idempotency-Key, no session with more bookings
than seats and every seat counter agreeing with its bookings, no saga booking left pending,
bookings and spaces agreeing on every room, and every bookings consumer group drained to lag 0.
Throughput through 1, 2 and 3 instances is measured and printed, never asserted (2 shared
cores). The large size is `measure` in scaling_workload.py, run by `make bench`.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from scaling_workload import (
    BOOKINGS_GROUPS,
    RoundRobin,
    Run,
    add_bookings,
    assignments,
    clean_up,
    database_counts,
    drained,
    drive,
    group,
    live_urls,
    new_stack,
    set_up,
    settle_sagas,
    start_stack,
    throughput,
    violations,
)

from parkgrid.contracts.topics import TOPICS
from parkgrid.testing.infrastructure import Infrastructure

pytestmark = pytest.mark.slow
SHARED = ("entitlements", "reservations")


def test_bookings_topics_have_room_for_several_consumers() -> None:
    partitions = {t.name: t.partitions for t in TOPICS}
    assert partitions["bookings.booking"] >= 3  # the entitlements ledger: up to 6 consumers
    assert partitions["spaces.reservation"] >= 3  # the saga's answers: up to 3 consumers


async def test_two_then_three_bookings_instances_with_one_killed_mid_run(infrastructure: Infrastructure) -> None:
    began = time.monotonic()
    stack = new_stack(infrastructure.kafka_bootstrap_servers, infrastructure.mongodb_uri)
    try:
        await start_stack(stack, 2)
        started = time.monotonic()
        plan = await set_up(stack, members=24, plain_offerings=3, room_offerings=2, seats=3, rooms=2)
        ready = time.monotonic() - began
        print(f"\nstarted in {started - began:.0f} s, set up in {ready - (started - began):.0f} s")

        # The instances share the partitions of the ledger's and the saga's topics (one group each).
        async def sharing(within: float) -> dict[str, dict[str, list[str]]]:
            held: dict[str, dict[str, list[str]]] = {}
            deadline = time.monotonic() + within
            while time.monotonic() < deadline:
                held = {g: await assignments(stack, group(stack, "bookings", g)) for g in SHARED}
                if all(len(members) >= 2 for members in held.values()):
                    break
                await asyncio.sleep(1)
            return held

        print(f"partitions per member before the run: {await sharing(20)}")

        first = stack.instances["bookings"][0]
        events: dict[str, Any] = {}

        async def kill_then_add(elapsed: float, sent: int) -> None:
            if "killed" not in events and elapsed > 3.0:
                stack.kill("bookings", instance=first)
                events["killed"] = (round(elapsed, 1), sent)
                events["third"] = asyncio.create_task(asyncio.to_thread(add_bookings, stack))

        rr = RoundRobin(live_urls(stack))
        chaos = asyncio.create_task(
            drive(stack, plan, rr, concurrency=12, seconds=10, settle=80, tag="chaos", during=kill_then_add)
        )
        await asyncio.sleep(11)
        await events["third"]
        # While the keys the killed process left in progress wait to be taken over (the kit's
        # 60 s), measure throughput through 1, 2, 3 instances: printed, not asserted.
        await asyncio.to_thread(add_bookings, stack)
        figures, measured = await throughput(stack, plan, (1, 2, 3), seconds=6, concurrency=12)
        run: Run = await chaos
        await settle_sagas(stack, within=60)
        groups = [group(stack, "bookings", g) for g in BOOKINGS_GROUPS] + [group(stack, "spaces", "commands")]
        lags = await drained(stack, groups)
        shared = await sharing(15)
        print(f"partitions per member after the run: {shared}")
        problems = await violations(stack, plan, [run, *measured])
        stored = await database_counts(stack)

        summary = run.summary()
        print(f"killed bookings at {events['killed'][0]} s (after {events['killed'][1]} requests); {summary}")
        print(f"stored bookings: {stored}; lags: {lags}")
        print("throughput (bookings/s by instances):", {n: f["bookings_per_s"] for n, f in figures.items()})
        print(f"ready after {ready:.0f} s, whole test {time.monotonic() - began:.0f} s")

        assert summary["retried_after_connection_error"] > 0  # the kill did hit requests in flight
        assert problems == []
        # Printed, not asserted: on the shared broker the group description came back without
        # assignments in some runs (see the report); the lags above prove no partition is stuck.
        assert set(lags.values()) == {0}, lags
        assert stored.get("confirmed", 0) > 0
    finally:
        await clean_up(stack)
