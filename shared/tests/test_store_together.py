"""`parkgrid.store.Inserts` and `Reads`: requests asked for at once go as one command, each answered
alone, over the real store.

The collection is wrapped to count the commands sent and, when a test says so, to hold the next
one until it lets go, so that the requests asked for meanwhile are seen to wait and go together.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest
from pymongo import ASCENDING
from pymongo.errors import AutoReconnect, WriteError

from parkgrid.store import Collection, Database, DuplicateKeyError, Inserts, Reads


class Held:
    """A collection whose insert commands are counted (documents per command) and wait for `gate`."""

    def __init__(self, collection: Collection) -> None:
        self.collection = collection
        self.commands: list[int] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.failing: Exception | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.collection, name)

    async def insert_one(self, doc: dict[str, Any]) -> Any:
        self.commands.append(1)
        await self.gate.wait()
        return await self.collection.insert_one(doc)

    async def insert_many(self, docs: list[dict[str, Any]], **options: Any) -> Any:
        self.commands.append(len(docs))
        await self.gate.wait()
        if self.failing is not None:
            raise self.failing
        return await self.collection.insert_many(docs, **options)

    async def find_one(self, filter_: dict[str, Any], projection: Any = None) -> Any:
        self.commands.append(1)
        await self.gate.wait()
        return await self.collection.find_one(filter_, projection)

    def find(self, filter_: dict[str, Any], projection: Any = None) -> Any:
        self.commands.append(len(filter_["_id"]["$in"]))
        return self.collection.find(filter_, projection)

    async def sending(self, count: int) -> None:
        while len(self.commands) < count:
            await asyncio.sleep(0.001)


def held(database: Database) -> tuple[Held, Inserts]:
    collection = Held(database["items"])
    return collection, Inserts(cast(Collection, collection))


async def one_under_way(database: Database, **fields: Any) -> tuple[Held, Inserts, asyncio.Task[None]]:
    """Inserts over a held collection, with the insert of `first` under way and held."""
    collection, inserts = held(database)
    collection.gate.clear()
    first = asyncio.create_task(inserts.insert({"_id": "first", **fields}))
    await collection.sending(1)
    return collection, inserts, first


async def stored(database: Database) -> dict[str, Any]:
    return {doc["_id"]: doc.get("code") async for doc in database["items"].find({})}


async def test_a_lone_insert_goes_at_once_and_a_rush_goes_as_one_more_command(database: Database) -> None:
    """Forty asked at once: the first goes alone, the 39 asked while it is under way as the next
    command. One `insert_one` each, as before `Inserts`, would be forty commands."""
    collection, inserts = held(database)
    await inserts.insert({"_id": "alone"})
    assert collection.commands == [1]

    answers = await asyncio.gather(*(inserts.insert({"_id": f"i{n:02d}"}) for n in range(40)))

    assert answers == [None] * 40
    assert collection.commands == [1, 1, 39]
    assert len(await stored(database)) == 41


async def test_each_caller_is_refused_only_for_its_own_taken_key(database: Database) -> None:
    await database["items"].create_index([("code", ASCENDING)], unique=True)
    await database["items"].insert_one({"_id": "taken", "code": "T"})
    collection, inserts, first = await one_under_way(database, code="F")  # the next five wait, then go together
    docs = [
        {"_id": "a", "code": "A"},
        {"_id": "taken", "code": "X"},
        {"_id": "b", "code": "T"},
        {"_id": "c", "code": "C"},
        {"_id": "c", "code": "D"},
    ]
    rush = [asyncio.create_task(inserts.insert(doc)) for doc in docs]
    await asyncio.sleep(0.01)
    collection.gate.set()

    await first
    outcomes = await asyncio.gather(*rush, return_exceptions=True)

    assert collection.commands == [1, 5]
    assert [type(outcome).__name__ for outcome in outcomes] == [
        "NoneType",
        "DuplicateKeyError",
        "DuplicateKeyError",
        "NoneType",
        "DuplicateKeyError",
    ]
    assert all(cast(DuplicateKeyError, outcomes[i]).code == 11000 for i in (1, 2, 4))
    assert await stored(database) == {"taken": "T", "first": "F", "a": "A", "c": "C"}


async def test_a_caller_cancelled_before_its_turn_inserts_nothing(database: Database) -> None:
    collection, inserts, first = await one_under_way(database)
    gone = asyncio.create_task(inserts.insert({"_id": "gone"}))
    kept = asyncio.create_task(inserts.insert({"_id": "kept"}))
    await asyncio.sleep(0.01)
    gone.cancel()
    collection.gate.set()

    await asyncio.gather(first, kept)
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert collection.commands == [1, 1]
    assert set(await stored(database)) == {"first", "kept"}
    assert inserts._waiting == []


async def test_a_caller_cancelled_while_its_batch_is_sent_leaves_the_others_inserted(database: Database) -> None:
    collection, inserts, first = await one_under_way(database)
    leader = asyncio.create_task(inserts.insert({"_id": "leader"}))
    others = [asyncio.create_task(inserts.insert({"_id": f"other-{n}"})) for n in range(3)]
    await asyncio.sleep(0.01)
    collection.gate.set()
    await first
    collection.gate.clear()  # the leader takes the other three along, and its command is held
    await collection.sending(2)
    leader.cancel()
    await asyncio.sleep(0.01)
    collection.gate.set()

    assert await asyncio.gather(*others) == [None, None, None]
    assert leader.cancelled()
    assert collection.commands == [1, 4]
    assert set(await stored(database)) == {"first", "leader", "other-0", "other-1", "other-2"}, (
        "the command was sent whole: the cancelled caller's document too, as a lone insert in flight may be"
    )


async def test_a_document_the_store_refuses_is_its_callers_write_error_alone(database: Database) -> None:
    collection, inserts, first = await one_under_way(database)
    bad = asyncio.create_task(inserts.insert({"_id": "bad", "$bad": 1}))
    good = asyncio.create_task(inserts.insert({"_id": "good"}))
    await asyncio.sleep(0.01)
    collection.gate.set()

    await asyncio.gather(first, good)
    with pytest.raises(WriteError) as refused:
        await bad
    assert refused.value.code == 2
    assert collection.commands == [1, 2]
    assert set(await stored(database)) == {"first", "good"}


async def test_a_command_that_fails_is_every_callers_error(database: Database) -> None:
    collection, inserts, first = await one_under_way(database)
    collection.failing = AutoReconnect("the store went away")
    rush = [asyncio.create_task(inserts.insert({"_id": f"lost-{n}"})) for n in range(3)]
    await asyncio.sleep(0.01)
    collection.gate.set()

    await first
    outcomes = await asyncio.gather(*rush, return_exceptions=True)
    assert [type(outcome) for outcome in outcomes] == [AutoReconnect] * 3
    assert set(await stored(database)) == {"first"}


async def test_reads_by_id_asked_at_once_go_as_one_find_each_answered_as_find_one_would(database: Database) -> None:
    await database["items"].insert_many([{"_id": f"i{n:02d}", "n": n, "tags": ["x"]} for n in range(20)])
    collection = Held(database["items"])
    reads = Reads(cast(Collection, collection), {"n": 1, "tags": 1})
    collection.gate.clear()
    first = asyncio.create_task(reads.get("i00"))
    await collection.sending(1)
    asked = ["i05", "missing", "i07", "i05", *[f"i{n:02d}" for n in range(10, 20)]]
    rush = [asyncio.create_task(reads.get(document_id)) for document_id in asked]
    await asyncio.sleep(0.01)
    collection.gate.set()

    assert await first == {"_id": "i00", "n": 0, "tags": ["x"]}
    answers = await asyncio.gather(*rush)
    assert collection.commands == [1, 13], "the second command names each id once"
    expected = [None if i == "missing" else {"_id": i, "n": int(i[1:]), "tags": ["x"]} for i in asked]
    assert answers == expected
    assert answers[0] is not answers[3], "an id asked twice: each caller its own document"
    assert answers[0] is not None
    assert answers[3] is not None
    assert answers[0]["tags"] is not answers[3]["tags"]
