"""The bookings ↔ spaces saga under faults: its world, its steady client, its fault run and its checker.

Reuses what exists: the scaling workload's set-up through the APIs (a site with meeting
rooms, members, offerings), its booking client (`book`: Idempotency-Key, the same key again
after a connection error, a 5xx or a key left in progress by a killed process), the chaos
run's kill controller and its invariant checker (`reliability_chaos_check.check`).

What is added here:
- `set_up_saga`: room offerings at the same times competing for fewer rooms than their
  seats (spaces refuses: no_space_free), and one offering needing a room no space fits
  (spaces refuses: no_space_fits), beside a plain offering (confirmed at once).
- `send`: the requests at a steady rate (not a fixed concurrency), each retried to a
  final answer while its process may be down.
- `run_saga_faults`: the stack with bookings' and spaces' relays as processes of their
  own (`parkgrid relay <service>`), the controller killing -9 bookings, spaces and both
  relays at seeded random moments, the settle and the figures.
- `saga_violations`: pure, over a snapshot of both stores and the client's answers, so a
  doctored snapshot shows it failing (test_reliability_saga_checker.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from reliability_chaos import Controller
from reliability_chaos_check import Accepted, Snapshot, check, load_snapshot

from parkgrid.testing.stack import REPO, Stack, relay_of
from parkgrid.topics import delete_topics_with_prefix
from tests.scaling.scaling_workload import (
    SITE,
    TAKEOVER_ENV,
    Answer,
    Offering,
    Plan,
    RoundRobin,
    _post_until_created,
    _until,
    admin,
    book,
    booking_id_of,
    mongo,
    offering_body,
    set_up,
    start_stack,
)

SAGA = ("bookings", "spaces")  # whose relays run apart, and whose stores are checked
TARGETS = ("bookings", "spaces", relay_of("bookings"), relay_of("spaces"))
LIVE = {"pending", "confirmed", "checked_in"}
SETTLED = {"confirmed", "rejected"}
TOO_BIG = 10  # seats asked of a room, more than set_up's rooms seat (6): only a big room, retired, ever fitted


# --- the world ------------------------------------------------------------------------------


async def set_up_saga(stack: Stack, *, members: int = 30, rooms: int = 4, days: int = 14) -> Plan:
    """Two room offerings of 3 seats at the same times (6 rooms wanted, `rooms` there), one plain
    offering, and one needing a room of TOO_BIG seats that no space fits any more.

    Catalogue publishes a room offering only while some room of its site can host it, so the
    big room exists when the offering is published and bookings lists its sessions, and is
    retired before the run: every booking of it is then rejected `no_space` by the saga.
    """
    plan = await set_up(stack, members=members, plain_offerings=1, room_offerings=2, seats=3, rooms=rooms, days=days)
    headers = admin(stack)
    async with httpx.AsyncClient(timeout=20) as http:
        big_room = {"space_id": "room-big", "name": "Grande salle", "kind": "meeting_room", "capacity": TOO_BIG}
        await _post_until_created(
            http, f"{stack.url('spaces')}/v1/sites/{SITE}/spaces", big_room, headers,
            within=60, what="the big room", exists_ok=True,
        )  # fmt: skip
        body = offering_body(len(plan.offerings), 1, True)
        body["space_requirement"]["seats"] = TOO_BIG
        created = await _post_until_created(
            http, f"{stack.url('catalogue')}/v1/offerings", body, {**headers, "Idempotency-Key": "saga-too-big"},
            within=60, what="the offering only the big room fits",
        )  # fmt: skip
        publish = f"{stack.url('catalogue')}/v1/offerings/{created['id']}/publish"

        async def published() -> bool:  # catalogue learns the big room over Kafka
            answer = await http.post(publish, headers=headers)
            assert answer.status_code in (200, 409), answer.text
            return answer.status_code == 200

        await _until(published, within=60, what="catalogue publishes the offering the big room hosts")
        too_big = Offering(created["id"], 1, True)
        today = datetime.now(UTC).date()

        async def known() -> bool:
            response = await http.get(
                f"{stack.url('bookings')}/v1/offerings/{too_big.offering_id}/slots",
                params={
                    "from": (today + timedelta(days=1)).isoformat(),
                    "to": (today + timedelta(days=days)).isoformat(),
                },
                headers=headers,
            )
            if response.status_code != 200 or not response.json()["items"]:
                return False
            too_big.sessions = [s["starts_at"] for s in response.json()["items"]]
            return True

        await _until(known, within=60, what="bookings knows the offering only the big room fits")
        retired = await http.post(f"{stack.url('spaces')}/v1/spaces/room-big/retire", headers=headers)
        assert retired.status_code == 200, retired.text
    plan.offerings.append(too_big)
    return plan


# --- the client at a steady rate ------------------------------------------------------------


async def send(stack: Stack, plan: Plan, *, count: int, rate: float, tag: str, within: float = 900.0) -> list[Answer]:
    """`count` POST /v1/bookings, one every 1/`rate` s whatever the answers, each until final.

    Aimed at the bookings port of the stack, which a restarted process takes again: while
    it is down, requests fail to connect and `book` retries them with their key.
    """
    rr = RoundRobin(lambda: [stack.url("bookings")], cool_down=0.0)
    headers = admin(stack)
    bodies = plan.requests()
    answers: list[Answer] = []
    started = time.monotonic()
    give_up_at = started + count / rate + within
    async with httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=5.0)) as http:
        tasks = []
        for n, body in enumerate(itertools.islice(bodies, count)):
            await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
            answer = Answer(key=f"{tag}-{n}", body=body)
            answers.append(answer)
            tasks.append(asyncio.create_task(book(http, rr, answer, headers, give_up_at=give_up_at)))
        await asyncio.gather(*tasks)
    return answers


# --- the checker ----------------------------------------------------------------------------


def saga_violations(snapshot: Snapshot, answers: Sequence[Answer], seats: dict[str, int]) -> list[str]:
    """Everything the saga must never leave behind, one line each (empty when all is well).

    The chaos checker's part (outbox drained, accepted bookings stored and not pending, a
    confirmed booking's reservation held, a rejected one's not, seats, no overlapping holds),
    and on top: (a) no confirmed booking needing a room without its reservation, even one
    that never asked; (b) no reservation held for a booking that is not live or has moved
    on to another request; (c) every accepted request confirmed or rejected; (d) one
    booking per key and none for a refused one, no space reserved twice at once.
    """
    accepted = Accepted(offering_seats=dict(seats))
    for a in answers:
        if a.booking_id is not None:
            accepted.bookings[a.key].add(a.booking_id)
    problems = check(snapshot, accepted)

    bookings = {str(d["_id"]): d for d in snapshot.get("bookings", {}).get("bookings", [])}
    reservations = {str(d["_id"]): d for d in snapshot.get("spaces", {}).get("reservations", [])}

    # (a) a confirmed booking that needs a room holds its current reservation.
    for booking_id, doc in bookings.items():
        if doc.get("status") in {"confirmed", "checked_in"} and doc.get("requirement"):
            request_id = doc.get("reservation_request_id")
            reservation = reservations.get(str(request_id)) if request_id else None
            if reservation is None:
                problems.append(f"booking {booking_id}: confirmed, needs a room, no reservation ({request_id!r})")

    # (b) a held reservation belongs to a live booking that still wants it.
    for reservation_id, doc in reservations.items():
        if doc.get("status") != "confirmed" or doc.get("requested_by") != "bookings":
            continue
        booking = bookings.get(str(doc.get("reference_id")))
        if booking is None:
            problems.append(f"reservation {reservation_id}: held for booking {doc.get('reference_id')} that is not")
        elif booking.get("status") not in LIVE:
            problems.append(
                f"reservation {reservation_id}: held for booking {booking['_id']} that is {booking.get('status')}"
            )
        elif booking.get("reservation_request_id") != reservation_id:
            problems.append(
                f"reservation {reservation_id}: held for booking {booking['_id']}, which now wants "
                f"{booking.get('reservation_request_id')}"
            )

    # (c) and (d): every key answered; an accepted one ended settled, a refused one made nothing.
    answered: set[str] = set()
    for a in answers:
        own = booking_id_of(a.key)
        stored = bookings.get(own)
        if a.status is None:
            problems.append(f"key {a.key}: never got a final answer")
        elif a.booking_id is not None:
            answered.add(own)
            if a.booking_id != own:
                problems.append(f"key {a.key}: answered booking {a.booking_id}, not the key's {own}")
            elif stored is not None and stored.get("status") not in SETTLED:
                problems.append(f"key {a.key}: accepted ({a.status}), ended {stored.get('status')!r}")
            elif stored is not None and a.booking_status in SETTLED and stored.get("status") != a.booking_status:
                problems.append(f"key {a.key}: answered {a.booking_status}, stored {stored.get('status')}")
        elif stored is not None:
            problems.append(f"key {a.key}: refused ({a.status}), yet booking {own} is {stored.get('status')}")
    strays = sorted(set(bookings) - answered)
    if answers and strays:
        problems.append(f"{len(strays)} booking(s) no accepted answer accounts for: {strays[:5]}")
    held: dict[str, list[tuple[datetime, datetime, str]]] = defaultdict(list)
    for reservation_id, doc in reservations.items():
        if doc.get("status") == "confirmed":
            held[str(doc.get("space_id"))].append((doc["time"]["starts_at"], doc["time"]["ends_at"], reservation_id))
    for space_id, spans in held.items():
        spans.sort()
        for (_, end, first), (start, _, second) in itertools.pairwise(spans):
            if start < end:
                problems.append(f"room {space_id} reserved twice at once: {first} and {second}")
    return problems


def counts(snapshot: Snapshot) -> dict[str, Any]:
    """Bookings by state and reservations by state and refusal reason."""
    bookings = Counter(str(d.get("status")) for d in snapshot.get("bookings", {}).get("bookings", []))
    reservations = Counter(str(d.get("status")) for d in snapshot.get("spaces", {}).get("reservations", []))
    reasons = Counter(
        str(d.get("reason")) for d in snapshot.get("spaces", {}).get("reservations", []) if d.get("status") == "refused"
    )
    return {"bookings": dict(bookings), "reservations": dict(reservations), "refusals": dict(reasons)}


# --- the run --------------------------------------------------------------------------------


@dataclass
class SagaRun:
    """Figures of one run under faults, written to .local/chaos/saga-<timestamp>.json."""

    bookings: int
    rate: float
    seed: int
    figures: dict[str, Any] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    path: Path | None = None


async def settle(
    stack: Stack, answers: Sequence[Answer], seats: dict[str, int], within: float
) -> tuple[float, list[str], Snapshot]:
    """Poll the checker until it finds nothing (settled) or `within` s ran out."""
    databases = {s: stack.database(s) for s in SAGA}
    started = time.monotonic()
    snapshot: Snapshot = {}
    while True:
        try:
            snapshot = await asyncio.to_thread(load_snapshot, stack.mongodb_uri, databases)
            problems = saga_violations(snapshot, answers, seats)
        except Exception as exc:  # a store answering slowly under the shared load
            problems = [f"not readable yet: {exc!r}"]
        waited = time.monotonic() - started
        if not problems or waited > within:
            return waited, problems, snapshot
        await asyncio.sleep(2)


async def run_saga_faults(
    kafka_bootstrap: str,
    mongodb_uri: str,
    *,
    bookings: int,
    rate: float,
    seed: int,
    pause_s: tuple[float, float],
    down_s: tuple[float, float],
    settle_within: float,
    max_kills: int | None = None,
) -> SagaRun:
    """The whole run: stack, world, steady bookings under kills, settle, check, figures on disk.

    Kills go on while bookings are sent, and until each target was killed once; `max_kills`
    ends them sooner (a small run: one shuffled round, each target once).
    """
    run = SagaRun(bookings, rate, seed)
    rng = random.Random(seed)
    stack = Stack(
        kafka_bootstrap,
        mongodb_uri,
        logs=REPO / ".local" / "logs" / "stack",
        relays=frozenset(SAGA),
        extra_env=dict(TAKEOVER_ENV),
    )
    began = time.monotonic()
    try:
        await start_stack(stack, 1)
        for service in SAGA:
            await asyncio.to_thread(stack.start, relay_of(service), wait=120)
        started_s = time.monotonic() - began
        plan = await set_up_saga(stack)
        seats = {o.offering_id: o.seats for o in plan.offerings}
        setup_s = time.monotonic() - began - started_s

        controller = Controller(
            stack, random.Random(rng.random()), None, {}, processes=TARGETS, pause_s=pause_s, down_s=down_s
        )
        stop = asyncio.Event()
        chaos = asyncio.create_task(controller.run(24 * 3600, stop))

        async def enough() -> None:
            while max_kills is not None and sum(controller.kills.values()) < max_kills:
                await asyncio.sleep(0.2)
            if max_kills is not None:
                stop.set()

        limit = asyncio.create_task(enough())
        sent_at = time.monotonic()
        answers = await send(stack, plan, count=bookings, rate=rate, tag=f"saga{seed}")
        send_s = time.monotonic() - sent_at
        while set(controller.kills) < set(TARGETS) and not chaos.done():  # each target at least once
            await asyncio.sleep(0.5)
        stop.set()
        limit.cancel()
        await chaos  # the last victim is back
        chaos_s = time.monotonic() - sent_at
        settle_s, run.violations, snapshot = await settle(stack, answers, seats, settle_within)

        statuses = Counter(a.status for a in answers)
        found = counts(snapshot)
        run.figures = {
            "seed": seed,
            "bookings_sent": len(answers),
            "rate_per_s": rate,
            "answered": sum(n for s, n in statuses.items() if s is not None),
            "accepted": sum(1 for a in answers if a.booking_id),
            "accepted_201": statuses.get(201, 0),
            "accepted_202": statuses.get(202, 0),
            "refused_409_full": statuses.get(409, 0),
            "confirmed": found["bookings"].get("confirmed", 0),
            "rejected": found["bookings"].get("rejected", 0),
            "stored_bookings": found["bookings"],
            "reservations": found["reservations"],
            "refusals_by_reason": found["refusals"],
            "client_retries_after_connection_error": sum(1 for a in answers if a.connection_errors),
            "kills": sum(controller.kills.values()),
            "kills_by_target": dict(controller.kills),
            "kill_log": controller.log,
            "start_s": round(started_s, 1),
            "setup_s": round(setup_s, 1),
            "send_s": round(send_s, 1),
            "chaos_s": round(chaos_s, 1),
            "settle_s": round(settle_s, 1),
            "total_s": round(time.monotonic() - began, 1),
            "violations": len(run.violations),
            "violation_list": run.violations[:200],
        }
    finally:
        stack.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(delete_topics_with_prefix(stack.kafka_bootstrap, stack.topic_prefix), 30)
        if run.figures and not run.violations:  # keep the stores of a failed run to look at
            with contextlib.suppress(Exception):
                async with mongo(stack) as client:
                    for service in ("spaces", "community", "catalogue", "bookings"):
                        await client.drop_database(stack.database(service))
    run.path = REPO / ".local" / "chaos" / f"saga-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    run.path.parent.mkdir(parents=True, exist_ok=True)
    run.path.write_text(json.dumps(run.figures, indent=2, default=str))
    print(json.dumps({k: v for k, v in run.figures.items() if k not in {"kill_log", "violation_list"}}, indent=2))
    for line in run.violations[:30]:
        print("[saga] VIOLATION", line)
    print(f"[saga] figures written to {run.path}")
    return run
