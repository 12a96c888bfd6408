"""Store conformance: equality filters on top-level fields find what MongoDB finds, by their index.

The project's FerretDB build has SQLite select the rows of `field: "text"` and `field: true|false`
itself (deploy/local/ferretdb/scalar-filters.patch), through FerretDB's index on the field when
there is one (use-indexes.patch): the expression compared is the index's, and arrays are kept by
a range of the same index. Each filter here must find exactly what MongoDB's equality finds (a
scalar equal to the value, or an array holding it), whatever the other documents hold: arrays,
escaped and non-ASCII strings, numbers where a flag is expected, objects, null, nothing. On
FerretDB, the plan SQLite chose must name the index.
"""

from __future__ import annotations

from typing import Any

import pytest
from pymongo import AsyncMongoClient

from parkgrid.store import Database, Document

ROWS = 300

ODD: list[Document] = [
    {"_id": "in-array", "member_id": ["mb-0001", "mb-9999"], "status": ["confirmed"], "pending": [True]},
    {"_id": "other-array", "member_id": ["x", "y"], "pending": [False]},
    {"_id": "escaped", "member_id": 'a"b<c>\\d', "status": "é-ç"},
    {"_id": "number", "member_id": 1, "pending": 1},
    {"_id": "object", "member_id": {"x": "mb-0001"}},
    {"_id": "null", "member_id": None, "pending": None},
    {"_id": "nothing"},
]


def expected(docs: list[Document], filter_: Document) -> list[str]:
    """MongoDB's equality, written out: a scalar equal to the value (a bool only to a bool), or an
    array holding it."""

    def matches(value: Any, wanted: Any) -> bool:
        if isinstance(value, list):
            return any(matches(item, wanted) for item in value)
        return type(value) is type(wanted) and value == wanted

    return sorted(d["_id"] for d in docs if all(k in d and matches(d[k], v) for k, v in filter_.items()))


@pytest.fixture
async def bookings(database: Database) -> tuple[Any, list[Document]]:
    collection = database["filters"]
    docs: list[Document] = [
        {
            "_id": f"d{i:04d}",
            "member_id": f"mb-{i % 50:04d}",
            "status": "confirmed" if i % 3 else "cancelled",
            "pending": i % 7 == 0,
        }
        for i in range(ROWS)
    ]
    docs += ODD
    await collection.insert_many(docs)
    await collection.create_index([("member_id", 1), ("status", 1)], name="by_member")
    await collection.create_index([("pending", 1)], name="by_pending")
    return collection, docs


@pytest.mark.parametrize(
    "filter_",
    [
        {"member_id": "mb-0001"},
        {"member_id": "mb-0001", "status": "confirmed"},
        {"status": "confirmed", "pending": True},
        {"pending": True},
        {"pending": False},
        {"member_id": 'a"b<c>\\d'},
        {"status": "é-ç"},
        {"member_id": "nobody"},
    ],
)
async def test_an_equality_filter_finds_what_mongodb_equality_finds(
    bookings: tuple[Any, list[Document]], filter_: Document
) -> None:
    collection, docs = bookings
    found = sorted(d["_id"] for d in await collection.find(filter_, {"_id": 1}).to_list())
    assert found == expected(docs, filter_)
    assert await collection.count_documents(filter_) == len(found)


async def test_an_equality_filter_updates_and_deletes_exactly_those(bookings: tuple[Any, list[Document]]) -> None:
    collection, docs = bookings
    wanted = expected(docs, {"member_id": "mb-0001"})
    updated = await collection.update_many({"member_id": "mb-0001"}, {"$set": {"seen": True}})
    assert updated.matched_count == len(wanted)
    assert sorted(d["_id"] for d in await collection.find({"seen": True}, {"_id": 1}).to_list()) == wanted
    deleted = await collection.delete_many({"pending": True})
    assert deleted.deleted_count == len(expected(docs, {"pending": True}))


async def test_ferretdb_answers_an_equality_filter_from_the_index_on_the_field(
    bookings: tuple[Any, list[Document]], mongo_client: AsyncMongoClient[Document]
) -> None:
    info = await mongo_client.admin.command("buildInfo")
    if not any(key.lower().startswith("ferretdb") for key in info):
        pytest.skip("the plan's wording is FerretDB's (SQLite's EXPLAIN QUERY PLAN)")
    collection, _ = bookings
    for filter_, index in (({"member_id": "mb-0001"}, "by_member"), ({"pending": True}, "by_pending")):
        plan = (await collection.find(filter_).explain())["queryPlanner"]["Plan"]
        assert any("USING INDEX" in step and step.rstrip().find(index) > 0 for step in plan), plan


async def test_a_dotted_filter_through_an_array_of_documents_matches_in_every_command(database: Database) -> None:
    """`{"takes.booking_id": id}` matches a document whose array `takes` holds an element with that
    booking id, in find, count, update and delete alike (billing's allowances give back that way).

    FerretDB 1.24 on PostgreSQL pushed such a key down as `#> '{takes,booking_id}'`, which is NULL
    through an array: every command but find (which leaves dotted keys out) matched nothing, until
    deploy/local/ferretdb/nested-filters-postgresql.patch. Run with `STORE=postgresql` to hold that
    backend to it."""
    collection = database["takes"]
    await collection.insert_many(
        [
            {"_id": "a", "used": 90, "takes": [{"booking_id": f"b-{n}", "minutes": 90 - 30 * n} for n in (1, 2)]},
            {"_id": "b", "used": 30, "takes": [{"booking_id": "b-3", "minutes": 30}]},
            {"_id": "c", "used": 0, "takes": []},
        ]
    )
    taken = {"takes.booking_id": "b-2"}
    assert [d["_id"] for d in await collection.find(taken).to_list()] == ["a"]
    assert await collection.count_documents(taken) == 1
    given_back = await collection.update_one(
        {"_id": "a", **taken}, {"$inc": {"used": -30}, "$pull": {"takes": {"booking_id": "b-2", "minutes": 30}}}
    )
    assert given_back.matched_count == 1
    assert await collection.find_one({"_id": "a"}) == {
        "_id": "a",
        "used": 60,
        "takes": [{"booking_id": "b-1", "minutes": 60}],
    }
    assert (await collection.update_one({"_id": "a", **taken}, {"$inc": {"used": -30}})).matched_count == 0  # once
    found = await collection.find_one_and_update({"takes.booking_id": "b-3"}, {"$set": {"seen": True}})
    assert found is not None
    assert found["_id"] == "b"
    assert (await collection.delete_many({"takes.booking_id": "b-1"})).deleted_count == 1
    assert sorted(d["_id"] for d in await collection.find({}).to_list()) == ["b", "c"]
