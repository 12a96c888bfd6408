"""What a killed test run left is removed by the next run, and nothing any other run holds (`leftovers`)."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from parkgrid.store import connect
from parkgrid.testing.leftovers import Ledger, Prefixes, remove
from parkgrid.testing.topics import topics_named
from parkgrid.topics import TopicSpec, ensure_topics


def a_run() -> Prefixes:
    run = uuid.uuid4().hex[:10]
    return Prefixes(topics=f"t{run}.", databases=f"test_{run}")


def ended_pid() -> int:
    """The pid of a process that has ended (and was waited for)."""
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    return ended.pid


@pytest.fixture
def dead_pid() -> int:
    return ended_pid()


@pytest.fixture
def live_pid() -> Iterator[int]:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        yield sleeper.pid
    finally:
        sleeper.kill()
        sleeper.wait()


def ledgers_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


async def test_a_killed_runs_topics_and_databases_go_and_a_live_runs_and_another_brokers_stay(
    kafka_bootstrap: str, mongodb_uri: str, tmp_path: Path, dead_pid: int, live_pid: int
) -> None:
    killed, running, elsewhere = a_run(), a_run(), a_run()
    other_dead_pid = ended_pid()
    Ledger(tmp_path, kafka_bootstrap, mongodb_uri, pid=dead_pid).note(killed)
    Ledger(tmp_path, kafka_bootstrap, mongodb_uri, pid=live_pid).note(running)
    # A dead run's ledger too, but of another broker: the names may mean something else there.
    Ledger(tmp_path, "127.0.0.1:1", mongodb_uri, pid=other_dead_pid).note(elsewhere)
    spec = TopicSpec(name="spaces.site", partitions=1)
    await ensure_topics(kafka_bootstrap, [spec.prefixed(p.topics) for p in (killed, running, elsewhere)])
    client = connect(mongodb_uri, app_name="parkgrid-tests")
    try:
        for p in (killed, running, elsewhere):
            await client[p.databases + "_spaces"]["sites"].insert_one({"_id": "site-1"})
            await client[p.databases]["sites"].insert_one({"_id": "site-1"})
        # A database whose name only starts like the killed run's is another run's.
        longer = killed.databases + "0"
        await client[longer]["sites"].insert_one({"_id": "site-1"})

        cleared = await Ledger(tmp_path, kafka_bootstrap, mongodb_uri).clear_dead_runs()

        assert cleared == 1
        assert await topics_named(kafka_bootstrap, killed.topics) == []
        names = await client.list_database_names()
        assert [n for n in names if n.startswith(killed.databases + "_") or n == killed.databases] == []
        assert longer in names
        for kept in (running, elsewhere):
            assert len(await topics_named(kafka_bootstrap, kept.topics)) == 2  # with its dead letters
            assert {kept.databases, kept.databases + "_spaces"} <= set(names)
        assert ledgers_in(tmp_path) == sorted([f"{live_pid}.jsonl", f"{other_dead_pid}.jsonl"])
    finally:
        await remove(kafka_bootstrap, mongodb_uri, [running, elsewhere, Prefixes("", longer)])
        await client.close()


async def test_a_run_removes_what_its_tests_left_then_its_ledger(
    kafka_bootstrap: str, mongodb_uri: str, tmp_path: Path
) -> None:
    ledger = Ledger(tmp_path, kafka_bootstrap, mongodb_uri)
    left, cleaned = a_run(), a_run()
    ledger.note(left)
    ledger.note(cleaned)  # its test removed its own: nothing of it is there any more
    await ensure_topics(kafka_bootstrap, [TopicSpec(name="community.event", partitions=1).prefixed(left.topics)])
    client = connect(mongodb_uri, app_name="parkgrid-tests")
    try:
        await client[left.databases]["events"].insert_one({"_id": "ev-1"})
        assert ledger.path.exists()

        await ledger.clear()

        assert await topics_named(kafka_bootstrap, left.topics) == []
        assert left.databases not in await client.list_database_names()
        assert not ledger.path.exists()
    finally:
        await client.close()


def test_a_ledger_cut_off_in_its_first_line_is_dropped_and_a_live_ones_never_read(
    tmp_path: Path, dead_pid: int, live_pid: int
) -> None:
    (tmp_path / f"{dead_pid}.jsonl").write_text('{"kafka": "127.0')
    (tmp_path / f"{live_pid}.jsonl").write_text("not a ledger at all")
    (tmp_path / "notes.jsonl").write_text("someone else's file")

    assert Ledger(tmp_path, "k:9092", "mongodb://m").of_dead_runs() == []

    assert ledgers_in(tmp_path) == sorted([f"{live_pid}.jsonl", "notes.jsonl"])


def test_a_database_belongs_to_a_prefix_by_its_whole_name_or_an_underscore_after_it() -> None:
    run = Prefixes(topics="t1.", databases="test_ab")
    assert run.owns_database("test_ab")
    assert run.owns_database("test_ab_spaces")
    assert not run.owns_database("test_abc")
    assert not run.owns_database("test_a")
