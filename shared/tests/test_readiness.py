"""A service started while Kafka and the store are away is alive, not ready, says why,
and becomes ready by itself when they come back, without a restart.

"Away" is made real without disturbing the shared infrastructure: the service is
pointed at loopback TCP relays that do not listen yet, then start forwarding to the real
broker and store.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
from pathlib import Path

import httpx

from parkgrid.testing.plugin import unique

HERE = Path(__file__).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class TcpRelay:
    """Forwards a loopback port to a real server, and can be switched on later."""

    def __init__(self, port: int, target: str) -> None:
        self.port = port
        host, _, target_port = target.rpartition(":")
        self.target = (host, int(target_port))
        self.server: asyncio.Server | None = None
        self.tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        for coro in (pipe(reader, up_writer), pipe(up_reader, writer)):
            task = asyncio.create_task(coro)
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
        for task in list(self.tasks):
            task.cancel()


async def _readyz(client: httpx.AsyncClient) -> httpx.Response:
    return await client.get("/readyz")


async def test_service_becomes_ready_by_itself_when_kafka_and_store_come_up(
    kafka_bootstrap: str, mongodb_uri: str, topic_prefix: str, tmp_path: Path
) -> None:
    kafka_relay = TcpRelay(_free_port(), kafka_bootstrap)
    store_target = mongodb_uri.removeprefix("mongodb://").split("/")[0]
    store_relay = TcpRelay(_free_port(), store_target)
    port = _free_port()
    log_path = tmp_path / "service.log"
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{kafka_relay.port}",
        "MONGODB_URI": f"mongodb://127.0.0.1:{store_relay.port}/",
        "PARKGRID_DATABASE": unique("test_"),
        "PARKGRID_TOPIC_PREFIX": topic_prefix,
        "PYTHONPATH": str(HERE),
    }
    with log_path.open("wb") as log:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "uvicorn",
            "example_service:app",
            "--port",
            str(port),
            cwd=HERE,
            env=env,
            stdout=log,
            stderr=log,
        )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            for _ in range(200):
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get("/healthz")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
            assert (await client.get("/healthz")).status_code == 200, log_path.read_text()
            await asyncio.sleep(3)
            not_ready = await _readyz(client)
            assert not_ready.status_code == 503
            checks = not_ready.json()["checks"]
            assert checks["store"].startswith("unreachable")
            assert checks["kafka"].startswith("unreachable")
            logged = log_path.read_text()
            assert '"event": "kafka.unavailable"' in logged
            assert '"event": "store.unavailable"' in logged

            await kafka_relay.start()
            await store_relay.start()
            ready = not_ready
            for _ in range(120):
                ready = await _readyz(client)
                if ready.status_code == 200:
                    break
                await asyncio.sleep(0.5)
            assert ready.status_code == 200, ready.text
            assert proc.returncode is None, "the service must not have restarted"
            logged = log_path.read_text()
            assert '"event": "kafka.connected"' in logged
            assert '"event": "store.connected"' in logged
    finally:
        proc.terminate()
        await proc.wait()
        await kafka_relay.stop()
        await store_relay.stop()
