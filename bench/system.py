"""The processes a bench run involves: services it starts with uvicorn, the broker and the
store it finds, and what each of them costs (CPU-seconds from /proc, resident memory)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def local_dir() -> Path:
    return Path(os.environ.get("PARKGRID_LOCAL", str(ROOT / ".local")))


def infra_pids() -> dict[str, int]:
    """Kafka's JVM and FerretDB, from deploy/local/infra.sh's pid files (absent ones left out)."""
    pids: dict[str, int] = {}
    for name in ("kafka", "ferretdb"):
        path = local_dir() / "run" / f"{name}.pid"
        try:
            pid = int(path.read_text().strip())
        except (OSError, ValueError):
            continue
        if Path(f"/proc/{pid}").exists():
            pids[name] = pid
    return pids


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a process (all its threads) so far; None if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    # after "pid (comm) ": state is fields[0]; utime and stime are stat fields 14 and 15
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def busy_seconds() -> float:
    """CPU-seconds the whole machine has spent busy since boot (all CPUs, every process)."""
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


async def quiet_load(seconds: float = 2.0) -> float:
    """How many of the machine's CPUs are busy while nothing is sent: the background work of the
    processes up (relays, sweepers, consumers' polls, the broker) and anything else on the box,
    which a scenario's figures then share the CPUs with."""
    before, began = busy_seconds(), time.perf_counter()
    await asyncio.sleep(seconds)
    return round((busy_seconds() - before) / (time.perf_counter() - began), 2)


def start_time(pid: int) -> int | None:
    """The process's start time in ticks since boot: tells a restarted pid from the same one."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(raw[raw.rindex(")") + 2 :].split()[19])


def resident_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


@dataclass
class CpuMeter:
    """CPU-seconds each process spent between `start()` and `stop()`.

    A process that restarted in between (another user of the shared broker restarted it)
    is reported as None rather than as a wrong number."""

    pids: Mapping[str, int]
    _before: dict[str, tuple[float | None, int | None]] = field(default_factory=dict)
    _wall: float = 0.0

    def start(self) -> CpuMeter:
        self._before = {name: (cpu_seconds(pid), start_time(pid)) for name, pid in self.pids.items()}
        self._wall = time.perf_counter()
        return self

    def stop(self) -> dict[str, Any]:
        wall = time.perf_counter() - self._wall
        per: dict[str, float | None] = {}
        for name, pid in self.pids.items():
            before, started = self._before.get(name, (None, None))
            after = cpu_seconds(pid)
            if before is None or after is None or start_time(pid) != started:
                per[name] = None
            else:
                per[name] = round(after - before, 3)
        return {"wall_s": round(wall, 3), "cpu_s": per}


def cost(meter: dict[str, Any], operations: int, driver: str = "driver") -> dict[str, Any]:
    """CPU per 1,000 operations: the system (every process but the load driver) and the driver."""
    per: dict[str, float | None] = meter["cpu_s"]
    known = [v for k, v in per.items() if k != driver and v is not None]
    system = sum(known)
    complete = all(v is not None for k, v in per.items() if k != driver)
    per_k = 1000.0 * system / operations if operations else None
    driver_cpu = per.get(driver)
    return {
        **meter,
        "operations": operations,
        "system_cpu_s": round(system, 3),
        "system_cpu_s_per_1k": None if per_k is None else round(per_k, 3),
        "driver_cpu_s_per_1k": None
        if driver_cpu is None or not operations
        else round(1000.0 * driver_cpu / operations, 3),
        "complete": complete,
    }


async def store_commands(processes: Sequence[UvicornProcess]) -> dict[str, int]:
    """The store commands each service has sent so far (`parkgrid_store_commands_total` on its
    `/metrics`, every command name summed): read before and after a scenario, the difference over
    its requests is the round trips a request costs, the relay's and the consumers' included."""
    counted: dict[str, int] = {}
    async with httpx.AsyncClient(timeout=10) as http:
        for process in processes:
            text = (await http.get(process.url + "/metrics")).text
            counted[process.name] = int(
                sum(
                    float(line.rsplit(" ", 1)[1])
                    for line in text.splitlines()
                    if line.startswith("parkgrid_store_commands_total{")
                )
            )
    return counted


def per_request(before: dict[str, int], after: dict[str, int], requests: int) -> dict[str, float]:
    """Store commands per request, by service and in all: `after - before` over `requests`."""
    if not requests:
        return {}
    each = {name: round((after[name] - before[name]) / requests, 2) for name in after}
    return {**each, "all": round(sum(after[n] - before[n] for n in after) / requests, 2)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class UvicornProcess:
    """One ASGI app served by uvicorn in its own process on a random loopback port."""

    def __init__(self, name: str, app: str, env: Mapping[str, str], log_dir: Path, ready_path: str = "/readyz"):
        self.name = name
        self.app = app
        # The bench runs on the development secrets, so it says development (env may override).
        self.env = {**os.environ, "PARKGRID_ENV": "development", **env}
        self.log_path = log_dir / f"{name}.log"
        self.ready_path = ready_path
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def spawn(self) -> subprocess.Popen[bytes]:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "uvicorn", self.app, "--host", "127.0.0.1", "--port", str(self.port)]
        command += ["--no-access-log", "--log-level", "warning", "--timeout-graceful-shutdown", "10"]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(command, env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        return self.process

    async def start(self, within: float = 90.0) -> None:
        """Spawn, then wait until `ready_path` answers 200 (the service's /readyz: store, Kafka, consumers)."""
        process = self.spawn()
        deadline = time.monotonic() + within
        async with httpx.AsyncClient(timeout=2.0) as client:
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited with {process.returncode}; see {self.log_path}")
                try:
                    if (await client.get(self.url + self.ready_path)).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"{self.name} not ready within {within:.0f} s; see {self.log_path}")
                await asyncio.sleep(0.2)

    def resident_mb(self) -> float | None:
        return resident_mb(self.pid) if self.process is not None else None

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
