"""What a killed test run left on a shared broker and store, found and removed by the next run.

Each test removes its topics and databases when it ends (`topic_prefix`, `database`, `Stack`).
A run killed mid-test (a CI timeout, Ctrl-C twice, the kernel's OOM killer) removes nothing, and
a test's removal that fails is swallowed (it must not fail the test). On a broker that outlives the runs (`make up`, a
developer's), the partitions then pile up: 801 of them slowed the bench's afternoon run of
2026-12-07 (bench/README.md), and a broker pays for each one, idle or not.

So each pytest process writes down, in a ledger file of its own, the prefixes it hands out,
before anything is made under them. At the end of its run it removes whatever is still there
under them and then its file. At the start of a run, the ledgers of processes no longer alive
name what killed runs left on this broker and store, which is removed then. A ledger names its
broker and store, so a run never touches another infrastructure's, and a live process's ledger
is never read: concurrent runs on one broker keep what they are using.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient

from parkgrid.kafka import client_options
from parkgrid.logging import get_logger
from parkgrid.store import connect

log = get_logger(__name__)

DELETE_AT_ONCE = 100
"""Topics per delete request: a killed run can leave thousands, and one request for all of them
can outlast the broker's timeout."""


@dataclass(frozen=True)
class Prefixes:
    """What one test made: topics named `topics…`, databases named `databases` or `databases_…`."""

    topics: str
    databases: str

    def owns_database(self, name: str) -> bool:
        return name == self.databases or name.startswith(self.databases + "_")


class Ledger:
    """One pytest process's ledger: a header line naming the infrastructure, then a line a prefix."""

    def __init__(self, folder: Path, kafka: str, mongodb: str, pid: int | None = None) -> None:
        self.folder = folder
        self.infrastructure = {"kafka": kafka, "mongodb": mongodb}
        self.pid = os.getpid() if pid is None else pid
        self.path = folder / f"{self.pid}.jsonl"
        self.noted: list[Prefixes] = []

    def note(self, prefixes: Prefixes) -> None:
        """Written down (and flushed) before the caller makes anything under these prefixes."""
        self.folder.mkdir(parents=True, exist_ok=True)
        fresh = not self.path.exists()
        with self.path.open("a") as ledger:
            if fresh:
                ledger.write(json.dumps(self.infrastructure) + "\n")
            ledger.write(json.dumps({"topics": prefixes.topics, "databases": prefixes.databases}) + "\n")
        self.noted.append(prefixes)

    async def clear(self) -> None:
        """End of the run: what is still there under this run's prefixes goes, then the ledger."""
        if self.noted:
            await remove(self.infrastructure["kafka"], self.infrastructure["mongodb"], self.noted)
        self.path.unlink(missing_ok=True)
        self.noted = []

    def of_dead_runs(self) -> list[tuple[Path, list[Prefixes]]]:
        """The ledgers of processes no longer alive that name this ledger's broker and store."""
        found: list[tuple[Path, list[Prefixes]]] = []
        for path in sorted(self.folder.glob("*.jsonl")):
            if not path.stem.isdigit() or int(path.stem) == self.pid or alive(int(path.stem)):
                continue
            lines = [line for line in path.read_text().splitlines() if line.strip()]
            try:
                header, entries = json.loads(lines[0]), [json.loads(line) for line in lines[1:]]
            except (IndexError, json.JSONDecodeError):  # killed while writing its first line
                path.unlink(missing_ok=True)
                continue
            if header == self.infrastructure:
                found.append((path, [Prefixes(e["topics"], e["databases"]) for e in entries]))
        return found

    async def clear_dead_runs(self) -> int:
        """Start of the run: remove what killed runs left here; how many prefixes that was."""
        cleared = 0
        for path, prefixes in self.of_dead_runs():
            await remove(self.infrastructure["kafka"], self.infrastructure["mongodb"], prefixes)
            path.unlink(missing_ok=True)
            cleared += len(prefixes)
        return cleared


_open: Ledger | None = None


def open_ledger(folder: Path, kafka: str, mongodb: str) -> Ledger:
    """This process's ledger, which `note` writes to from now on."""
    global _open
    _open = Ledger(folder, kafka, mongodb)
    return _open


def close_ledger() -> None:
    global _open
    _open = None


def note(prefixes: Prefixes) -> None:
    """Write `prefixes` down in this process's ledger, if a test run opened one (else nothing)."""
    if _open is not None:
        _open.note(prefixes)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


async def remove(kafka: str, mongodb: str, prefixes: list[Prefixes]) -> None:
    """Delete the topics and drop the databases under `prefixes` (one listing of each)."""
    topic_starts = tuple(p.topics for p in prefixes if p.topics)
    databases = [p for p in prefixes if p.databases]
    doomed: list[str] = []
    if topic_starts:
        admin = AIOKafkaAdminClient(**client_options(kafka))
        await admin.start()
        try:
            doomed = [name for name in await admin.list_topics() if name.startswith(topic_starts)]
            for i in range(0, len(doomed), DELETE_AT_ONCE):
                await admin.delete_topics(doomed[i : i + DELETE_AT_ONCE], timeout_ms=60_000)
        finally:
            await admin.close()
    dropped: list[str] = []
    if databases:
        client = connect(mongodb, app_name="parkgrid-tests-leftovers", counted=False)
        try:
            for name in await client.list_database_names():
                if any(p.owns_database(name) for p in databases):
                    await client.drop_database(name)
                    dropped.append(name)
        finally:
            await client.close()
    if doomed or dropped:
        log.info("tests.leftovers_removed", topics=len(doomed), databases=len(dropped))
