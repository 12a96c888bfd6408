"""The booking workload against several bookings processes, and the checks that follow it.

Used by `test_scaling_bookings.py` (small size, in `make test`) and by the bench (`measure`,
large size, in `make bench`). Everything goes through the services' HTTP APIs, as a user
would: spaces registers a site and its meeting rooms, community the members, catalogue the
offerings (some needing a room, sessions of few seats); bookings learns all of it over Kafka.
Then `POST /v1/bookings` is driven at a fixed concurrency through a client-side round robin
over the live bookings instances, every request with an `Idempotency-Key`, retried with the
same key when its instance dies under it.

The checks read the services' databases directly (pymongo) and the consumer groups' offsets
(aiokafka's admin): one booking per key, never more seats than a session has, seats and
bookings agreeing, no saga left pending, bookings and spaces agreeing on rooms, and every
bookings consumer group drained.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import random
import statistics
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment
from pymongo import AsyncMongoClient

from parkgrid.auth import Role
from parkgrid.contracts.topics import TOPICS
from parkgrid.http.idempotency import command_id
from parkgrid.testing.stack import REPO, Instance, Stack, declared_services, free_port
from parkgrid.testing.topics import consumer_lag
from parkgrid.topics import ensure_topics

SITE = "site-scale"
ZONE = "Africa/Casablanca"
ADMIN = "scale-admin"
SERVICES = ("spaces", "community", "catalogue", "bookings")
BOOKINGS_GROUPS = ("offerings", "members", "sites", "reservations", "entitlements")
ACTIVE = {"pending", "confirmed", "checked_in"}
IN_PROGRESS = "still being processed"


# --- set-up through the APIs ---------------------------------------------------------------


@dataclass
class Offering:
    offering_id: str
    seats: int
    needs_room: bool
    sessions: list[str] = field(default_factory=list)


@dataclass
class Plan:
    offerings: list[Offering]
    members: list[str]
    rooms: int
    _stream: Iterator[dict[str, Any]] | None = None

    @property
    def stream(self) -> Iterator[dict[str, Any]]:
        """One stream of requests for every run on this plan: no run starts on sessions another filled."""
        if self._stream is None:
            self._stream = self.requests()
        return self._stream

    def requests(self, seed: int = 7, extra_per_session: int = 2) -> Iterator[dict[str, Any]]:
        """Booking bodies: each session in turn (offerings interleaved), `seats + extra` members each.

        So every session is contended: some requests get a seat, the rest find it full (409).
        """
        rng = random.Random(seed)
        depth = max(len(o.sessions) for o in self.offerings)
        for index in range(depth):
            for offering in self.offerings:
                if index >= len(offering.sessions):
                    continue
                starts_at = offering.sessions[index]
                for member_id in rng.sample(self.members, min(len(self.members), offering.seats + extra_per_session)):
                    yield {"offering_id": offering.offering_id, "member_id": member_id, "starts_at": starts_at}


def admin(stack: Stack) -> dict[str, str]:
    return stack.headers(Role.ADMIN, subject=ADMIN)


async def _until(probe: Callable[[], Awaitable[bool]], *, within: float, what: str, every: float = 0.3) -> None:
    deadline = time.monotonic() + within
    while not await probe():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not within {within:.0f} s: {what}")
        await asyncio.sleep(every)


async def _post_until_created(
    http: httpx.AsyncClient,
    url: str,
    body: dict[str, Any],
    headers: dict[str, str],
    *,
    within: float,
    what: str,
    exists_ok: bool = False,
) -> dict[str, Any]:
    """POST until 201: the other services learn the site over Kafka, a moment after spaces has it."""
    answer: dict[str, Any] = {}
    last: list[str] = []
    sent = dict(headers)
    tries = itertools.count(1)

    async def created() -> bool:
        try:
            response = await http.post(url, json=body, headers=sent)
        except httpx.TimeoutException as exc:  # a busy shared store: the same request again
            last[:] = [repr(exc)]
            return False
        last[:] = [f"{response.status_code} {response.text[:300]}"]
        if response.status_code == 201 or (exists_ok and response.status_code == 409):
            answer.update(response.json())
            return True
        unknown_site = response.status_code == 422 and "site" in response.text
        if unknown_site and "Idempotency-Key" in headers:
            # That attempt made nothing, and its key now replays its 422: the next needs a key of its own.
            sent["Idempotency-Key"] = f"{headers['Idempotency-Key']}-{next(tries)}"
        if not unknown_site and response.status_code not in (409, 503):
            raise AssertionError(f"{what}: {response.status_code} {response.text[:300]}")
        return False

    try:
        await _until(created, within=within, what=what)
    except TimeoutError as exc:
        raise TimeoutError(f"{exc} (last answer: {last})") from None
    return answer


def offering_body(index: int, seats: int, needs_room: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "site_id": SITE,
        "category": "meeting_room" if needs_room else "mentoring",
        "title": {"fr": f"Séance {index}", "en": f"Session {index}"},
        "description": {"fr": "Charge de test", "en": "Load test"},
        "provider": {"name": "Scaling", "kind": "staff"},
        "mode": "in_person",
        "session_minutes": 30,
        "seats_per_session": seats,
        "rules": {"min_notice_minutes": 0, "max_advance_days": 90},
        "availability": [{"weekday": d, "opens": "08:00", "closes": "20:00"} for d in range(1, 8)],
    }
    if needs_room:
        body["space_requirement"] = {"kind": "meeting_room", "seats": seats}
    return body


async def set_up(
    stack: Stack,
    *,
    members: int = 40,
    plain_offerings: int = 3,
    room_offerings: int = 2,
    seats: int = 3,
    rooms: int = 2,
    days: int = 14,
    within: float = 60.0,
) -> Plan:
    """A site with meeting rooms, members and published offerings, known to bookings."""
    headers = admin(stack)
    tag = uuid.uuid4().hex[:6]
    async with httpx.AsyncClient(timeout=20) as http:
        spaces = stack.url("spaces")
        site = {
            "site_id": SITE,
            "name": "Technopark Scale",
            "city": "Rabat",
            "country": "MA",
            "time_zone": ZONE,
            "opening_hours": [{"weekday": d, "opens": "07:00", "closes": "21:00"} for d in range(1, 8)],
        }
        url = f"{spaces}/v1/sites"
        await _post_until_created(http, url, site, headers, within=within, what="the site", exists_ok=True)
        for n in range(rooms):
            room = {"space_id": f"room-{n}", "name": f"Salle {n}", "kind": "meeting_room", "capacity": 6}
            url = f"{spaces}/v1/sites/{SITE}/spaces"
            await _post_until_created(http, url, room, headers, within=within, what=f"room {n}", exists_ok=True)

        member_ids = [f"member-scale-{n:03d}" for n in range(members)]

        async def register(member_id: str) -> None:
            body = {
                "member_id": member_id,
                "name": f"Startup {member_id}",
                "kind": "startup",
                "sector": "agritech",
                "home_site_id": SITE,
                "stage": "incubation",
                "people": [{"name": "Salma", "email": f"{member_id}@example.ma", "role": "CEO"}],
            }
            key = {**headers, "Idempotency-Key": f"{tag}-{member_id}"}
            await _post_until_created(
                http, f"{stack.url('community')}/v1/members", body, key, within=within, what=f"member {member_id}"
            )

        await register(member_ids[0])  # waits for community to learn the site
        rest = member_ids[1:]
        for start in range(0, len(rest), 8):
            await asyncio.gather(*(register(m) for m in rest[start : start + 8]))

        offerings: list[Offering] = []
        for index in range(plain_offerings + room_offerings):
            needs_room = index >= plain_offerings
            key = {**headers, "Idempotency-Key": f"{tag}-offering-{index}"}
            created = await _post_until_created(
                http,
                f"{stack.url('catalogue')}/v1/offerings",
                offering_body(index, seats, needs_room),
                key,
                within=within,
                what="an offering at the new site",
            )
            published = await http.post(
                f"{stack.url('catalogue')}/v1/offerings/{created['id']}/publish", headers=headers
            )
            assert published.status_code == 200, published.text
            offerings.append(Offering(created["id"], seats, needs_room))

        # Bookings learns offerings and members from Kafka; its slots give the sessions.
        today = datetime.now(UTC).date()
        first, last = today + timedelta(days=1), today + timedelta(days=days)
        for offering in offerings:

            async def known(offering: Offering = offering) -> bool:
                response = await http.get(
                    f"{stack.url('bookings')}/v1/offerings/{offering.offering_id}/slots",
                    params={"from": first.isoformat(), "to": last.isoformat()},
                    headers=headers,
                )
                if response.status_code != 200 or not response.json()["items"]:
                    return False
                offering.sessions = [s["starts_at"] for s in response.json()["items"]]
                return True

            await _until(known, within=within, what=f"bookings knows offering {offering.offering_id}")

    async with mongo(stack) as client:
        projected = client[stack.database("bookings")]["members"]

        async def all_members() -> bool:
            return await projected.count_documents({"_id": {"$in": member_ids}}) == len(member_ids)

        await _until(all_members, within=within, what="bookings knows every member")
    return Plan(offerings, member_ids, rooms)


@contextlib.asynccontextmanager
async def mongo(stack: Stack) -> AsyncIterator[AsyncMongoClient[dict[str, Any]]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(stack.mongodb_uri, tz_aware=True)
    try:
        yield client
    finally:
        await client.close()


# --- driving POST /v1/bookings -------------------------------------------------------------


class RoundRobin:
    """Client-side round robin over the live instances' URLs; an instance that refused a
    connection is skipped for a while (and for good once its process is gone)."""

    def __init__(self, urls: Callable[[], Sequence[str]], *, cool_down: float = 3.0) -> None:
        self.urls = urls
        self.cool_down = cool_down
        self._down: dict[str, float] = {}
        self._turn = itertools.count()

    def next(self) -> str:
        live = list(self.urls())
        now = time.monotonic()
        up = [u for u in live if self._down.get(u, 0.0) <= now] or live
        if not up:
            raise RuntimeError("no live bookings instance")
        return up[next(self._turn) % len(up)]

    def down(self, url: str) -> None:
        self._down[url] = time.monotonic() + self.cool_down


def live_urls(stack: Stack, service: str = "bookings") -> Callable[[], list[str]]:
    return lambda: [i.url for i in stack.instances.get(service, []) if i.alive()]


def fixed_urls(urls: Sequence[str]) -> Callable[[], Sequence[str]]:
    """Always the same URLs (e.g. the first n live instances, chosen once)."""
    return lambda: urls


@dataclass
class Answer:
    key: str
    body: dict[str, Any]
    status: int | None = None
    booking_id: str | None = None
    booking_status: str | None = None
    attempts: int = 0
    connection_errors: int = 0
    latency: float = 0.0


@dataclass
class Run:
    answers: list[Answer]
    seconds: float
    concurrency: int
    instances: int

    @property
    def final(self) -> list[Answer]:
        return [a for a in self.answers if a.status is not None]

    def outcomes(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        for a in self.answers:
            counts[a.booking_status or ("unanswered" if a.status is None else str(a.status))] += 1
        return counts

    def summary(self) -> dict[str, Any]:
        final = self.final
        accepted = [a for a in final if a.booking_id]
        latencies = sorted(a.latency for a in final) or [0.0]
        return {
            "instances": self.instances,
            "concurrency": self.concurrency,
            "seconds": round(self.seconds, 2),
            "requests": len(self.answers),
            "answered": len(final),
            "bookings": len(accepted),
            "requests_per_s": round(len(final) / self.seconds, 1) if self.seconds else 0.0,
            "bookings_per_s": round(len(accepted) / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": round(1000 * statistics.median(latencies), 1),
            "p95_ms": round(1000 * latencies[int(0.95 * (len(latencies) - 1))], 1),
            "retried_after_connection_error": sum(1 for a in self.answers if a.connection_errors),
            "outcomes": dict(self.outcomes()),
        }


async def book(
    http: httpx.AsyncClient, rr: RoundRobin, answer: Answer, headers: dict[str, str], *, give_up_at: float
) -> Answer:
    """One booking request until it has a final answer; the same key on every attempt."""
    started = time.monotonic()
    request_headers = {**headers, "Idempotency-Key": answer.key}
    while time.monotonic() < give_up_at:
        url = rr.next()
        answer.attempts += 1
        try:
            response = await http.post(f"{url}/v1/bookings", json=answer.body, headers=request_headers)
        except httpx.TransportError:  # the instance died under the request, or is gone
            answer.connection_errors += 1
            rr.down(url)
            await asyncio.sleep(0.05)
            continue
        if response.status_code >= 500 or (response.status_code == 409 and IN_PROGRESS in response.text):
            # A key left in progress by a killed instance is taken over once stale (the kit: 60 s).
            await asyncio.sleep(0.5)
            continue
        answer.status = response.status_code
        if response.status_code in (201, 202):
            body = response.json()
            answer.booking_id, answer.booking_status = body["id"], body["status"]
        elif response.status_code != 409:
            raise AssertionError(f"{answer.key}: {response.status_code} {response.text[:300]}")
        break
    answer.latency = time.monotonic() - started
    return answer


async def drive(
    stack: Stack,
    plan: Plan,
    rr: RoundRobin,
    *,
    concurrency: int = 16,
    seconds: float | None = None,
    count: int | None = None,
    settle: float = 90.0,
    tag: str | None = None,
    bodies: Iterator[dict[str, Any]] | None = None,
    during: Callable[[float, int], Awaitable[None]] | None = None,
) -> Run:
    """POST /v1/bookings at a fixed concurrency for `seconds` or `count` requests.

    Requests started before the end still finish (retrying their key up to `settle` s after
    it), so every key ends with a final answer. `during(elapsed, sent)` is awaited between
    requests of worker 0, e.g. to kill an instance mid-run.
    """
    if seconds is None and count is None:
        raise ValueError("give seconds or count")
    tag = tag or uuid.uuid4().hex[:8]
    source = bodies if bodies is not None else plan.stream
    headers = admin(stack)
    answers: list[Answer] = []
    numbers = itertools.count()
    started = time.monotonic()
    stop_at = started + seconds if seconds is not None else float("inf")
    give_up_at = (stop_at if seconds is not None else started + 3600) + settle
    limits = httpx.Limits(max_connections=concurrency * 2, max_keepalive_connections=concurrency)

    async with httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=5.0), limits=limits) as http:

        async def worker(number: int) -> None:
            while time.monotonic() < stop_at:
                n = next(numbers)
                if count is not None and n >= count:
                    return
                body = next(source, None)
                if body is None:
                    return
                answer = Answer(key=f"{tag}-{n}", body=body)
                answers.append(answer)
                await book(http, rr, answer, headers, give_up_at=give_up_at)
                if number == 0 and during is not None:
                    await during(time.monotonic() - started, len(answers))

        await asyncio.gather(*(worker(n) for n in range(concurrency)))
    elapsed = time.monotonic() - started
    return Run(answers, elapsed, concurrency, len(rr.urls()))


# --- checks ---------------------------------------------------------------------------------


def booking_id_of(key: str) -> str:
    return command_id(f"bookings.booking:{ADMIN}", key)


async def settle_sagas(stack: Stack, *, within: float = 60.0) -> None:
    """Wait until no booking is pending (spaces answered every reservation request)."""
    async with mongo(stack) as client:
        bookings = client[stack.database("bookings")]["bookings"]

        async def none_pending() -> bool:
            return await bookings.count_documents({"status": "pending"}) == 0

        await _until(none_pending, within=within, what="every saga booking confirmed or rejected", every=0.5)


async def group_lag(stack: Stack, groups: Sequence[str]) -> dict[str, int]:
    """Each group's lag over the stack's topics: end offsets minus committed offsets."""
    return await consumer_lag(stack.kafka_bootstrap, groups)


async def drained(stack: Stack, groups: Sequence[str], *, within: float = 60.0) -> dict[str, int]:
    """Wait until every group's lag is 0 (no stuck partition); the last lags seen."""
    last: dict[str, int] = {}

    async def zero() -> bool:
        last.update(await group_lag(stack, groups))
        return all(v == 0 for v in last.values())

    with contextlib.suppress(TimeoutError):
        await _until(zero, within=within, what="consumer groups drained", every=1.0)
    return last


async def assignments(stack: Stack, group: str) -> dict[str, list[str]]:
    """Which member of `group` holds which of the stack's partitions (by the broker's description)."""
    admin_client = AIOKafkaAdminClient(bootstrap_servers=stack.kafka_bootstrap)
    await admin_client.start()
    try:
        held: dict[str, list[str]] = {}
        for response in await admin_client.describe_consumer_groups([group]):
            for described in response.groups:
                for member in described[5]:
                    member_id, client_host, raw = member[0], member[2], member[4]
                    if not raw:
                        continue
                    decoded = ConsumerProtocolMemberAssignment.decode(raw)
                    mine = [
                        f"{tp.topic.removeprefix(stack.topic_prefix)}:{tp.partition}"
                        for tp in decoded.partitions()
                        if tp.topic.startswith(stack.topic_prefix)
                    ]
                    if mine:
                        held[f"{member_id}@{client_host}"] = sorted(mine)
        return held
    finally:
        await admin_client.close()


async def violations(stack: Stack, plan: Plan, runs: Sequence[Run]) -> list[str]:
    """Everything that must not happen, as readable lines (empty when all is well)."""
    problems: list[str] = []
    answers = [a for run in runs for a in run.answers]
    unanswered = [a.key for a in answers if a.status is None]
    if unanswered:
        problems.append(f"{len(unanswered)} keys never got a final answer: {unanswered[:5]}")
    seats_of = {o.offering_id: o.seats for o in plan.offerings}
    room_offerings = {o.offering_id for o in plan.offerings if o.needs_room}
    async with mongo(stack) as client:
        db = client[stack.database("bookings")]
        docs = await db["bookings"].find({}, {"outbox": 0}).to_list()
        sessions = await db["session_seats"].find({}).to_list()
        reservations = await client[stack.database("spaces")]["reservations"].find({}, {"outbox": 0}).to_list()
    by_id = {d["_id"]: d for d in docs}

    # One booking per key: the answer's id is the key's id; a refused key made nothing.
    expected: set[str] = set()
    for a in answers:
        own = booking_id_of(a.key)
        if a.booking_id is not None:
            expected.add(own)
            if a.booking_id != own:
                problems.append(f"{a.key}: answered booking {a.booking_id}, not the key's {own}")
            elif own not in by_id:
                problems.append(f"{a.key}: answered {a.booking_id} but no such booking is stored")
        elif a.status == 409 and own in by_id:
            problems.append(f"{a.key}: refused (409) yet booking {own} exists ({by_id[own]['status']})")
    strays = set(by_id) - expected
    if strays:
        problems.append(f"{len(strays)} bookings no answer accounts for: {sorted(strays)[:5]}")

    # Seats: per session never more than it has, and the counter agrees with the bookings.
    active: dict[str, list[dict[str, Any]]] = defaultdict(list)
    members: Counter[tuple[str, str]] = Counter()
    for d in docs:
        if d["status"] in ACTIVE:
            active[d["session_key"]].append(d)
            members[(d["session_key"], d["member_id"])] += 1
    for d in sessions:
        seats = seats_of.get(d.get("offering_id", ""), 0)
        held = active.get(d["_id"], [])
        used = sum(b["party_size"] for b in held)
        if d["taken"] > seats or used > seats:
            problems.append(f"session {d['_id']} oversold: taken {d['taken']}, bookings {used}, seats {seats}")
        # Each member's place: "<booking>/<seats>" when it holds seats (bookings' `place_value`).
        holders = {str(v).split("/")[0] for v in (d.get("places") or {}).values() if "/" in str(v)}
        if d["taken"] != used or holders != {b["_id"] for b in held}:
            problems.append(f"session {d['_id']}: counter {d['taken']} {sorted(holders)} vs bookings {used}")
    missing = set(active) - {d["_id"] for d in sessions}
    if missing:
        problems.append(f"active bookings in sessions without a seat counter: {sorted(missing)[:5]}")
    doubles = [k for k, n in members.items() if n > 1]
    if doubles:
        problems.append(f"members with two active bookings of one session: {doubles[:5]}")

    # The saga: nothing pending, and bookings and spaces agree on every room.
    statuses = Counter(d["status"] for d in docs)
    if statuses.keys() - {"confirmed", "rejected"}:
        problems.append(f"bookings in other states than confirmed/rejected: {dict(statuses)}")
    rejected_plain = [d["_id"] for d in docs if d["status"] == "rejected" and d["offering_id"] not in room_offerings]
    if rejected_plain:
        problems.append(f"bookings without a room rejected: {rejected_plain[:5]}")
    held_rooms = {r["reference_id"] for r in reservations if r["status"] == "confirmed"}
    confirmed_rooms = {d["_id"] for d in docs if d["status"] == "confirmed" and d["offering_id"] in room_offerings}
    if held_rooms != confirmed_rooms:
        problems.append(
            f"rooms: {len(confirmed_rooms - held_rooms)} confirmed bookings without a reservation, "
            f"{len(held_rooms - confirmed_rooms)} reservations held for no confirmed booking"
        )
    by_space: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for r in reservations:
        if r["status"] == "confirmed":
            by_space[r["space_id"]].append((r["time"]["starts_at"], r["time"]["ends_at"]))
    for space, spans in by_space.items():
        spans.sort()
        for (_, end), (start, _) in itertools.pairwise(spans):
            if start < end:
                problems.append(f"space {space} held twice at {start.isoformat()}")
    return problems


async def database_counts(stack: Stack) -> dict[str, int]:
    async with mongo(stack) as client:
        bookings = client[stack.database("bookings")]["bookings"]
        counts: Counter[str] = Counter()
        for d in await bookings.find({}, {"status": 1}).to_list():
            counts[d["status"]] += 1
        return dict(counts)


# --- stacks for the bench ------------------------------------------------------------------


def group(stack: Stack, service: str, consumer: str) -> str:
    """A consumer group of the stack: the kit prefixes groups with the topic prefix, like topics."""
    return f"{stack.topic_prefix}{service}.{consumer}"


# A request cut off by a kill leaves its Idempotency-Key in progress: the client's retries
# wait this long before taking it over (60 s by default; most of these runs' length).
TAKEOVER_ENV = {"PARKGRID_IDEMPOTENCY_TAKEOVER_SECONDS": "15"}


def new_stack(kafka_bootstrap: str, mongodb_uri: str, **kwargs: Any) -> Stack:
    kwargs["extra_env"] = {**TAKEOVER_ENV, **kwargs.get("extra_env", {})}
    return Stack(kafka_bootstrap, mongodb_uri, logs=REPO / ".local" / "logs" / "stack", **kwargs)


async def start_stack(stack: Stack, bookings: int) -> None:
    """spaces, community, catalogue and `bookings` bookings processes, started side by side.

    The topics are created first, as in production (`parkgrid topics --ensure`): services
    creating them concurrently at start-up left a consumer without its partitions."""
    await ensure_topics(stack.kafka_bootstrap, [t.prefixed(stack.topic_prefix) for t in TOPICS])
    for entry in declared_services():  # every port fixed before the threads read them
        stack.port_of(entry.name)

    def start_all() -> None:
        with ThreadPoolExecutor(len(SERVICES) + bookings) as pool:
            starting = [pool.submit(stack.start, s, wait=120) for s in SERVICES]
            starting += [pool.submit(add_bookings, stack) for _ in range(bookings - 1)]
            for future in starting:
                future.result()

    await asyncio.to_thread(start_all)


def add_bookings(stack: Stack) -> Instance:
    return stack.start("bookings", port=free_port(), wait=120)


async def clean_up(stack: Stack) -> None:
    """Stop the processes, delete the stack's topics and drop its databases."""
    stack.stop()
    await asyncio.to_thread(stack.forget)


async def measure(
    instances: int,
    seconds: float,
    *,
    concurrency: int = 16,
    kafka_bootstrap: str | None = None,
    mongodb_uri: str | None = None,
    members: int = 120,
    warm_up: float = 3.0,
) -> dict[str, Any]:
    """Booking throughput with `instances` bookings processes behind the round robin (the bench entry).

    Starts its own stack (own topic prefix and databases, removed afterwards), sets up the
    offerings and members through the APIs, drives POST /v1/bookings for `warm_up` then
    `seconds` s at `concurrency`, waits for the sagas, and returns the figures with the
    invariant checks (`violations` should be empty). Speed is measured, not asserted.
    """
    kafka_bootstrap = kafka_bootstrap or os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    mongodb_uri = mongodb_uri or os.environ.get("MONGODB_URI", "mongodb://127.0.0.1:27017/")
    stack = new_stack(kafka_bootstrap, mongodb_uri)
    try:
        await start_stack(stack, instances)
        plan = await set_up(stack, members=members, days=60)
        rr = RoundRobin(live_urls(stack))
        bodies = plan.requests(seed=instances)
        runs = []
        if warm_up:
            runs.append(
                await drive(stack, plan, rr, concurrency=concurrency, seconds=warm_up, tag="warm", bodies=bodies)
            )
        run = await drive(stack, plan, rr, concurrency=concurrency, seconds=seconds, tag="run", bodies=bodies)
        runs.append(run)
        with contextlib.suppress(TimeoutError):
            await settle_sagas(stack, within=60)
        figures = run.summary()
        figures["cpus"] = os.cpu_count()
        figures["stored"] = await database_counts(stack)
        figures["violations"] = await violations(stack, plan, runs)
        return figures
    finally:
        await clean_up(stack)


async def throughput(
    stack: Stack, plan: Plan, counts: Sequence[int] = (1, 2, 3), *, seconds: float = 8.0, concurrency: int = 16
) -> tuple[dict[int, dict[str, Any]], list[Run]]:
    """Bookings/s through the first 1, 2, 3 … live instances of a running stack (the others idle)."""
    figures: dict[int, dict[str, Any]] = {}
    runs: list[Run] = []
    for n in counts:
        urls = live_urls(stack)()[:n]
        if len(urls) < n:
            break
        run = await drive(stack, plan, RoundRobin(fixed_urls(urls)), concurrency=concurrency, seconds=seconds)
        runs.append(run)
        figures[n] = run.summary()
        print(f"bookings x{n}: {figures[n]['bookings_per_s']} bookings/s, {figures[n]['requests_per_s']} requests/s")
    return figures, runs


async def measure_series(
    counts: Sequence[int] = (1, 2, 3), seconds: float = 30.0, **kwargs: Any
) -> list[dict[str, Any]]:
    """`measure` for each number of instances, printed as it goes."""
    results = []
    for n in counts:
        figures = await measure(n, seconds, **kwargs)
        print(f"bookings x{n}: {figures['bookings_per_s']} bookings/s, {figures['requests_per_s']} requests/s, "
              f"p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms")  # fmt: skip
        results.append(figures)
    return results


if __name__ == "__main__":  # python tests/scaling/scaling_workload.py [seconds]
    import json
    import sys

    print(json.dumps(asyncio.run(measure_series(seconds=float(sys.argv[1]) if len(sys.argv) > 1 else 20.0)), indent=2))
