"""The chaos run (`make chaos`): a mixed workload while processes, the store and the broker are killed -9.

A stack of spaces, catalogue, community and bookings (real uvicorn processes, their own
topic prefix and one database each) gets a site, rooms, offices, members, offerings with
and without a room (few seats, so requests contend) and an event with few seats, through
the APIs. Then, for CHAOS_SECONDS (180) at about CHAOS_RATE commands a second (2), clients
book, cancel, register, cancel registrations and ask for residencies, each command with an
Idempotency-Key and retried with the same key on connection errors and 5xx, while the
controller kills -9, at seeded random moments (CHAOS_SEED, printed), each service process,
FerretDB and the Kafka broker in turn (the infrastructure only when it is the local one,
with pid files under $PARKGRID_LOCAL), and starts them again. Three malformed messages are
injected on `spaces.commands` on purpose.

After the workload the run waits (bounded, CHAOS_SETTLE_SECONDS, 240) until the system
settles, then reads every service's own database and checks (reliability_chaos_check):
every 2xx is in its owner's store and in every projection that should have it, no seat
oversold, no overlapping reservation or residency, no duplicate effect, no outbox entry
left, and the DLQs hold the injected poison and nothing else (each poison message at least
once: a consumer killed between dead-lettering and committing does it again, at-least-once).
"Settled" means these checks hold; the time it took is a figure, bounded by
CHAOS_SETTLE_SECONDS, after which the violations left are reported. The figures go to
`.local/chaos/<timestamp>.json`; the test asserts 0 violations.

A service's relay and consumers run inside its process, so killing the process kills them
too. Kills are one at a time (each target once per shuffled round), the victim down for
0.5-4 s, then started again and waited for (`/readyz`); the next kill comes 2-8 s later.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from reliability_chaos import (
    REPO,
    SERVICES,
    Client,
    Controller,
    Workload,
    admin_headers,
    dead_letters,
    dlq_violations,
    inject_poison,
    setup,
)
from reliability_chaos_check import Accepted, check, load_snapshot

from parkgrid.testing.infrastructure import Infrastructure
from parkgrid.testing.stack import Stack
from parkgrid.topics import delete_topics_with_prefix

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(1800)]

SECONDS = float(os.environ.get("CHAOS_SECONDS", "180"))
RATE = float(os.environ.get("CHAOS_RATE", "2"))
SETTLE = float(os.environ.get("CHAOS_SETTLE_SECONDS", "240"))


def local_infra(infrastructure: Infrastructure) -> Path | None:
    """$PARKGRID_LOCAL when the tests run on the project's local infrastructure (its pid files), else None."""
    local = Path(os.environ.get("PARKGRID_LOCAL", REPO / ".local"))
    if infrastructure.origin == "testcontainers" or not (local / "run").is_dir():
        return None
    return local


async def settle(
    stack: Stack, accepted: Accepted, poison: set[str], within: float
) -> tuple[float, list[str], dict[str, int]]:
    """Poll the checks until they hold (the system has settled) or `within` runs out.

    Returns the time it took, the last violations and the number of dead letters per DLQ topic.
    """
    databases = {s: stack.database(s) for s in SERVICES}
    started = time.monotonic()
    letters: dict[str, list[str]] = {}
    while True:
        violations: list[str]
        try:
            snapshot = await asyncio.to_thread(load_snapshot, stack.mongodb_uri, databases)
            violations = check(snapshot, accepted)
            letters = await dead_letters(stack)
            violations += dlq_violations(letters, poison)
        except Exception as exc:  # the store or broker still coming back
            violations = [f"not readable yet: {exc!r}"]
        waited = time.monotonic() - started
        if not violations or waited > within:
            return waited, violations, {topic: len(ids) for topic, ids in letters.items() if ids}
        await asyncio.sleep(3)


async def test_chaos_run_ends_with_no_violation(infrastructure: Infrastructure) -> None:
    seed = int(os.environ.get("CHAOS_SEED", str(random.randrange(1_000_000))))
    print(f"\n[chaos] seed {seed} ({SECONDS:.0f} s at {RATE} commands/s; CHAOS_SEED={seed} repeats the choices)")
    rng = random.Random(seed)
    local = local_infra(infrastructure)
    stack = Stack(
        infrastructure.kafka_bootstrap_servers,
        infrastructure.mongodb_uri,
        logs=REPO / ".local" / "logs" / "stack",
        extra_env={"BOOKINGS_SWEEP_SECONDS": "5", "COMMUNITY_RECONCILE_SECONDS": "5"},
    )
    accepted = Accepted()
    began = time.monotonic()
    figures: dict[str, Any] = {}
    try:
        stack.start_all(SERVICES, wait=180)
        async with httpx.AsyncClient(timeout=30) as http:
            client = Client(stack, http, admin_headers(stack))
            world = await setup(client, accepted)
            setup_s = time.monotonic() - began
            poison = await inject_poison(stack)
            workload = Workload(client, accepted, world, random.Random(rng.random()))
            controller = Controller(stack, random.Random(rng.random()), local, dict(os.environ))
            stop = asyncio.Event()
            chaos = asyncio.create_task(controller.run(SECONDS, stop))
            run_began = time.monotonic()
            await workload.run(SECONDS, RATE)
            stop.set()
            await chaos  # the last victim is back
            workload_s = time.monotonic() - run_began
            settle_s, violations, letters = await settle(stack, accepted, poison, SETTLE)
        figures = {
            "seed": seed,
            "seconds": SECONDS,
            "rate": RATE,
            "commands_sent": sum(workload.sent.values()),
            "accepted": sum(workload.ok.values()),
            "sent_by_kind": dict(workload.sent),
            "accepted_by_kind": dict(workload.ok),
            "refused_by_kind_and_status": dict(workload.refused),
            "gave_up": dict(workload.gave_up),
            "client_retries": client.retries,
            "answers": dict(client.answers),
            "kills": sum(controller.kills.values()),
            "kills_by_target": dict(controller.kills),
            "kill_log": controller.log,
            "infrastructure": infrastructure.origin + ("" if local else " (not killed: not ours)"),
            "poison_injected": len(poison),
            "dead_letters": letters,
            "setup_s": round(setup_s, 1),
            "workload_s": round(workload_s, 1),
            "settle_s": round(settle_s, 1),
            "total_s": round(time.monotonic() - began, 1),
            "violations": len(violations),
            "violation_list": violations[:200],
        }
    finally:
        stack.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(delete_topics_with_prefix(stack.kafka_bootstrap, stack.topic_prefix), 30)
        with contextlib.suppress(Exception):
            from pymongo import MongoClient

            mongo: MongoClient[dict[str, Any]] = MongoClient(stack.mongodb_uri, serverSelectionTimeoutMS=5000)
            if figures.get("violations") == 0:  # keep the stores of a failed run to look at
                for service in SERVICES:
                    mongo.drop_database(stack.database(service))
            mongo.close()
    out = REPO / ".local" / "chaos" / f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2, default=str))
    print(json.dumps({k: v for k, v in figures.items() if k not in {"kill_log", "violation_list"}}, indent=2))
    for line in figures["violation_list"][:30]:
        print("[chaos] VIOLATION", line)
    print(f"[chaos] figures written to {out}")
    assert figures["violations"] == 0, f"{figures['violations']} violation(s); see {out}"
