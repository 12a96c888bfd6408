"""Pure ASGI middleware every API gets: correlation ids, body size limit, metrics.

Pure ASGI (not BaseHTTPMiddleware) keeps streaming and per-request overhead low on
the booking hot path.
"""

from __future__ import annotations

import json
import time
from typing import Any

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from parkgrid.http.problems import PayloadTooLarge, Problem
from parkgrid.logging import bind_actor, bind_correlation, new_id

CORRELATION_HEADER = "x-correlation-id"

REQUESTS = Counter("parkgrid_http_requests_total", "HTTP requests", ["service", "method", "route", "status"])
LATENCY = Histogram(
    "parkgrid_http_request_seconds",
    "HTTP request latency",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def header(scope: Scope, name: str) -> str | None:
    wanted = name.encode()
    for key, value in scope.get("headers", ()):
        if key.lower() == wanted:
            return str(value.decode("latin-1"))
    return None


async def send_problem(send: Send, problem: Problem, path: str) -> None:
    body = json.dumps(problem.body(path)).encode()
    headers = [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in problem.headers.items()]
    await send({"type": "http.response.start", "status": problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class CorrelationMiddleware:
    """Takes `X-Correlation-ID` from the request (or makes one) and echoes it back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        correlation = header(scope, CORRELATION_HEADER) or new_id()
        bind_correlation(correlation, None)
        bind_actor(None)  # until the token is verified

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (CORRELATION_HEADER.encode(), correlation.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            bind_correlation(None, None)
            bind_actor(None)


class BodyLimitMiddleware:
    """Answers 413 for a body over the limit, by declared length or by what arrives."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = PayloadTooLarge(f"the request body is larger than {self.max_bytes} bytes")
        declared = header(scope, "content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await send_problem(send, too_large, scope["path"])
            return
        received = 0
        exceeded = replaced = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise too_large
            return message

        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started, replaced
            if replaced:
                return
            if exceeded and not started:  # FastAPI turns our error while reading the body into its own 400
                started = replaced = True
                await send_problem(send, too_large, scope["path"])
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except PayloadTooLarge as exc:  # raised while a middleware below read the body
            if started:
                raise
            await send_problem(send, exc, scope["path"])


class MetricsMiddleware:
    """Counts requests and times them per route template (not per raw path)."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == "/metrics":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: dict[str, Any] = {"code": 500}

        async def send_recording(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_recording)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            REQUESTS.labels(self.service, scope["method"], route, str(status["code"])).inc()
            LATENCY.labels(self.service, scope["method"], route).observe(time.perf_counter() - started)
