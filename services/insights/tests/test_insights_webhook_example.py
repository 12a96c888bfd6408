"""examples/subscriber/webhook_receiver.py, run as a partner would run it (its own process, only its
own arguments), receives what insights delivers: it verifies the signature, handles the event once
though it arrives twice (live, then a replay), and refuses a forged request."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from insights_fixtures import answered, app, auth, client, eventually, free_port, publish, settings, smtp_sink
from test_insights_webhooks import confirmed, delivered

from insights.domain.webhooks import new_secret, signed_headers
from insights.settings import InsightsSettings
from parkgrid.auth import Role

__all__ = ["app", "client", "settings", "smtp_sink"]

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "subscriber" / "webhook_receiver.py"


class Example:
    def __init__(self, port: int, secret: str) -> None:
        self.port, self.secret = port, secret
        self.process: subprocess.Popen[str] | None = None
        self.lines: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> None:
        command = [sys.executable, str(EXAMPLE), "--port", str(self.port), "--secret", self.secret]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        stdout = self.process.stdout

        def read() -> None:
            for line in stdout:
                self.lines.append(line.strip())

        threading.Thread(target=read, daemon=True).start()

    def listening(self) -> bool:
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)


@pytest.fixture
def example() -> Iterator[Example]:
    made = Example(free_port(), "")
    yield made
    made.stop()


async def test_the_example_receiver_verifies_and_handles_each_event_once(
    app: FastAPI, client: httpx.AsyncClient, settings: InsightsSettings, example: Example
) -> None:
    admin = auth(settings, Role.ADMIN)
    body = {"url": example.url, "event_types": ["parkgrid.bookings.booking.confirmed"], "owner_email": "p@x.ma"}
    endpoint = await answered(client.post("/v1/webhooks/endpoints", json=body, headers=admin))
    example.secret = endpoint["secret"]
    example.start()

    async def up() -> bool:
        return example.listening()

    await eventually(up, within=20, what="the example listening")
    since = datetime.now(UTC) - timedelta(seconds=1)
    event = confirmed("bk-example")
    await publish(settings, [("bookings.booking", event)])
    await delivered(client, settings, endpoint["id"], 1)
    replay = {**admin, "Idempotency-Key": str(uuid.uuid4())}
    await answered(
        client.post(
            f"/v1/webhooks/endpoints/{endpoint['id']}/replay", json={"since": since.isoformat()}, headers=replay
        ),
        202,
    )
    await delivered(client, settings, endpoint["id"], 2)

    forged = '{"id": "forged"}'
    headers = signed_headers(new_secret(), "forged", datetime.now(UTC), forged)
    async with httpx.AsyncClient() as outsider:
        refused = await outsider.post(example.url, content=forged, headers=headers)
    assert refused.status_code == 401

    async def told() -> bool:
        return len(example.lines) >= 3

    await eventually(told, within=10, what="the example's lines")
    await asyncio.sleep(0.2)
    handled = [line for line in example.lines if line.startswith("handled ")]
    assert len(handled) == 1
    assert f"id={event.id}" in handled[0]
    assert "parkgrid.bookings.booking.confirmed subject=bk-example" in handled[0]
    assert [line.split()[0] for line in example.lines] == ["handled", "duplicate", "refused"]
