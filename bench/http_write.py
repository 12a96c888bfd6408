"""One write per request over real HTTP: throughput at fixed concurrency, then latency at half of it.

Used for the bare FastAPI+insert baseline, the catalogue's POST /v1/offerings (the write path
that exists today) and the bookings' POST /v1/bookings."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx

from bench.loadgen import Summary, closed_loop, open_loop

Body = Callable[[int], dict[str, Any]]
Headers = Callable[[int], dict[str, str]]


class Poster:
    """POSTs `body(i)` to `url`; success is one of `expected` statuses. Remembers what was accepted."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        url: str,
        body: Body,
        *,
        headers: Headers | None = None,
        expected: tuple[int, ...] = (201,),
        idempotency_keys: bool = False,
    ) -> None:
        self.client = client
        self.url = url
        self.body = body
        self.headers = headers or (lambda i: {})
        self.expected = expected
        self.idempotency_keys = idempotency_keys
        self.accepted_ids: list[str] = []
        self.statuses: dict[int, int] = {}

    async def __call__(self, index: int) -> bool:
        headers = self.headers(index)
        if self.idempotency_keys:
            headers = {**headers, "Idempotency-Key": uuid.uuid4().hex}
        response = await self.client.post(self.url, json=self.body(index), headers=headers)
        self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
        if response.status_code not in self.expected:
            return False
        self.accepted_ids.append(str(response.json().get("id")))
        return True


def client_for(concurrency: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=concurrency * 4, max_keepalive_connections=concurrency * 4)
    return httpx.AsyncClient(timeout=httpx.Timeout(60.0), limits=limits)


async def throughput_then_latency(
    poster: Poster, *, concurrency: int, duration_s: float, warmup_s: float = 1.0, load: float = 0.5
) -> tuple[Summary, Summary]:
    """Closed loop at `concurrency`, then an open loop at `load` x the throughput it reached."""
    closed = await closed_loop(poster, concurrency=concurrency, duration_s=duration_s, warmup_s=warmup_s)
    rate = max(1.0, closed.throughput * load)
    opened = await open_loop(poster, rate=rate, duration_s=duration_s)
    return closed, opened


def booking_like(i: int) -> dict[str, Any]:
    """The bare baseline's body: the fields of POST /v1/bookings."""
    return {
        "offering_id": "off-bench",
        "member_id": f"mb-bench-{i % 500:07d}",
        "person_id": None,
        "starts_at": "2026-12-01T10:00:00+01:00",
        "party_size": 1,
    }


def offering_body(i: int) -> dict[str, Any]:
    """A network-wide (no site) online offering: valid without any projection."""
    return {
        "site_id": None,
        "category": "mentoring",
        "title": {"fr": f"Mentorat {i}", "en": f"Mentoring {i}"},
        "description": {"fr": "Séance de mentorat", "en": "Mentoring session"},
        "provider": {"name": "Bench Mentor", "kind": "expert"},
        "mode": "online",
        "session_minutes": 60,
        "seats_per_session": 1,
        "availability": [{"weekday": 2, "opens": "10:00", "closes": "12:00"}],
    }
