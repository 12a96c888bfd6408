"""The hot event: 300 registrations for a community event of 50 seats, sent 16 at a time.

Issue 21 asks for the hot slot's twin on the community side: a workshop everyone wants, its
seats decided by community's conditional write on the event's seat count. It runs beside the
bookings scenarios, on their topic prefix: community learns the bench site from spaces'
`spaces.site` events, its members and their people are made through its API (30
organisations of 10 people), and each round publishes an event of its own. Each registration
is its own decision (confirmed while a seat is free, else waitlisted), so the figure is
decisions per second, compared in `bench.run` with the bare FastAPI+insert closed loop at the
same concurrency. The check: exactly 50 confirmed and 250 waitlisted, every answer a 201.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

from bench.http_write import client_for
from bench.loadgen import timed_batch
from bench.system import UvicornProcess, per_request, store_commands

SEATS, REGISTRATIONS = 50, 300
ORGANISATIONS, PEOPLE = 30, 10


@dataclass
class Registered:
    """A round's registrations: how long they took, every answer's status, each decision."""

    settle_s: float = 0.0
    statuses: list[int | str] = field(default_factory=list)
    decided: list[str] = field(default_factory=list)


def person_id(i: int) -> str:
    return f"p-bench-{i // PEOPLE:02d}-{i % PEOPLE}"


class HotEvent:
    def __init__(
        self,
        serve: Callable[[str, str, str], Awaitable[UvicornProcess]],
        database: str,
        site_id: str,
        admin: dict[str, str],
        concurrency: int,
    ) -> None:
        self.serve = serve
        self.database = database
        self.site_id = site_id
        self.admin = admin
        self.concurrency = concurrency

    async def set_up(self, name: str, within: float = 60.0) -> None:
        """Community started, and its organisations registered once it knows the bench site."""
        self.community = await self.serve(name, "community.bootstrap:app", self.database)
        deadline = time.monotonic() + within
        async with httpx.AsyncClient(base_url=self.community.url, timeout=30, headers=self.admin) as http:
            for m in range(ORGANISATIONS):
                member = {
                    "member_id": f"mb-bench-event-{m:02d}",
                    "name": f"Bench Labs {m:02d}",
                    "kind": "startup",
                    "sector": "software",
                    "home_site_id": self.site_id,
                    "people": [
                        {
                            "person_id": person_id(m * PEOPLE + i),
                            "name": f"Person {m:02d}-{i}",
                            "email": f"person-{m:02d}-{i}@bench.example",
                            "role": "engineer",
                        }
                        for i in range(PEOPLE)
                    ],
                }
                # 422 until community has projected the site from spaces' events
                while (answer := await http.post("/v1/members", json=member)).status_code not in (200, 201):
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"community refused the bench's members: {answer.text}")
                    await asyncio.sleep(0.3)

    async def publish_event(self, client: httpx.AsyncClient, event_id: str, starts_at: datetime) -> str:
        """A new event of `SEATS` seats, published: the URL its registrations are posted to."""
        event = {
            "event_id": event_id,
            "site_id": self.site_id,
            "kind": "workshop",
            "title": {"fr": "Atelier levée de fonds", "en": "Fundraising workshop"},
            "description": {"fr": "Complet en quelques secondes.", "en": "Full in seconds."},
            "time": {"starts_at": starts_at.isoformat(), "ends_at": (starts_at + timedelta(hours=1)).isoformat()},
            "capacity": SEATS,
            "publish": True,
        }
        created = await client.post(f"{self.community.url}/v1/events", json=event, headers=self.admin)
        if created.status_code not in (200, 201):
            raise RuntimeError(f"community refused the hot event: {created.status_code} {created.text}")
        return f"{self.community.url}/v1/events/{event_id}/registrations"

    async def register_everyone(self, client: httpx.AsyncClient, url: str) -> Registered:
        """`REGISTRATIONS` people registered at `url`, `concurrency` at a time."""
        registered = Registered()

        def register(i: int) -> Callable[[], Awaitable[bool]]:
            async def go() -> bool:
                try:
                    response = await client.post(url, json={"person_id": person_id(i)}, headers=self.admin)
                except httpx.HTTPError as exc:  # counted, so that a lost answer shows in the check
                    registered.statuses.append(type(exc).__name__)
                    return False
                registered.statuses.append(response.status_code)
                if response.status_code == 201:
                    registered.decided.append(str(response.json()["status"]))
                return response.status_code == 201

            return go

        registered.settle_s, _ = await timed_batch([register(i) for i in range(REGISTRATIONS)], self.concurrency)
        return registered

    async def round(
        self, r: int, starts_at: datetime, out: dict[str, Any], check: Callable[[int, str, bool, str], None]
    ) -> None:
        counted = await store_commands([self.community])
        async with client_for(self.concurrency) as client:
            url = await self.publish_event(client, f"ev-bench-hot-{r}", starts_at)
            registered = await self.register_everyone(client, url)
        confirmed, waitlisted = registered.decided.count("confirmed"), registered.decided.count("waitlisted")
        statuses = registered.statuses
        await asyncio.sleep(2)  # the relay's tail: its outbox is published within a poll or two
        out.setdefault("store_commands", {})[f"hot event ({REGISTRATIONS} for {SEATS} seats)"] = per_request(
            counted, await store_commands([self.community]), REGISTRATIONS
        )
        out["hot_event"] = {
            "settle_s": round(registered.settle_s, 3),
            "rate": round(REGISTRATIONS / registered.settle_s, 2),
            "confirmed": confirmed,
            "waitlisted": waitlisted,
            "statuses": {s: statuses.count(s) for s in set(statuses)},
        }
        check(
            r,
            f"hot event: exactly {SEATS} of {REGISTRATIONS} confirmed, the rest waitlisted, every answer 201",
            confirmed == SEATS and waitlisted == REGISTRATIONS - SEATS and statuses.count(201) == REGISTRATIONS,
            str(out["hot_event"]),
        )
