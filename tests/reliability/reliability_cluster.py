"""Helpers of the reliability tests: the three-broker cluster of deploy/local/kafka-cluster.sh, polling, bodies."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "deploy" / "local" / "kafka-cluster.sh"
# Below the kernel's ephemeral range (32768+): a port there can be taken by any outgoing
# connection between our check and the broker's bind.
CANDIDATE_BASES = (19092, 19492, 20092, 20492, 21092, 21492, 22092, 22492)


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_bases() -> tuple[int, int]:
    """A broker base port and a controller base port with all six ports free (other helpers run brokers too)."""
    if os.environ.get("KAFKA_CLUSTER_PORT"):
        base = int(os.environ["KAFKA_CLUSTER_PORT"])
        return base, int(os.environ.get("KAFKA_CLUSTER_CONTROLLER_PORT", base + 100))
    for base in CANDIDATE_BASES:
        ports = [base + i for i in range(3)] + [base + 100 + i for i in range(3)]
        if all(port_free(p) for p in ports):
            return base, base + 100
    raise RuntimeError(f"no free port range among {CANDIDATE_BASES}")


@dataclass
class Cluster:
    """A running three-broker cluster, driven through the script (as an operator would)."""

    base: int
    controller_base: int
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def on_free_ports(cls) -> Cluster:
        base, controller = free_bases()
        env = {**os.environ, "KAFKA_CLUSTER_PORT": str(base), "KAFKA_CLUSTER_CONTROLLER_PORT": str(controller)}
        return cls(base, controller, env)

    @property
    def bootstrap(self) -> str:
        return ",".join(f"127.0.0.1:{self.base + i}" for i in range(3))

    def node_of_port(self, port: int) -> int:
        return port - self.base + 1

    def run(self, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", str(SCRIPT), *args], env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )

    def up(self, *nodes: int) -> None:
        done = self.run("up", *map(str, nodes))
        if done.returncode != 0:
            raise RuntimeError(f"kafka-cluster.sh up failed:\n{done.stdout}\n{done.stderr}")

    def kill(self, node: int) -> None:
        done = self.run("kill", str(node), timeout=30)
        assert done.returncode == 0, done.stderr

    def down(self) -> None:
        self.run("down", timeout=60)


async def eventually(probe: Callable[[], Awaitable[T | None]], *, within: float = 30.0, what: str = "") -> T:
    """Poll `probe` until it returns something truthy."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        result = await probe()
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError(f"not within {within:.0f} s: {what}")
        await asyncio.sleep(0.25)


def site_body(site_id: str, **changes: object) -> dict[str, object]:
    """A site as `POST /v1/sites` of spaces takes it."""
    return {
        "site_id": site_id,
        "name": "Technopark Fiabilité",
        "city": "Rabat",
        "country": "MA",
        "time_zone": "Africa/Casablanca",
        "opening_hours": [{"weekday": d, "opens": "08:00", "closes": "19:00"} for d in range(1, 6)],
        **changes,
    }
