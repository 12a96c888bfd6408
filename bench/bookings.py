"""The bookings scenarios: write path, saga latency, hot slot (and community's hot event, `bench.hot_event`).

They run when `services/bookings` exists and `bookings.bootstrap` imports; otherwise the
results say "skipped: bookings service not present" (not an error). Bookings learns what
it needs from events, so the set-up is what the other contexts would publish, on a topic
prefix of its own (not the catch-up stream's): spaces itself runs (the saga's other side)
and registers the bench site and its meeting rooms through its API; the offerings and the
members are contracted events produced here as catalogue and community would.

Routes used: POST /v1/bookings {offering_id, member_id, person_id?, starts_at, party_size}
(201 confirmed / 202 pending + Location / 409 full), GET /v1/bookings/{id},
GET /v1/offerings/{id}/slots?from=&to=, header `Prefer: wait=N`.
"""

from __future__ import annotations

import asyncio
import importlib.util
import itertools
import json
import math
import time
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from bench.baselines import Env
from bench.catchup import end_offsets
from bench.hot_event import HotEvent
from bench.http_write import Poster, client_for, throughput_then_latency
from bench.loadgen import Summary, open_loop, timed_batch
from bench.samples import SAMPLES
from bench.system import ROOT, UvicornProcess, cost, per_request, quiet_load, store_commands
from parkgrid.auth import Role, issue_token
from parkgrid.contracts.catalogue import OfferingPublished
from parkgrid.contracts.community import MemberRegistered
from parkgrid.contracts.topics import TOPICS
from parkgrid.envelope import Envelope
from parkgrid.events import registry
from parkgrid.kafka import EventPublisher, make_producer
from parkgrid.settings import KitSettings
from parkgrid.testing.topics import consumer_lag
from parkgrid.topics import ensure_topics

SITE = "site-bench"
ZONE = "Africa/Casablanca"
DESK, HOT, ROOM = "off-bench-desk", "off-bench-hot", "off-bench-room"
ROOMS = 10
MEMBERS = 200

FIGURE_ROWS: dict[str, tuple[str, str | None]] = {
    "bookings POST /v1/bookings (closed loop)": ("bookings_closed", "bookings_cost"),
    "bookings POST /v1/bookings (open, half load)": ("bookings_open", None),
    "saga: meeting room POST → confirmed (open)": ("saga", "saga_cost"),
    "hot slot: 500 requests for 10 seats (decisions/s)": ("hot_slot", None),
    "hot event: 300 registrations for 50 seats (decisions/s)": ("hot_event", None),
}


def unavailable(skip: bool) -> str | None:
    """Why the bookings scenarios cannot run, or None when they can."""
    if skip:
        return "skipped: --skip-bookings"
    if not (ROOT / "services" / "bookings").is_dir():
        return "skipped: bookings service not present"
    try:
        if importlib.util.find_spec("bookings") is None or importlib.util.find_spec("bookings.bootstrap") is None:
            return "skipped: bookings service not present"
    except (ImportError, ValueError):
        return "skipped: bookings service not present"
    return None


def slot_starts(count: int, first_day: int = 3) -> list[datetime]:
    """Distinct hourly starts, weekdays 09:00-17:00 local, from `first_day` days ahead."""
    zone = ZoneInfo(ZONE)
    starts: list[datetime] = []
    day = date.today() + timedelta(days=first_day)
    while len(starts) < count:
        if day.isoweekday() <= 5:
            starts += [datetime(day.year, day.month, day.day, h, 0, tzinfo=zone) for h in range(9, 18)]
        day += timedelta(days=1)
    return starts[:count]


def offering(offering_id: str, *, seats: int, space: dict[str, Any] | None, category: str) -> Envelope:
    sample = json.loads((SAMPLES / "parkgrid.catalogue.offering.published.v2.json").read_text())["data"]
    data = {
        **sample,
        "offering_id": offering_id,
        "site_id": SITE,
        "category": category,
        "seats_per_session": seats,
        "session_minutes": 60,
        "price": None,
        "credits": None,
        "eligibility": {"member_kinds": [], "stages": []},
        "rules": {"min_notice_minutes": 0, "max_advance_days": 120, "cancellation_window_minutes": 60},
        "time_zone": ZONE,
        "availability": [{"weekday": d, "opens": "08:00", "closes": "19:00"} for d in range(1, 6)],
        "closures": [],
        "space_requirement": space,
        "status": "published",
    }
    event = OfferingPublished.model_validate(data)
    return registry.envelope(event, source="catalogue", subject=offering_id, sequence=1)


def member(i: int) -> Envelope:
    sample = json.loads((SAMPLES / "parkgrid.community.member.registered.v1.json").read_text())["data"]
    member_id = f"mb-bench-{i:04d}"
    event = MemberRegistered.model_validate({**sample, "member_id": member_id, "home_site_id": SITE})
    return registry.envelope(event, source="community", subject=member_id, sequence=1)


class BookingsBench:
    def __init__(self, env: Env, profile: Any, database: Callable[[str], str], mongo: Any, log_dir: Path) -> None:
        # A prefix of its own: bookings must not project the catch-up stream's 100k members.
        self.env = Env(env.bootstrap, env.mongodb_uri, env.run_id + "b")
        self.profile = profile
        self.log_dir = log_dir
        self.database = database
        self.mongo = mongo
        self.settings = KitSettings()
        self.desk_token = {
            "Authorization": "Bearer " + issue_token(self.settings, role=Role.FRONT_DESK, sites=[SITE]),
        }
        self.admin = {"Authorization": "Bearer " + issue_token(self.settings, role=Role.ADMIN)}
        self.starts = slot_starts(700)  # 9 a weekday: the last ~112 days ahead, within max_advance_days (120)
        self.desk_counter = itertools.count()
        self.processes: list[UvicornProcess] = []

    async def set_up(self) -> None:
        env = self.env
        await ensure_topics(env.bootstrap, [t.prefixed(env.prefix) for t in TOPICS])
        self.spaces_db = self.database("bookings_spaces")
        self.bookings_db = self.database("bookings")
        self.spaces = await self._serve(f"spaces-{env.run_id}", "spaces.bootstrap:app", self.spaces_db)
        self.bookings = await self._serve(f"bookings-{env.run_id}", "bookings.bootstrap:app", self.bookings_db)
        async with httpx.AsyncClient(base_url=self.spaces.url, timeout=30, headers=self.admin) as spaces:
            site = {
                "site_id": SITE,
                "name": "Technopark Bench",
                "city": "Rabat",
                "country": "MA",
                "time_zone": ZONE,
                "opening_hours": [{"weekday": d, "opens": "08:00", "closes": "19:00"} for d in range(1, 6)],
            }
            (await spaces.post("/v1/sites", json=site)).raise_for_status()
            for n in range(ROOMS):
                room = {"space_id": f"sp-bench-room-{n}", "name": f"Room {n}", "kind": "meeting_room", "capacity": 6}
                (await spaces.post(f"/v1/sites/{SITE}/spaces", json=room)).raise_for_status()
        producer = make_producer(env.bootstrap, client_id="bench-bookings-setup")
        await producer.start()
        try:
            publisher = EventPublisher(producer, env.prefix)
            await publisher.publish_many(
                [
                    ("catalogue.offering", offering(DESK, seats=2000, space=None, category="coworking")),
                    (
                        "catalogue.offering",
                        offering(HOT, seats=self.profile.hot_slot_seats, space=None, category="training"),
                    ),
                    (
                        "catalogue.offering",
                        offering(ROOM, seats=1, space={"kind": "meeting_room", "seats": 4}, category="meeting_room"),
                    ),
                ]
                + [("community.member", member(i)) for i in range(MEMBERS)]
            )
        finally:
            await producer.stop()
        await self._wait_for_offerings([DESK, HOT, ROOM])
        self.hot_event = HotEvent(self._serve, self.database("community"), SITE, self.admin, self.profile.concurrency)
        await self.hot_event.set_up(f"community-{env.run_id}")

    async def _serve(self, name: str, app: str, database: str) -> UvicornProcess:
        process = UvicornProcess(
            name,
            app,
            {
                "PARKGRID_SERVICE_NAME": name,
                "PARKGRID_DATABASE": database,
                "PARKGRID_TOPIC_PREFIX": self.env.prefix,
                "KAFKA_BOOTSTRAP_SERVERS": self.env.bootstrap,
                "MONGODB_URI": self.env.mongodb_uri,
                "PARKGRID_LOG_LEVEL": "WARNING",
                "PARKGRID_LOG_JSON": "false",
            },
            self.log_dir,
        )
        await process.start()
        self.processes.append(process)
        return process

    async def _wait_for_offerings(self, ids: list[str], within: float = 60.0) -> None:
        first = self.starts[0]
        params = {"from": first.isoformat(), "to": (first + timedelta(days=1)).isoformat()}
        deadline = time.monotonic() + within
        async with httpx.AsyncClient(base_url=self.bookings.url, timeout=10, headers=self.desk_token) as client:
            for offering_id in ids:
                while (await client.get(f"/v1/offerings/{offering_id}/slots", params=params)).status_code != 200:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"bookings did not learn offering {offering_id} within {within:.0f} s")
                    await asyncio.sleep(0.2)

    async def quiesce(self, within: float = 120.0) -> float:
        """Wait until what the last scenario left is done: every consumer group of this prefix
        caught up and no outbox entry waiting in bookings' or spaces' store. Seconds it took.

        Without it, the saga right after the write path's burst was measured behind a backlog
        (bookings' ledger consumer, both relays): seconds at p90, none of it the saga's own.
        """
        began = time.monotonic()
        while time.monotonic() - began < within:
            pending = 0
            for database in (self.bookings_db, self.spaces_db):
                db = self.mongo[database]
                for name in await db.list_collection_names():
                    pending += await db[name].count_documents({"outbox_pending": True})
            if not pending and not any((await consumer_lag(self.env.bootstrap, group_prefix=self.env.prefix)).values()):
                break
            await asyncio.sleep(0.5)
        return round(time.monotonic() - began, 2)

    def desk_body(self) -> dict[str, Any]:
        """A (member, session) pair never used before in this run: the Poster numbers the
        closed and the open loop from 0 each, and a member holds one place per session
        (the same pair twice is a 409)."""
        n = next(self.desk_counter)
        return self.body(DESK, n, self.starts[(n // MEMBERS) % 400])

    def body(self, offering_id: str, i: int, start: datetime) -> dict[str, Any]:
        return {
            "offering_id": offering_id,
            "member_id": f"mb-bench-{i % MEMBERS:04d}",
            "starts_at": start.isoformat(),
            "party_size": 1,
        }

    async def round(
        self,
        r: int,
        out: dict[str, Any],
        check: Callable[[int, str, bool, str], None],
        keep: Callable[[str, Summary], dict[str, Any]],
        measured: Callable[..., Awaitable[tuple[Any, dict[str, Any]]]],
    ) -> None:
        p = self.profile
        url = self.bookings.url + "/v1/bookings"
        pids = {"bookings": self.bookings.pid, "spaces": self.spaces.pid}
        collection = self.mongo[self.bookings_db]["bookings"]
        before_stored = await collection.count_documents({})
        services = [self.bookings, self.spaces]
        commands = out.setdefault("store_commands", {})
        counted = await store_commands(services)

        async def tally(scenario: str, requests: int) -> None:
            """Store commands per request of the scenario just run (bookings' and spaces')."""
            nonlocal counted
            now = await store_commands(services)
            commands[scenario] = per_request(counted, now, requests)
            counted = now

        out["cpus_busy_before"] = await quiet_load()
        async with client_for(p.concurrency) as client:
            # 1. write path, an offering without a space
            poster = Poster(
                client,
                url,
                lambda i: self.desk_body(),
                headers=lambda i: self.desk_token,
                expected=(201,),
                idempotency_keys=True,
            )
            (closed, opened), m = await measured(
                "bookings write",
                pids,
                lambda: throughput_then_latency(poster, concurrency=p.concurrency, duration_s=p.window_s),
            )
            out["bookings_closed"] = keep(f"bookings (closed, c={p.concurrency})", closed)
            out["bookings_open"] = keep("bookings (open, half load)", opened)
            out["bookings_cost"] = cost(m, len(poster.accepted_ids))
            out["quiesce_after_write_s"] = await self.quiesce()
            await tally("bookings POST, no space (closed + open loop)", len(poster.accepted_ids))
            # 2. saga: a meeting room, confirmed when spaces has reserved one
            # Sessions of their own (one room seat each): as many as the round sends, after the
            # 400 the write path uses, so that every round stays within max_advance_days.
            per_round = math.ceil(p.saga_rate * p.window_s) + 1
            saga_round_offset = 400 + (r - 1) * per_round
            if saga_round_offset + per_round > len(self.starts):
                raise RuntimeError(f"{r} rounds of {per_round} sagas need more than {len(self.starts)} sessions")

            async def saga(i: int) -> bool:
                start = self.starts[saga_round_offset + i % per_round]
                response = await client.post(
                    url,
                    json=self.body(ROOM, i, start),
                    headers={**self.desk_token, "Prefer": "wait=10"},
                )
                if response.status_code == 201:
                    return bool(response.json().get("status") == "confirmed")
                if response.status_code != 202:
                    return False
                location = response.headers["Location"]
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline:
                    got = await client.get(self.bookings.url + location, headers=self.desk_token)
                    status = got.json().get("status")
                    if status == "confirmed":
                        return True
                    if status not in ("pending", "requested"):
                        return False
                    await asyncio.sleep(0.01)
                return False

            sagas, m = await measured(
                "bookings saga", pids, lambda: open_loop(saga, rate=p.saga_rate, duration_s=p.window_s)
            )
            out["saga"] = keep("saga: meeting room POST → confirmed (open)", sagas)
            out["saga_cost"] = cost(m, sagas.count)
            out["quiesce_after_saga_s"] = await self.quiesce()
            await tally("saga: meeting room POST → confirmed", sagas.count)
            # 3. hot slot: all at once for one session with few seats
            hot_start = self.starts[9 * r + 4]  # another day each round, well within max_advance_days
            statuses: list[int | str] = []

            def hot(i: int) -> Callable[[], Awaitable[bool]]:
                async def go() -> bool:
                    try:
                        response = await client.post(url, json=self.body(HOT, i, hot_start), headers=self.desk_token)
                    except httpx.HTTPError as exc:  # counted, so that a lost answer shows in the check
                        statuses.append(type(exc).__name__)
                        return False
                    statuses.append(response.status_code)
                    return response.status_code == 201

                return go

            settle_s, outcomes = await timed_batch([hot(i) for i in range(p.hot_slot_requests)], p.concurrency)
        accepted = sum(outcomes)
        await self.quiesce()
        await tally(f"hot slot ({p.hot_slot_requests} for {p.hot_slot_seats} seats)", p.hot_slot_requests)
        await self.hot_event.round(r, self.starts[9 * r + 6], out, check)
        out["hot_slot"] = {
            "settle_s": round(settle_s, 3),
            "rate": round(p.hot_slot_requests / settle_s, 2),
            "accepted": accepted,
            "statuses": {s: statuses.count(s) for s in set(statuses)},
        }
        check(
            r,
            f"hot slot: exactly {p.hot_slot_seats} of {p.hot_slot_requests} accepted, the rest 409",
            accepted == p.hot_slot_seats and statuses.count(409) == p.hot_slot_requests - accepted,
            str(out["hot_slot"]),
        )
        stored = await collection.count_documents({}) - before_stored
        expected = len(poster.accepted_ids) + sagas.count + accepted
        check(
            r,
            "bookings: accepted = stored (write path + sagas + hot slot), no duplicates, no errors",
            stored >= expected
            and len(set(poster.accepted_ids)) == len(poster.accepted_ids)
            and closed.errors == opened.errors == sagas.errors == 0,
            f"accepted {expected}, stored {stored} (refused sagas or hot-slot requests may be stored too), "
            f"errors {closed.errors + opened.errors + sagas.errors}, statuses {poster.statuses}",
        )
        dead = await end_offsets(self.env.bootstrap, *(self.env.prefix + t.name + ".dlq" for t in TOPICS))
        check(r, "bookings and spaces: every DLQ empty", dead == 0, f"{dead} dead letter(s)")

    def resident(self) -> dict[str, float | None]:
        return {p.name: p.resident_mb() for p in self.processes}

    def stop(self) -> None:
        for process in self.processes:
            process.stop()
