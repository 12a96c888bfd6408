"""The chaos run's parts: setup through the APIs, the client workload, the kill controller, DLQ reading.

- `setup` writes a site, meeting rooms and offices (spaces), members with people
  (community), offerings with and without a room and few seats (catalogue) and an event
  with few seats, through the services' APIs as an operator would.
- `Workload` sends a bounded mix of commands (bookings with and without a room,
  cancellations, event registrations and their cancellations, residencies), each with
  an `Idempotency-Key`, retried with the same key on connection errors and 5xx as a real
  client does, and records every 2xx answer in an `Accepted`.
- `Controller` kills -9, at seeded random moments, one of: a service process
  (`Stack.kill` + `start`), FerretDB or the Kafka broker (the pid of
  `$PARKGRID_LOCAL/run/<part>.pid`, started again with `infra.sh up <part>`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import subprocess
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from aiokafka.admin import AIOKafkaAdminClient
from reliability_chaos_check import Accepted

from parkgrid.auth import Role
from parkgrid.deadletters import read_dead_letters
from parkgrid.kafka import make_producer
from parkgrid.testing.stack import Stack

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "deploy" / "local" / "infra.sh"
SERVICES = ("spaces", "catalogue", "community", "bookings")
INFRA_PARTS = ("ferretdb", "kafka")
SITE = "site-chaos"
WEEK = [{"weekday": d, "opens": "08:00", "closes": "19:00"} for d in range(1, 8)]
ROOMS = (("sp-chaos-atlas", 6), ("sp-chaos-rif", 4))
OFFICES = ("sp-chaos-office-1", "sp-chaos-office-2", "sp-chaos-office-3")
MEMBERS = 12
OFFERING_SEATS = {"off-chaos-mentoring": 2, "off-chaos-clinic": 3, "off-chaos-room": 2}
EVENT_CAPACITY = 6


def member_id(i: int) -> str:
    return f"m-chaos-{i:02d}"


def person_id(i: int) -> str:
    return f"p-chaos-{i:02d}"


class Gave(Exception):
    """A command that got no 2xx after every retry (a real client would show an error)."""


@dataclass
class Client:
    """HTTP with a real client's behaviour: same Idempotency-Key on retries of connection errors and 5xx."""

    stack: Stack
    http: httpx.AsyncClient
    admin: dict[str, str]
    retries: int = 0
    answers: Counter[str] = field(default_factory=Counter)
    deadline_s: float = 90.0

    async def post(
        self, service: str, path: str, body: dict[str, Any] | None, key: str | None = None
    ) -> httpx.Response:
        headers = {**self.admin, "Prefer": "wait=5"}
        if key:
            headers["Idempotency-Key"] = key
        give_up = time.monotonic() + self.deadline_s
        while True:
            try:
                answer = await self.http.post(f"{self.stack.url(service)}{path}", json=body, headers=headers)
                self.answers[str(answer.status_code)] += 1
                if answer.status_code < 500:
                    return answer
            except httpx.HTTPError as exc:
                self.answers[type(exc).__name__] += 1
            if time.monotonic() > give_up:
                raise Gave(f"{service} {path}")
            self.retries += 1
            await asyncio.sleep(0.5)

    async def get(self, service: str, path: str, **params: Any) -> httpx.Response | None:
        try:
            return await self.http.get(f"{self.stack.url(service)}{path}", params=params, headers=self.admin)
        except httpx.HTTPError:
            return None


async def until_2xx(client: Client, service: str, path: str, body: dict[str, Any], key: str) -> httpx.Response:
    """POST until the service knows what the body refers to (projections arrive over Kafka).

    A refusal (4xx) had no effect, and the service replays its stored answer for a key it has
    answered, so each attempt after a refusal asks again under a key of its own."""
    deadline = time.monotonic() + 90
    attempt = 0
    while True:
        answer = await client.post(service, path, body, key if attempt == 0 else f"{key}-{attempt}")
        if answer.status_code < 300:
            return answer
        if 400 <= answer.status_code < 500:
            attempt += 1
        if time.monotonic() > deadline:
            raise AssertionError(f"{service} {path}: {answer.status_code} {answer.text}")
        await asyncio.sleep(0.5)


async def setup(client: Client, accepted: Accepted) -> dict[str, Any]:
    """The world of the run, written through the APIs; returns the ids and slots the workload uses."""
    site = {
        "site_id": SITE,
        "name": "Technopark Chaos",
        "city": "Rabat",
        "country": "MA",
        "time_zone": "Africa/Casablanca",
        "opening_hours": WEEK,
    }
    await until_2xx(client, "spaces", "/v1/sites", site, "setup-site")
    body: dict[str, Any]
    for space_id, capacity in ROOMS:
        body = {"space_id": space_id, "name": space_id, "kind": "meeting_room", "capacity": capacity}
        await until_2xx(client, "spaces", f"/v1/sites/{SITE}/spaces", body, f"setup-{space_id}")
    for space_id in OFFICES:
        body = {"space_id": space_id, "name": space_id, "kind": "private_office", "capacity": 4}
        await until_2xx(client, "spaces", f"/v1/sites/{SITE}/spaces", body, f"setup-{space_id}")
    for i in range(MEMBERS):
        body = {
            "member_id": member_id(i),
            "name": f"Chaos {i}",
            "kind": "startup",
            "sector": "agritech",
            "home_site_id": SITE,
            "stage": "incubation",
            "started_on": "2026-01-05",
            "people": [{"person_id": person_id(i), "name": f"Person {i}", "email": f"p{i}@chaos.ma", "role": "CEO"}],
        }
        answer = await until_2xx(client, "community", "/v1/members", body, f"setup-{member_id(i)}")
        accepted.members[member_id(i)] = answer.json()
    offerings: dict[str, str] = {}
    for key, seats in OFFERING_SEATS.items():
        body = {
            "site_id": SITE,
            "category": "meeting_room" if key.endswith("room") else "mentoring",
            "title": {"fr": key, "en": key},
            "description": {"fr": "Une séance.", "en": "A session."},
            "provider": {"name": "Réseau", "kind": "partner"},
            "mode": "in_person",
            "session_minutes": 60,
            "seats_per_session": seats,
            "eligibility": {"member_kinds": [], "stages": []},
            "availability": WEEK,
        }
        if key.endswith("room"):
            body["space_requirement"] = {"kind": "meeting_room", "seats": 4}
        created = await until_2xx(client, "catalogue", "/v1/offerings", body, f"setup-{key}")
        offering_id = created.json()["id"]
        published = await client.post("catalogue", f"/v1/offerings/{offering_id}/publish", None)
        assert published.status_code == 200, published.text
        offerings[key] = offering_id
        accepted.offering_seats[offering_id] = seats
    start = (datetime.now(UTC) + timedelta(days=3)).replace(hour=16, minute=0, second=0, microsecond=0)
    event = {
        "site_id": SITE,
        "kind": "workshop",
        "title": {"fr": "Atelier", "en": "Workshop"},
        "description": {"fr": "Un atelier.", "en": "A workshop."},
        "time": {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=1)).isoformat()},
        "capacity": EVENT_CAPACITY,
        "publish": True,
    }
    created = await until_2xx(client, "community", "/v1/events", event, "setup-event")
    event_id = created.json()["event_id"]
    accepted.event_capacity[event_id] = EVENT_CAPACITY
    # Sessions of the next days (not today: too near), a handful per offering so seats run out.
    slots: dict[str, list[str]] = {}
    deadline = time.monotonic() + 90
    for offering_id in offerings.values():
        while True:
            first = (date.today() + timedelta(days=2)).isoformat()
            last = (date.today() + timedelta(days=4)).isoformat()
            listed = await client.get("bookings", f"/v1/offerings/{offering_id}/slots", **{"from": first, "to": last})
            items = listed.json().get("items", []) if listed is not None and listed.status_code == 200 else []
            if items:
                slots[offering_id] = [s["starts_at"] for s in items[:4]]
                break
            assert time.monotonic() < deadline, f"bookings never learnt offering {offering_id}"
            await asyncio.sleep(0.5)
    return {"offerings": offerings, "slots": slots, "event_id": event_id}


@dataclass
class Workload:
    client: Client
    accepted: Accepted
    world: dict[str, Any]
    rng: random.Random
    sent: Counter[str] = field(default_factory=Counter)
    ok: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    gave_up: Counter[str] = field(default_factory=Counter)
    booked: list[str] = field(default_factory=list)
    registered: list[tuple[str, int]] = field(default_factory=list)
    busy: set[int] = field(default_factory=set)  # people with a registration command in flight

    async def one(self) -> None:
        kind = self.rng.choices(
            ["booking", "room_booking", "cancel_booking", "registration", "cancel_registration", "residency"],
            weights=[30, 20, 12, 20, 8, 10],
        )[0]
        self.sent[kind] += 1
        try:
            answer = await getattr(self, kind)()
        except Gave:
            self.gave_up[kind] += 1
            return
        if answer is None:
            self.sent[kind] -= 1  # nothing to cancel yet: not sent
            return
        if answer.status_code < 300:
            self.ok[kind] += 1
        else:
            self.refused[f"{kind}:{answer.status_code}"] += 1

    async def _book(self, offering_key: str) -> httpx.Response:
        offering_id = self.world["offerings"][offering_key]
        i = self.rng.randrange(MEMBERS)
        body = {
            "offering_id": offering_id,
            "member_id": member_id(i),
            "person_id": person_id(i),
            "starts_at": self.rng.choice(self.world["slots"][offering_id]),
            "join_waitlist": self.rng.random() < 0.4,
        }
        key = f"bk-{uuid.uuid4().hex[:12]}"
        answer = await self.client.post("bookings", "/v1/bookings", body, key)
        if answer.status_code < 300:
            data = answer.json()
            if data.get("status") == "waitlisted":
                self.accepted.waitlist[key].add(data["id"])
            elif data.get("booking_id"):
                self.accepted.bookings[key].add(data["booking_id"])
                self.booked.append(data["booking_id"])
        return answer

    async def booking(self) -> httpx.Response:
        return await self._book(self.rng.choice(["off-chaos-mentoring", "off-chaos-clinic"]))

    async def room_booking(self) -> httpx.Response:
        return await self._book("off-chaos-room")

    async def cancel_booking(self) -> httpx.Response | None:
        if not self.booked:
            return None
        booking_id = self.booked.pop(self.rng.randrange(len(self.booked)))
        answer = await self.client.post(
            "bookings", f"/v1/bookings/{booking_id}/cancel", {"override": True}, f"cx-{booking_id}"
        )
        if answer.status_code < 300:
            self.accepted.booking_cancels.add(booking_id)
        return answer

    async def registration(self) -> httpx.Response | None:
        free = [i for i in range(MEMBERS) if i not in self.busy]
        if not free:
            return None
        i = self.rng.choice(free)
        key = f"rg-{uuid.uuid4().hex[:12]}"
        body = {"person_id": person_id(i), "member_id": member_id(i)}
        self.busy.add(i)
        try:
            answer = await self.client.post(
                "community", f"/v1/events/{self.world['event_id']}/registrations", body, key
            )
        finally:
            self.busy.discard(i)
        if answer.status_code < 300:
            registration_id = answer.json().get("registration_id")
            if registration_id:
                self.accepted.registrations[key].add(registration_id)
                self.registered.append((registration_id, i))
                self.accepted.registration_cancels.discard(registration_id)  # registered again
        return answer

    async def cancel_registration(self) -> httpx.Response | None:
        choices = [n for n, (_, i) in enumerate(self.registered) if i not in self.busy]
        if not choices:
            return None
        registration_id, i = self.registered.pop(self.rng.choice(choices))
        self.busy.add(i)
        try:
            answer = await self.client.post(
                "community", f"/v1/registrations/{registration_id}/cancel", None, f"cx-{uuid.uuid4().hex[:12]}"
            )
        finally:
            self.busy.discard(i)
        if answer.status_code < 300:
            self.accepted.registration_cancels.add(registration_id)
        return answer

    async def residency(self) -> httpx.Response:
        starts = date.today() + timedelta(days=30 + self.rng.randrange(300))
        body = {
            "member_id": member_id(self.rng.randrange(MEMBERS)),
            "site_id": SITE,
            "space_id": self.rng.choice(OFFICES),
            "starts_on": starts.isoformat(),
            "ends_on": (starts + timedelta(days=self.rng.randrange(10, 90))).isoformat(),
        }
        key = f"rs-{uuid.uuid4().hex[:12]}"
        answer = await self.client.post("spaces", "/v1/residencies", body, key)
        if answer.status_code < 300:
            residency_id = answer.json().get("residency_id")
            if residency_id:
                self.accepted.residencies[key].add(residency_id)
        return answer

    async def run(self, seconds: float, rate: float, workers: int = 4) -> None:
        """About `rate` commands a second for `seconds`, by `workers` concurrent clients."""
        stop = time.monotonic() + seconds
        total = int(seconds * rate)
        queue: asyncio.Queue[float] = asyncio.Queue()
        start = time.monotonic()
        for n in range(total):
            queue.put_nowait(start + n / rate)

        async def worker() -> None:
            while not queue.empty() and time.monotonic() < stop + 60:
                at = queue.get_nowait()
                await asyncio.sleep(max(0.0, at - time.monotonic()))
                await self.one()

        await asyncio.gather(*(worker() for _ in range(workers)))


@dataclass
class Controller:
    """Kills one target at a time, at seeded random moments, and brings it back.

    Targets are the stack's `processes` (services, or relay processes named `relay_of(service)`)
    and, when `local` is given, the infrastructure's parts.
    """

    stack: Stack
    rng: random.Random
    local: Path | None  # $PARKGRID_LOCAL of the infrastructure, or None when it is not ours to kill
    env: dict[str, str]
    kills: Counter[str] = field(default_factory=Counter)
    log: list[dict[str, Any]] = field(default_factory=list)
    processes: tuple[str, ...] = SERVICES
    pause_s: tuple[float, float] = (2.0, 8.0)  # between the return of one victim and the next kill
    down_s: tuple[float, float] = (0.5, 4.0)  # how long a victim stays down

    def targets(self) -> list[str]:
        infra = [p for p in INFRA_PARTS if self.local and (self.local / "run" / f"{p}.pid").exists()]
        return [*self.processes, *infra]

    def kill_infra(self, part: str) -> None:
        assert self.local is not None
        pid = int((self.local / "run" / f"{part}.pid").read_text().strip())
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)

    def start_infra(self, part: str) -> None:
        done = subprocess.run(
            ["bash", str(INFRA), "up", part], env=self.env, capture_output=True, text=True, timeout=300, check=False
        )
        assert done.returncode == 0, f"infra.sh up {part} failed:\n{done.stdout}\n{done.stderr}"

    def strike(self, target: str, down_s: float) -> None:
        began = time.monotonic()
        if target in INFRA_PARTS:
            self.kill_infra(target)
            time.sleep(down_s)
            self.start_infra(target)
        else:
            self.stack.kill(target)
            time.sleep(down_s)
            self.stack.start(target, wait=240)
        self.kills[target] += 1
        back = round(time.monotonic() - began, 1)
        self.log.append({"target": target, "down_s": round(down_s, 1), "back_after_s": back})

    async def run(self, seconds: float, stop: asyncio.Event) -> None:
        """Until `seconds` have passed: wait a random while, kill a random target, bring it back.

        Every target is hit once before any is hit twice (a shuffled round), so even a short
        run kills each service, FerretDB and Kafka.
        """
        end = time.monotonic() + seconds
        order: list[str] = []
        while not stop.is_set() and time.monotonic() < end:
            await asyncio.sleep(self.rng.uniform(*self.pause_s))
            if stop.is_set() or time.monotonic() >= end:
                break
            if not order:
                order = self.targets()
                self.rng.shuffle(order)
            target = order.pop()
            print(f"[chaos] t={seconds - (end - time.monotonic()):.0f}s kill -9 {target}", flush=True)
            await asyncio.to_thread(self.strike, target, self.rng.uniform(*self.down_s))


async def inject_poison(stack: Stack, count: int = 3) -> set[str]:
    """Malformed messages on `spaces.commands` (spaces' one consumer group): they must end in its DLQ, once each."""
    producer = make_producer(stack.kafka_bootstrap, client_id="chaos-poison")
    await producer.start()
    ids = set()
    try:
        for n in range(count):
            poison_id = f"chaos-poison-{n}-{uuid.uuid4().hex[:6]}"
            await producer.send_and_wait(
                f"{stack.topic_prefix}spaces.commands",
                key=SITE.encode(),
                value=b'{"request_id": "half a JSON',
                headers=[("ce_id", poison_id.encode()), ("ce_type", b"parkgrid.spaces.reservation.requested")],
            )
            ids.add(poison_id)
    finally:
        await producer.stop()
    return ids


async def dead_letters(stack: Stack) -> dict[str, list[str]]:
    """Every DLQ topic of the stack → the `ce_id` of each dead letter in it."""
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.kafka_bootstrap)
    await admin.start()
    try:
        topics = [t for t in await admin.list_topics() if t.startswith(stack.topic_prefix) and t.endswith(".dlq")]
    finally:
        await admin.close()
    out = {}
    for topic in topics:
        letters = await read_dead_letters(stack.kafka_bootstrap, topic)
        out[topic.removeprefix(stack.topic_prefix)] = [letter.header("ce_id") or "?" for letter in letters]
    return out


def dlq_violations(letters: dict[str, list[str]], poison: set[str]) -> list[str]:
    violations = []
    for topic, ids in letters.items():
        expected = poison if topic == "spaces.commands.dlq" else set()
        unexpected = [i for i in ids if i not in expected]
        if unexpected:
            violations.append(f"dlq {topic}: {len(unexpected)} unexpected dead letter(s) {unexpected[:5]}")
    got = set(letters.get("spaces.commands.dlq", []))
    if got & poison != poison:
        violations.append(f"dlq spaces.commands.dlq: poison {sorted(poison - got)} never dead-lettered")
    return violations


def admin_headers(stack: Stack) -> dict[str, str]:
    return stack.headers(Role.ADMIN)
