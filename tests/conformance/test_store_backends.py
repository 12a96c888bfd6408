"""The guarded updates ParkGrid relies on, on each of FerretDB's backends, SQLite and PostgreSQL 15.

`test_store.py` proves them on the store the tests run against (what `infra.sh` started:
SQLite unless `STORE=postgresql`). `make bench` compares the two backends' speed, each started
beside the run's store by `bench.stores.side_store`; this proves the comparison is between two
stores that are both right, started the way the bench starts them: with the project's FerretDB
build (writes serialized, deploy/local/ferretdb/serialize-writes.patch) a guarded update is
atomic on either backend, and the negative control shows what the guard is for, since a
read-then-write oversells on both.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from bench import stores
from parkgrid.store import connect

# Starts a PostgreSQL cluster and a FerretDB of its own: not in the --unit tier.
pytestmark = pytest.mark.processes


@pytest.fixture(scope="module", params=stores.BACKENDS)
def side_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    reason = stores.unavailable()
    if reason is not None:
        pytest.fail(reason)
    with stores.side_store(tmp_path_factory.mktemp("store-logs"), request.param) as uri:
        yield uri


async def test_racing_guarded_updates_take_exactly_the_seats(side_store: str) -> None:
    figures = await stores.measure(side_store, operations=200, concurrency=20)
    assert (figures["race_won"], figures["race_taken"]) == (stores.SEATS, stores.SEATS)


async def test_a_read_then_write_oversells_which_is_why_the_guard_matters(side_store: str) -> None:
    client = connect(side_store, app_name="conformance")
    sessions = client["conformance_backends"]["sessions"]
    try:
        await sessions.delete_many({})
        await sessions.insert_one({"_id": "s-1", "taken": 0})

        async def take_unguarded() -> bool:
            session = await sessions.find_one({"_id": "s-1"})
            assert session is not None
            if session["taken"] >= stores.SEATS:
                return False
            await sessions.update_one({"_id": "s-1"}, {"$set": {"taken": session["taken"] + 1}})
            return True

        won = sum(await asyncio.gather(*(take_unguarded() for _ in range(stores.RACERS))))
        assert won > stores.SEATS, "every racer read the count before any wrote it, so more won than seats"
    finally:
        await client.drop_database("conformance_backends")
        await client.close()
