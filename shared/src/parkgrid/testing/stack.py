"""The whole platform as real processes, for end-to-end, security, chaos and scaling tests.

A `Stack` starts each installed service of `deploy/local/services.tsv` as its own
uvicorn process on a free loopback port, exactly as `make run` does, but isolated: its
own topic prefix and one database per service, so several stacks and the rest of the
suite share one broker and one store without seeing each other. Services talk to each
other only over Kafka, as in production; the frontdesk is pointed at the others' URLs.

It can kill a process with SIGKILL and start it again (chaos), or start a second
instance of a service (scaling). For the services named in `relays`, the outbox relay is
a process of its own (`parkgrid relay <service>`, started as `relay_of(service)`) and the
service's instances run with PARKGRID_RELAY=off, so the relay can be killed apart.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path

import httpx

from parkgrid.auth import Role, issue_token
from parkgrid.settings import KitSettings
from parkgrid.store import connect
from parkgrid.testing import leftovers
from parkgrid.topics import delete_topics_with_prefix

REPO = Path(__file__).resolve().parents[4]
SERVICES_TSV = REPO / "deploy" / "local" / "services.tsv"


@dataclass(frozen=True)
class ServiceEntry:
    name: str
    default_port: int
    app: str


RELAY_SUFFIX = ".relay"


def relay_of(service: str) -> str:
    """The stack's name for the relay process of `service` (to `start`, `kill`, `restart` it)."""
    return service + RELAY_SUFFIX


def declared_services(path: Path = SERVICES_TSV) -> list[ServiceEntry]:
    """The services `make run` starts, in file order."""
    entries = []
    for line in path.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, port, app = line.split("\t")[:3]
        entries.append(ServiceEntry(name, int(port), app))
    return entries


def installed_services() -> list[ServiceEntry]:
    return [s for s in declared_services() if find_spec(s.name) is not None]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Instance:
    """One running process of a service (or of its relay, which has no port)."""

    service: str
    port: int | None
    process: subprocess.Popen[bytes]
    log: Path
    since: int = 0  # where this process's output starts in its log (logs are appended to)

    @property
    def url(self) -> str:
        if self.port is None:
            raise ValueError(f"{self.service} serves no HTTP")
        return f"http://127.0.0.1:{self.port}"

    def alive(self) -> bool:
        return self.process.poll() is None


@dataclass
class Stack:
    """Services of one isolated platform run."""

    kafka_bootstrap: str
    mongodb_uri: str
    logs: Path
    run_id: str = field(default_factory=lambda: "s" + uuid.uuid4().hex[:8])
    jwt_secret: str = "parkgrid-stack-secret-" + uuid.uuid4().hex
    extra_env: dict[str, str] = field(default_factory=dict)
    relays: frozenset[str] = frozenset()  # services whose relay is its own process
    # The interpreter per service (e.g. an image's virtualenv); the test run's own otherwise.
    python: dict[str, str] = field(default_factory=dict)
    instances: dict[str, list[Instance]] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Written down before anything is made under it, so a killed run's stack is removed later.
        leftovers.note(leftovers.Prefixes(topics=self.topic_prefix, databases=self.run_id))

    @property
    def topic_prefix(self) -> str:
        return f"{self.run_id}."

    def database(self, service: str) -> str:
        return f"{self.run_id}_{service}"

    def settings(self, service: str = "stack") -> KitSettings:
        """Settings as the stack's services see them (for tokens, producers, direct checks)."""
        return KitSettings(
            PARKGRID_SERVICE_NAME=service,
            KAFKA_BOOTSTRAP_SERVERS=self.kafka_bootstrap,
            MONGODB_URI=self.mongodb_uri,
            PARKGRID_DATABASE=self.database(service),
            PARKGRID_TOPIC_PREFIX=self.topic_prefix,
            PARKGRID_JWT_SECRET=self.jwt_secret,
        )

    def token(self, role: Role, **claims: object) -> str:
        return issue_token(self.settings(), role=role, **claims)  # type: ignore[arg-type]

    def headers(self, role: Role, **claims: object) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(role, **claims)}"}

    def url(self, service: str) -> str:
        """The URL of the service's first live instance."""
        for instance in self.instances.get(service, []):
            if instance.alive():
                return instance.url
        return f"http://127.0.0.1:{self.port_of(service)}"

    def port_of(self, service: str) -> int:
        if service not in self.ports:
            self.ports[service] = free_port()
        return self.ports[service]

    def python_of(self, service: str) -> str:
        return self.python.get(service, sys.executable)

    def environment(self, service: str) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("PARKGRID_", "KAFKA_", "MONGODB_", "FRONTDESK_", "INSIGHTS_"))
        }
        env.update(
            PARKGRID_SERVICE_NAME=service,
            KAFKA_BOOTSTRAP_SERVERS=self.kafka_bootstrap,
            MONGODB_URI=self.mongodb_uri,
            PARKGRID_DATABASE=self.database(service),
            PARKGRID_TOPIC_PREFIX=self.topic_prefix,
            PARKGRID_JWT_SECRET=self.jwt_secret,
            PARKGRID_LOG_LEVEL="WARNING",
            # Development said explicitly (demo sign-in, development ticket key); extra_env may say production.
            PARKGRID_ENV="development",
        )
        for other in declared_services():
            env[f"FRONTDESK_{other.name.upper()}_URL"] = f"http://127.0.0.1:{self.port_of(other.name)}"
        env.update(self.extra_env)
        if service in self.relays:
            env["PARKGRID_RELAY"] = "off"
        return env

    def start(self, service: str, *, port: int | None = None, wait: float = 60.0) -> Instance:
        """Start one process of `service` (on its stack port unless told) and wait until it is ready.

        `relay_of(name)` starts the relay process of a service named in `relays`.
        """
        if service.endswith(RELAY_SUFFIX):
            return self._start_relay(service.removesuffix(RELAY_SUFFIX), wait=wait)
        entry = next((s for s in declared_services() if s.name == service), None)
        if entry is None:
            raise ValueError(f"{service!r} is not in {SERVICES_TSV}")
        port = port or self.port_of(service)
        self.logs.mkdir(parents=True, exist_ok=True)
        log = self.logs / f"{self.run_id}-{service}-{port}.log"
        with log.open("ab") as out:
            process = subprocess.Popen(
                [self.python_of(service), "-m", "uvicorn", entry.app, "--host", "127.0.0.1", "--port", str(port)],
                env=self.environment(service),
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=REPO,
                start_new_session=True,
            )
        instance = Instance(service, port, process, log)
        self.instances.setdefault(service, []).append(instance)
        self.wait_ready(instance, timeout=wait)
        return instance

    def _start_relay(self, service: str, *, wait: float) -> Instance:
        if service not in self.relays:
            raise ValueError(f"{service}'s relay runs inside its instances: name it in `relays`")
        self.logs.mkdir(parents=True, exist_ok=True)
        log = self.logs / f"{self.run_id}-{relay_of(service)}.log"
        env = {**self.environment(service), "PARKGRID_RELAY": "on"}
        since = log.stat().st_size if log.exists() else 0
        with log.open("ab") as out:
            process = subprocess.Popen(
                [self.python_of(service), "-c", "from parkgrid.cli import main; main()", "relay", service],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=REPO,
                start_new_session=True,
            )
        instance = Instance(relay_of(service), None, process, log, since)
        self.instances.setdefault(instance.service, []).append(instance)
        self.wait_ready(instance, timeout=wait)
        return instance

    def start_all(self, services: Iterable[str] | None = None, *, wait: float = 90.0) -> None:
        """Start these services (default: every installed one), each followed by its relay if in `relays`."""
        names = list(services) if services is not None else [s.name for s in installed_services()]
        for name in names:
            self.start(name, wait=wait)
            if name in self.relays:
                self.start(relay_of(name), wait=wait)

    def wait_ready(self, instance: Instance, *, timeout: float = 60.0) -> None:
        """Until /readyz answers 200 (a relay process: until it says it runs, connected to Kafka)."""
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if not instance.alive():
                raise RuntimeError(f"{instance.service} exited: {self.tail(instance)}")
            if instance.port is None:
                with contextlib.suppress(OSError), instance.log.open("rb") as out:
                    out.seek(instance.since)
                    if b" running" in out.read():
                        return
                time.sleep(0.3)
                continue
            try:
                answer = httpx.get(f"{instance.url}/readyz", timeout=2.0)
                if answer.status_code == 200:
                    return
                last = answer.text
            except httpx.HTTPError as exc:
                last = repr(exc)
            time.sleep(0.3)
        raise TimeoutError(f"{instance.service} not ready after {timeout:.0f} s: {last}\n{self.tail(instance)}")

    def kill(self, service: str, *, instance: Instance | None = None) -> Instance:
        """SIGKILL one process of `service` (the first live one unless given): no clean shutdown."""
        target = instance or next(i for i in self.instances.get(service, []) if i.alive())
        with contextlib.suppress(ProcessLookupError):
            os.killpg(target.process.pid, signal.SIGKILL)
        target.process.wait(timeout=10)
        return target

    def restart(self, service: str, *, wait: float = 60.0) -> Instance:
        with contextlib.suppress(StopIteration):
            self.kill(service)
        return self.start(service, wait=wait)

    def stop(self) -> None:
        for instances in self.instances.values():
            for instance in instances:
                if instance.alive():
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(instance.process.pid, signal.SIGTERM)
        for instances in self.instances.values():
            for instance in instances:
                try:
                    instance.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(instance.process.pid, signal.SIGKILL)
                    instance.process.wait(timeout=10)

    def forget(self, within: float = 30.0) -> None:
        """Delete the stack's topics and drop its databases, best effort, once it is stopped.

        A broker and a store that outlive the tests (`make up`, a developer's) would otherwise
        gather every run's: about fifty partitions a stack, which the broker pays for idle and
        on every restart. Runs in a thread of its own, so it is callable from inside an event loop."""

        async def forgetting() -> None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(delete_topics_with_prefix(self.kafka_bootstrap, self.topic_prefix), within)
            client = connect(self.mongodb_uri, app_name="parkgrid-stack")
            try:
                with contextlib.suppress(Exception):
                    for name in await asyncio.wait_for(client.list_database_names(), within):
                        if name.startswith(f"{self.run_id}_"):
                            await asyncio.wait_for(client.drop_database(name), within)
            finally:
                await client.close()

        worker = threading.Thread(target=asyncio.run, args=(forgetting(),), name=f"forget-{self.run_id}", daemon=True)
        worker.start()
        worker.join(3 * within)

    @staticmethod
    def tail(instance: Instance, lines: int = 30) -> str:
        try:
            return "\n".join(instance.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


@contextlib.contextmanager
def running_stack(
    kafka_bootstrap: str, mongodb_uri: str, services: Iterable[str] | None = None, **kwargs: object
) -> Iterator[Stack]:
    """A stack with these services (default: every installed one) started; stopped and its topics
    and databases gone afterwards."""
    stack = Stack(kafka_bootstrap, mongodb_uri, logs=REPO / ".local" / "logs" / "stack", **kwargs)  # type: ignore[arg-type]
    try:
        stack.start_all(services)
        yield stack
    finally:
        stack.stop()
        stack.forget()
