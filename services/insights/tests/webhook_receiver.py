"""A real HTTP receiver for the webhook tests: a threaded `http.server` on a free port that records
every request it gets, verifies its signature with `standardwebhooks` (as a partner would), and
answers as the test scripts it: a status, after a delay; it can be started late (down, then up)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from insights_fixtures import free_port
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

Plan = Callable[[int], tuple[int, float]]
"""The n-th request (1, 2, …) → (status to answer, seconds to wait first)."""


@dataclass
class Arrival:
    webhook_id: str
    headers: dict[str, str]
    body: str
    verified: bool
    event: dict[str, Any] | None
    status: int


@dataclass
class Receiver:
    port: int
    secret: str | None = None
    plan: Plan = lambda n: (200, 0.0)
    arrivals: list[Arrival] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, wait = receiver.arrived(headers, body)
                time.sleep(wait)
                try:
                    self.send_response(status)
                    self.end_headers()
                    self.wfile.write(b"ok" if status < 300 else b"not now")
                except OSError:
                    pass  # the sender gave up waiting (a timeout, a redeploy)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()

    def arrived(self, headers: dict[str, str], body: str) -> tuple[int, float]:
        try:
            event = Webhook(self.secret).verify(body, headers) if self.secret else None
            verified = event is not None
        except WebhookVerificationError:
            event, verified = None, False
        with self._lock:
            status, wait = self.plan(len(self.arrivals) + 1)
            self.arrivals.append(Arrival(headers.get("webhook-id", ""), headers, body, verified, event, status))
        return status, wait

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def ids(self) -> list[str]:
        return [a.webhook_id for a in self.arrivals]

    def accepted(self) -> list[Arrival]:
        return [a for a in self.arrivals if a.status < 300]

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(a.body) for a in self.arrivals]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A receiver already listening on a free port, stopped after the test."""
    made = Receiver(free_port())
    made.start()
    yield made
    made.stop()
