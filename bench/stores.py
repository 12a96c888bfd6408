"""The store backend as a measured choice: FerretDB on SQLite (what `make run` starts) against
FerretDB on PostgreSQL 15, in the same run, on the operations ParkGrid's write path is made of.
The run's store is whichever `infra.sh` started (`STORE=sqlite|postgresql`, `run_store()`);
the other one is started beside it for the comparison.

FerretDB 1.24 can keep its data in SQLite or in PostgreSQL. Stock FerretDB reads a document,
then writes it back, so on either backend a guarded update is not atomic (FerretDB issue 3040);
the project's build serializes write commands (deploy/local/ferretdb/serialize-writes.patch),
which makes them atomic on both, and costs PostgreSQL the concurrent writes it would otherwise
bring. Whether PostgreSQL is still worth it is measured here, not assumed.

`side_store("postgresql")` starts a PostgreSQL cluster (a temporary directory, a free loopback
port; as the `postgres` user when run as root, which PostgreSQL refuses) and a second FerretDB on
it with the same binary, then removes both; `side_store("sqlite")`, a second FerretDB on SQLite
files of its own. `measure()` runs, at the same concurrency on each store:
- `insert`: insert_one of a booking-sized document (every command's outbox and aggregate);
- `guarded_inc`: update_one with a guard on the counter (the seat guard, the version guard);
- `read_by_id`: find_one by _id (every read of an aggregate);
and the check that matters more than speed: 200 concurrent "take a seat while fewer than 10
are taken" updates take exactly 10.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

from bench.system import free_port, infra_pids, local_dir
from parkgrid.store import connect

POSTGRES_BIN = Path(os.environ.get("POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))
FERRETDB_BIN = local_dir() / "bin" / "ferretdb"
OPERATIONS = ("insert", "guarded_inc", "read_by_id")
BACKENDS = ("sqlite", "postgresql")
RACERS, SEATS = 200, 10


def unavailable() -> str | None:
    """Why the comparison cannot run here (None: it can)."""
    if not (POSTGRES_BIN / "initdb").exists():
        return f"skipped: PostgreSQL 15 is not installed ({POSTGRES_BIN}; apt-get install postgresql-15)"
    if not FERRETDB_BIN.exists():
        return "skipped: FerretDB is not built (make install)"
    return None


def run_store() -> str:
    """The backend of the FerretDB `infra.sh` runs (its `--handler`), `sqlite` when it is not ours
    to read (a store started some other way is taken to be the default)."""
    pid = infra_pids().get("ferretdb")
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") if pid else []
    except OSError:
        args = []
    for arg in args:
        if arg.startswith(b"--handler=") and arg[len(b"--handler=") :].decode() in BACKENDS:
            return arg[len(b"--handler=") :].decode()
    return "sqlite"


def other_than(backend: str) -> str:
    return BACKENDS[1 - BACKENDS.index(backend)]


def _as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL will not run as root: run its tools as the `postgres` user then."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _wait_for(ready: Callable[[], bool], what: str, within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while not ready():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not become ready within {within:.0f} s")
        time.sleep(0.2)


@contextlib.contextmanager
def side_store(log_dir: Path, backend: str = "postgresql") -> Iterator[str]:
    """A FerretDB of its own on `backend` for the length of the block; its MongoDB URI."""
    if backend == "sqlite":
        with _sqlite_store(log_dir) as uri:
            yield uri
        return
    where = Path(tempfile.mkdtemp(prefix="parkgrid-bench-pg-"))
    data, state = where / "data", where / "ferretdb"
    state.mkdir()
    if os.geteuid() == 0:
        shutil.chown(where, "postgres", "postgres")
    pg_port = free_port()
    pg_ctl = _as_postgres([str(POSTGRES_BIN / "pg_ctl"), "-D", str(data)])
    log_dir.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(
            _as_postgres([str(POSTGRES_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"]),
            check=True,
            capture_output=True,
        )
        # synchronous_commit=off: a commit is durable within a moment, as SQLite's synchronous=normal
        # under WAL that the default store runs with (see infra.sh), so the two pay alike for durability.
        options = f"-p {pg_port} -k {where} -c listen_addresses=127.0.0.1 -c synchronous_commit=off"
        started = [*pg_ctl, "-o", options, "-l", str(where / "postgresql.log"), "-w", "start"]
        subprocess.run(started, check=True, capture_output=True)
        subprocess.run(
            [str(POSTGRES_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(pg_port), "-U", "postgres", "ferretdb"],
            check=True,
            capture_output=True,
        )
        handler = ["--handler=postgresql", f"--postgresql-url=postgres://postgres@127.0.0.1:{pg_port}/ferretdb"]
        with _ferretdb(handler, state, log_dir / "ferretdb-postgresql.log") as uri:
            yield uri
    finally:
        subprocess.run([*pg_ctl, "-m", "fast", "stop"], capture_output=True)
        shutil.rmtree(where, ignore_errors=True)


@contextlib.contextmanager
def _sqlite_store(log_dir: Path) -> Iterator[str]:
    """A FerretDB on SQLite files in a temporary directory, as `infra.sh` starts the default store
    (`synchronous(normal)`)."""
    where = Path(tempfile.mkdtemp(prefix="parkgrid-bench-sqlite-"))
    data, state = where / "data", where / "ferretdb"
    data.mkdir()
    state.mkdir()
    log_dir.mkdir(parents=True, exist_ok=True)
    try:
        handler = ["--handler=sqlite", f"--sqlite-url=file:{data}/?_pragma=synchronous(normal)"]
        with _ferretdb(handler, state, log_dir / "ferretdb-sqlite.log") as uri:
            yield uri
    finally:
        shutil.rmtree(where, ignore_errors=True)


@contextlib.contextmanager
def _ferretdb(handler: list[str], state: Path, log: Path) -> Iterator[str]:
    """The project's FerretDB with `handler` (its backend's arguments) and a free loopback port,
    answering, until the block ends; its MongoDB URI."""
    port = free_port()
    with log.open("ab") as out:
        ferretdb = subprocess.Popen(
            [
                str(FERRETDB_BIN),
                *handler,
                f"--listen-addr=127.0.0.1:{port}",
                f"--state-dir={state}",
                "--debug-addr=-",
                "--telemetry=disable",
                "--log-level=error",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=state,
        )
    try:
        uri = f"mongodb://127.0.0.1:{port}/?retryWrites=false"
        _wait_for(lambda: _pings(uri), f"FerretDB ({handler[0]})")
        yield uri
    finally:
        ferretdb.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            ferretdb.wait(10)
        ferretdb.kill()


def _pings(uri: str) -> bool:
    from pymongo import MongoClient
    from pymongo.errors import PyMongoError

    try:
        client: MongoClient[dict[str, object]]
        with MongoClient(uri, serverSelectionTimeoutMS=500) as client:
            client.admin.command("ping")
        return True
    except PyMongoError:
        return False


async def measure(uri: str, operations: int, concurrency: int) -> dict[str, Any]:
    """Operations per second of each primitive on the store at `uri`, and the seat race's outcome."""
    client = connect(uri, app_name="bench-stores")
    database = client[f"bench_stores_{uuid.uuid4().hex[:8]}"]
    documents = database["bookings"]
    pad = "x" * 300  # about a booking's size

    async def rate(step: Callable[[int, int], Awaitable[Any]]) -> float:
        each = max(1, operations // concurrency)

        async def worker(w: int) -> None:
            for n in range(each):
                await step(w, n)

        began = time.perf_counter()
        await asyncio.gather(*(worker(w) for w in range(concurrency)))
        return round(each * concurrency / (time.perf_counter() - began), 1)

    try:
        await documents.insert_one({"_id": "counter", "taken": 0})
        figures: dict[str, Any] = {
            "insert": await rate(lambda w, n: documents.insert_one({"_id": f"b-{w}-{n}", "member": "m", "pad": pad})),
            "guarded_inc": await rate(
                lambda w, n: documents.update_one({"_id": "counter", "taken": {"$lt": 10**9}}, {"$inc": {"taken": 1}})
            ),
            "read_by_id": await rate(lambda w, n: documents.find_one({"_id": f"b-{w}-{n}"})),
        }
        await documents.insert_one({"_id": "session", "taken": 0})
        answers = await asyncio.gather(
            *(
                documents.update_one({"_id": "session", "taken": {"$lt": SEATS}}, {"$inc": {"taken": 1}})
                for _ in range(RACERS)
            )
        )
        session = await documents.find_one({"_id": "session"})
        figures["race_won"] = sum(a.modified_count for a in answers)
        figures["race_taken"] = session["taken"] if session else None
        return figures
    finally:
        await client.drop_database(database.name)
        await client.close()
