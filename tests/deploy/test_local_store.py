"""deploy/local/infra.sh's store: FerretDB on SQLite, or on a PostgreSQL 15 cluster of its own.

`STORE=postgresql` runs FerretDB on a PostgreSQL 15 cluster of its own.

FerretDB on SQLite is what `make run`, `make test` and `make bench` start by default (bench/README
measures why); the other backend is one variable away (`make run STORE=postgresql`), and a way to
start the store that no test runs is broken until shown otherwise. So this runs the script itself
in a `$PARKGRID_LOCAL` of its own, on free ports, with the FerretDB binary `make install` built:
- `up ferretdb` creates the cluster, starts it and FerretDB on it, which answers on its port;
- a guarded update through it takes exactly the seats there are (the atomicity the services rely
  on, as `tests/conformance/test_store_backends.py` proves at length);
- `status` says which backend runs, and fails when asked about the other (so `make test` or
  `make bench` do not take it as theirs); an `up` asking for the other backend while it runs is
  refused, not silently served by the wrong store;
- `down` stops FerretDB and the cluster; a second `up` finds the data kept; `wipe` removes it.

On either backend, FerretDB runs with the Go garbage collector's setting infra.sh gives it
(`FERRETDB_GOGC`, bench/README.md says why) and serves its profile when `FERRETDB_DEBUG_ADDR` asks;
on SQLite, `FERRETDB_SQLITE_EXTRA` adds pragmas to its URI.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from parkgrid.store import connect
from parkgrid.testing.stack import free_port

pytestmark = pytest.mark.processes  # starts PostgreSQL and FerretDB: not in the --unit tier

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "deploy" / "local" / "infra.sh"
BUILT = Path(os.environ.get("PARKGRID_LOCAL", str(REPO / ".local"))) / "bin"


class LocalStore:
    def __init__(self, local: Path, backend: str = "postgresql") -> None:
        self.local = local
        self.port = free_port()
        self.env = {
            **os.environ,
            "PARKGRID_LOCAL": str(local),
            "STORE": backend,
            "FERRETDB_PORT": str(self.port),
            "POSTGRES_PORT": str(free_port()),
        }
        self.uri = f"mongodb://127.0.0.1:{self.port}/?retryWrites=false"

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", str(INFRA), *args], env={**self.env, **env}, capture_output=True, text=True, timeout=180
        )


@pytest.fixture(params=["postgresql"])
def store(request: pytest.FixtureRequest) -> Iterator[LocalStore]:
    """A `$PARKGRID_LOCAL` of its own, on free ports, for the backend the parameter names."""
    if not (BUILT / "ferretdb").exists():
        pytest.fail(f"FerretDB is not built in {BUILT} (make install)")
    # Not under pytest's tmp_path: its parents are private to root, and PostgreSQL runs as `postgres`.
    local = Path(tempfile.mkdtemp(prefix="parkgrid-store-"))
    local.chmod(0o755)
    (local / "bin").symlink_to(BUILT)  # the binary and its stamp: install.sh builds nothing
    store = LocalStore(local, request.param)
    try:
        yield store
    finally:
        store.run("down", "ferretdb")
        shutil.rmtree(local, ignore_errors=True)


async def seats_taken(uri: str, racers: int, seats: int) -> tuple[int, int]:
    client = connect(uri, app_name="local-store-test")
    try:
        documents = client["parkgrid_store_test"]["sessions"]
        await documents.insert_one({"_id": "session", "taken": 0})
        answers = await asyncio.gather(
            *(
                documents.update_one({"_id": "session", "taken": {"$lt": seats}}, {"$inc": {"taken": 1}})
                for _ in range(racers)
            )
        )
        session = await documents.find_one({"_id": "session"})
        return sum(a.modified_count for a in answers), session["taken"] if session else -1
    finally:
        await client.close()


async def count_sessions(uri: str) -> int:
    client = connect(uri, app_name="local-store-test")
    try:
        return await client["parkgrid_store_test"]["sessions"].count_documents({})
    finally:
        await client.close()


async def test_infra_runs_ferretdb_on_postgresql_when_store_says_so(store: LocalStore) -> None:
    up = store.run("up", "ferretdb")
    assert up.returncode == 0, up.stdout + up.stderr
    assert "postgresql: starting" in up.stdout
    assert "(on postgresql)" in up.stdout
    assert (store.local / "postgresql" / "data" / "PG_VERSION").exists()

    assert await seats_taken(store.uri, racers=60, seats=10) == (10, 10)

    status = store.run("status", "ferretdb")
    assert status.returncode == 0, status.stdout + status.stderr
    assert "on postgresql" in status.stdout
    other_status = store.run("status", "ferretdb", STORE="sqlite")  # what `make test` asks before an up
    assert other_status.returncode == 4
    assert "not on STORE=sqlite" in other_status.stderr
    other = store.run("up", "ferretdb", STORE="sqlite")
    assert other.returncode != 0
    assert "running on postgresql, not STORE=sqlite" in other.stderr

    down = store.run("down", "ferretdb")
    assert down.returncode == 0, down.stdout + down.stderr
    assert "postgresql: stopping" in down.stdout
    assert not (store.local / "postgresql" / "data" / "postmaster.pid").exists()
    assert store.run("status", "ferretdb").returncode != 0

    again = store.run("up", "ferretdb")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "creating a cluster" not in again.stdout
    assert await count_sessions(store.uri) == 1  # what was written before the restart is there

    wiped = store.run("wipe", "ferretdb")
    assert wiped.returncode == 0, wiped.stdout + wiped.stderr
    assert not (store.local / "postgresql").exists()


def test_infra_refuses_a_store_it_does_not_know(store: LocalStore) -> None:
    refused = store.run("up", "ferretdb", STORE="mongodb")
    assert refused.returncode == 2
    assert "STORE must be sqlite or postgresql, not 'mongodb'" in refused.stderr


def environment_of(pid: int) -> dict[str, str]:
    pairs = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(pair.decode().split("=", 1) for pair in pairs if b"=" in pair)


def arguments_of(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
async def test_ferretdb_runs_with_its_gc_setting_and_serves_its_profile_when_asked(store: LocalStore) -> None:
    debug = f"127.0.0.1:{free_port()}"
    up = store.run("up", "ferretdb", FERRETDB_DEBUG_ADDR=debug)
    assert up.returncode == 0, up.stdout + up.stderr
    pid = int((store.local / "run" / "ferretdb.pid").read_text())
    assert environment_of(pid).get("GOGC") == "400"
    index = await asyncio.to_thread(urllib.request.urlopen, f"http://{debug}/debug/pprof/", timeout=10)
    assert index.status == 200
    assert b"profile" in index.read()
    assert await seats_taken(store.uri, racers=30, seats=5) == (5, 5)

    assert store.run("down", "ferretdb").returncode == 0
    extra = "&_pragma=wal_autocheckpoint(5000)"
    again = store.run("up", "ferretdb", FERRETDB_GOGC="100", FERRETDB_SQLITE_EXTRA=extra)
    assert again.returncode == 0, again.stdout + again.stderr
    pid = int((store.local / "run" / "ferretdb.pid").read_text())
    assert environment_of(pid).get("GOGC") == "100"
    argv = arguments_of(pid)
    assert any(a.startswith("--sqlite-url=") and a.endswith("_pragma=synchronous(normal)" + extra) for a in argv), argv
    assert await count_sessions(store.uri) == 1  # the pragma taken, the store serves what it held
    with pytest.raises(urllib.error.URLError):  # no debug listener unless asked
        await asyncio.to_thread(urllib.request.urlopen, f"http://{debug}/debug/pprof/", timeout=2)
