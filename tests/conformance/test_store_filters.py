"""Store conformance: equality filters and date ranges on top-level fields find what MongoDB finds,
by their index.

The project's FerretDB build has SQLite select the rows of `field: "text"` and `field: true|false`
itself (deploy/local/ferretdb/scalar-filters.patch), through FerretDB's index on the field when
there is one (use-indexes.patch): the expression compared is the index's, and arrays are kept by
a range of the same index. Each filter here must find exactly what MongoDB's equality finds (a
scalar equal to the value, or an array holding it), whatever the other documents hold: arrays,
escaped and non-ASCII strings, numbers where a flag is expected, objects, null, nothing. On
FerretDB, the plan SQLite chose must name the index.

A date range with two bounds is pushed down too (use-indexes.patch, `dateRange`): the same holds
for it, among dates before 2001 and after 2286 (whose milliseconds have other than 13 digits),
negative ones, arrays, strings, numbers, objects, null and nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from parkgrid.store import Database, Document, before
from parkgrid.testing.plans import assert_read_from_an_index

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


async def assert_found_and_counted(collection: Any, filter_: Document, wanted: list[str]) -> None:
    """`find` and `count_documents` select exactly the documents `wanted` (their sorted ids)."""
    found = sorted(d["_id"] for d in await collection.find(filter_, {"_id": 1}).to_list())
    assert found == wanted
    assert await collection.count_documents(filter_) == len(found)


async def assert_updated(collection: Any, filter_: Document, wanted: list[str]) -> None:
    """`update_many` matches exactly the documents `wanted`, and changes those."""
    updated = await collection.update_many(filter_, {"$set": {"seen": True}})
    assert updated.matched_count == len(wanted)
    assert sorted(d["_id"] for d in await collection.find({"seen": True}, {"_id": 1}).to_list()) == wanted


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
    await assert_found_and_counted(collection, filter_, expected(docs, filter_))


async def test_an_equality_filter_updates_and_deletes_exactly_those(bookings: tuple[Any, list[Document]]) -> None:
    collection, docs = bookings
    await assert_updated(collection, {"member_id": "mb-0001"}, expected(docs, {"member_id": "mb-0001"}))
    deleted = await collection.delete_many({"pending": True})
    assert deleted.deleted_count == len(expected(docs, {"pending": True}))


async def test_an_equality_filter_is_answered_from_the_index_on_the_field(
    bookings: tuple[Any, list[Document]],
) -> None:
    collection, _ = bookings
    for filter_, index in (({"member_id": "mb-0001"}, "by_member"), ({"pending": True}, "by_pending")):
        assert_read_from_an_index((await collection.find(filter_).explain())["queryPlanner"], index)


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


# --- date ranges -----------------------------------------------------------------------------

DAY = datetime(2026, 12, 7, tzinfo=UTC)
DATES: list[Document] = [
    *(
        {"_id": f"t{i:03d}", "status": "open" if i % 2 else "closed", "ends_at": DAY + timedelta(hours=i - 50)}
        for i in range(100)
    ),
    {"_id": "before-2001", "status": "open", "ends_at": datetime(1990, 5, 1, tzinfo=UTC)},  # 12 digits of ms
    {"_id": "before-1970", "status": "open", "ends_at": datetime(1960, 5, 1, tzinfo=UTC)},  # negative
    {"_id": "at-the-epoch", "status": "open", "ends_at": datetime(1970, 1, 1, 0, 0, 0, 5000, tzinfo=UTC)},  # 1 digit
    {"_id": "after-2286", "status": "open", "ends_at": datetime(2300, 1, 1, tzinfo=UTC)},  # 14 digits
    {"_id": "array", "status": "open", "ends_at": [datetime(1990, 5, 1, tzinfo=UTC), DAY + timedelta(days=400)]},
    {"_id": "array-in", "status": "open", "ends_at": [DAY - timedelta(hours=1)]},
    {"_id": "status-array", "status": ["open", "x"], "ends_at": DAY - timedelta(hours=3)},
    {"_id": "string", "status": "open", "ends_at": "2026-12-06T10:00:00+00:00"},
    {"_id": "number", "status": "open", "ends_at": int((DAY - timedelta(hours=1)).timestamp() * 1000)},
    {"_id": "object", "status": "open", "ends_at": {"at": DAY - timedelta(hours=1)}},
    {"_id": "null", "status": "open", "ends_at": None},
    {"_id": "nothing", "status": "open"},
]
COMPARE: dict[str, Callable[[datetime, datetime], bool]] = {
    "$lt": lambda a, b: a < b,
    "$lte": lambda a, b: a <= b,
    "$gt": lambda a, b: a > b,
    "$gte": lambda a, b: a >= b,
}


def expected_in_range(docs: list[Document], filter_: Document) -> list[str]:
    """MongoDB's comparisons, written out: a date compares with a date only, an array by any of its
    elements (each comparison by its own), a missing field never; equalities as `expected`."""

    def compares(value: Any, op: str, bound: datetime) -> bool:
        if isinstance(value, list):
            return any(compares(item, op, bound) for item in value)
        return isinstance(value, datetime) and COMPARE[op](value, bound)

    def holds(doc: Document, key: str, wanted: Any) -> bool:
        if not isinstance(wanted, dict):
            return bool(expected([doc], {key: wanted}))
        return key in doc and all(compares(doc[key], op, bound) for op, bound in wanted.items())

    return sorted(d["_id"] for d in docs if all(holds(d, k, v) for k, v in filter_.items()))


@pytest.fixture
async def dated(database: Database) -> tuple[Any, list[Document]]:
    collection = database["dated"]
    await collection.insert_many([dict(d) for d in DATES])
    await collection.create_index([("status", 1), ("ends_at", 1)], name="status_ends")
    return collection, DATES


@pytest.mark.parametrize(
    "filter_",
    [
        {"status": "open", "ends_at": before(DAY)},
        {"ends_at": before(DAY)},
        {"status": "open", "ends_at": {"$gt": DAY - timedelta(hours=10), "$lte": DAY + timedelta(hours=10)}},
        {"status": "closed", "ends_at": {"$gte": DAY, "$lt": datetime(2200, 1, 1, tzinfo=UTC)}},
        {"status": "open", "ends_at": {"$gte": datetime(1980, 1, 1, tzinfo=UTC), "$lt": DAY}},  # a bound of 12 digits
        {"status": "open", "ends_at": {"$gte": DAY, "$lt": datetime(2400, 1, 1, tzinfo=UTC)}},  # and of 14
        {"status": "open", "ends_at": {"$lt": DAY}},  # one bound
        {"status": "open", "ends_at": {"$gt": DAY}},
        {"ends_at": {"$lte": datetime(2001, 1, 1, tzinfo=UTC)}},
        {"status": "open", "ends_at": {"$gte": DAY + timedelta(days=300), "$lt": DAY + timedelta(days=500)}},
    ],
    ids=lambda f: str(f).replace(" ", "")[:60],
)
async def test_a_date_range_finds_what_mongodb_comparisons_find(
    dated: tuple[Any, list[Document]], filter_: Document
) -> None:
    """Our FerretDB pushes a date range with two bounds of 13 digits of milliseconds down to the
    index (use-indexes.patch): dates of other lengths, arrays, other types, null and a missing
    field must be found or left exactly as MongoDB's comparisons find or leave them."""
    collection, docs = dated
    await assert_found_and_counted(collection, filter_, expected_in_range(docs, filter_))


async def test_a_date_range_updates_and_deletes_exactly_those(dated: tuple[Any, list[Document]]) -> None:
    collection, docs = dated
    in_range = {"status": "open", "ends_at": before(DAY)}
    wanted = expected_in_range(docs, in_range)
    assert {"array", "array-in", "status-array"} <= set(wanted)
    await assert_updated(collection, in_range, wanted)
    deleted = await collection.delete_many({"ends_at": {"$gte": DAY, "$lt": DAY + timedelta(days=500)}})
    assert deleted.deleted_count == len(
        expected_in_range(docs, {"ends_at": {"$gte": DAY, "$lt": DAY + timedelta(days=500)}})
    )


async def test_the_index_is_searched_by_an_equality_and_a_date_range_together(
    dated: tuple[Any, list[Document]],
) -> None:
    collection, _ = dated
    planner = (await collection.find({"status": "open", "ends_at": before(DAY)}).explain())["queryPlanner"]
    assert_read_from_an_index(planner, "status_ends", ranged=True)
