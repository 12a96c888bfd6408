"""Store conformance: the MongoDB operations ParkGrid relies on, on whichever server the fixtures give.

Every test asserts the guarantee as MongoDB gives it. Where FerretDB 1.24 (the local store,
SQLite backend) is known not to give it, the test marks itself an expected failure on
FerretDB only, with the exact behaviour seen, so that:

- on MongoDB every guarantee must hold;
- on FerretDB the gap is listed in the `-ra` summary (XFAIL + reason), and a strict marker
  turns into a failure (XPASS) the day FerretDB or the kit is fixed, so the marker goes too.

Tests named `test_ferretdb_*` document what FerretDB lacks and only run on FerretDB.

Conditional updates are atomic here only because the project's FerretDB build serializes
write commands (deploy/local/ferretdb/serialize-writes.patch): stock FerretDB 1.24 reads,
then rewrites, so concurrent guarded writers both win. The concurrency tests below fail
against an unpatched build.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, ReturnDocument
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure, PyMongoError, WriteError

from parkgrid.http.idempotency import IdempotencyRecords
from parkgrid.projection import SEQ_FIELD, Projection
from parkgrid.store import Collection, Database, Document, connect, is_duplicate_key

# ---------------------------------------------------------------------------- helpers


@pytest.fixture
async def ferretdb(mongo_client: AsyncMongoClient[Document]) -> bool:
    """True when the server is FerretDB (its buildInfo carries `ferretdbVersion`/`ferretdbFeatures`)."""
    info = await mongo_client.admin.command("buildInfo")
    return any(key.lower().startswith("ferretdb") for key in info)


def expect_ferretdb_gap(
    request: pytest.FixtureRequest,
    ferretdb: bool,
    reason: str,
    *,
    strict: bool = True,
    raises: type[Exception] = AssertionError,
) -> None:
    """This guarantee is known not to hold on FerretDB 1.24: an expected failure there only.

    strict=False for races, whose outcome on FerretDB varies from run to run. Any other
    exception than `raises` (e.g. the store being unreachable) is still a failure.
    """
    if ferretdb:
        request.applymarker(pytest.mark.xfail(reason=f"FerretDB 1.24: {reason}", strict=strict, raises=raises))


def only_on_ferretdb(ferretdb: bool) -> None:
    if not ferretdb:
        pytest.skip("documents a FerretDB limitation")


@asynccontextmanager
async def separate_clients(uri: str, n: int) -> AsyncIterator[list[AsyncMongoClient[Document]]]:
    """n clients, each with its own connection pool, as n service instances would have."""
    clients = [connect(uri, app_name=f"parkgrid-conformance-{i}") for i in range(n)]
    try:
        yield clients
    finally:
        await asyncio.gather(*(client.close() for client in clients))


def same_collection(client: AsyncMongoClient[Document], collection: Collection) -> Collection:
    return client[collection.database.name][collection.name]


def ms(moment: datetime) -> datetime:
    """BSON dates hold milliseconds."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


# ---------------------------------------------------------------------------- unique indexes


async def test_unique_index_rejects_a_second_insert_with_the_same_key(database: Database) -> None:
    await database.bays.create_index("code", unique=True)
    await database.bays.insert_one({"_id": 1, "code": "A-1"})

    with pytest.raises(DuplicateKeyError) as caught:
        await database.bays.insert_one({"_id": 2, "code": "A-1"})

    assert caught.value.code == 11000
    assert "E11000" in str(caught.value)
    assert is_duplicate_key(caught.value)
    assert await database.bays.count_documents({}) == 1


async def test_id_collision_on_insert_raises_duplicate_key_error(database: Database) -> None:
    await database.bays.insert_one({"_id": "b1", "code": "A-1"})

    with pytest.raises(DuplicateKeyError) as caught:
        await database.bays.insert_one({"_id": "b1", "code": "B-2"})

    assert caught.value.code == 11000
    assert is_duplicate_key(caught.value)
    assert await database.bays.find_one({"_id": "b1"}) == {"_id": "b1", "code": "A-1"}


async def test_unordered_insert_many_refuses_each_duplicate_alone_by_its_index(database: Database) -> None:
    """What `parkgrid.store.Inserts` relies on: in one unordered insert, a taken `_id` or unique key
    refuses only its own document, reported at its index with code 11000, and the rest are written."""
    await database.bays.create_index([("code", ASCENDING)], unique=True)
    await database.bays.insert_one({"_id": "b1", "code": "A-1"})
    docs = [
        {"_id": "b2", "code": "B-2"},
        {"_id": "b1", "code": "C-3"},  # the `_id` is taken
        {"_id": "b3", "code": "A-1"},  # the code is taken
        {"_id": "b4", "code": "D-4"},
        {"_id": "b4", "code": "E-5"},  # taken by the document before it in the same command
    ]

    with pytest.raises(BulkWriteError) as caught:
        await database.bays.insert_many(docs, ordered=False)

    errors = caught.value.details["writeErrors"]
    assert sorted(error["index"] for error in errors) == [1, 2, 4]
    assert {error["code"] for error in errors} == {11000}
    assert caught.value.details["nInserted"] == 2
    stored = {doc["_id"]: doc["code"] async for doc in database.bays.find({})}
    assert stored == {"b1": "A-1", "b2": "B-2", "b4": "D-4"}


async def test_sparse_unique_index_lets_documents_without_the_field_coexist(database: Database) -> None:
    """The portable way to make an optional field unique (FerretDB has no partial indexes)."""
    await database.drivers.create_index("plate", unique=True, sparse=True)
    await database.drivers.insert_many([{"_id": 1}, {"_id": 2}, {"_id": 3, "plate": "AB-123"}])

    with pytest.raises(DuplicateKeyError):
        await database.drivers.insert_one({"_id": 4, "plate": "AB-123"})

    assert await database.drivers.count_documents({}) == 3


async def test_non_sparse_unique_index_on_a_missing_field_differs_between_servers(
    database: Database, ferretdb: bool
) -> None:
    """MongoDB indexes a missing field as null, so a second document without it collides;
    FerretDB does not index it, so any number may lack it. Code must not rely on either:
    make optional unique fields sparse (see the test above)."""
    await database.drivers.create_index("plate", unique=True)
    await database.drivers.insert_one({"_id": 1})

    if ferretdb:
        await database.drivers.insert_one({"_id": 2})
        await database.drivers.insert_one({"_id": 3, "plate": None})
        assert await database.drivers.count_documents({}) == 3
    else:
        with pytest.raises(DuplicateKeyError):
            await database.drivers.insert_one({"_id": 2})


async def _seed_two_plates(collection: Collection) -> None:
    await collection.create_index("plate", unique=True)
    await collection.insert_many([{"_id": 1, "plate": "AB-123"}, {"_id": 2, "plate": "CD-456"}])


UPDATES_THAT_COLLIDE: dict[str, Callable[[Collection], Awaitable[Any]]] = {
    "update_one": lambda c: c.update_one({"_id": 2}, {"$set": {"plate": "AB-123"}}),
    "replace_one": lambda c: c.replace_one({"_id": 2}, {"plate": "AB-123"}),
    "find_one_and_update": lambda c: c.find_one_and_update({"_id": 2}, {"$set": {"plate": "AB-123"}}),
}


@pytest.mark.parametrize("operation", list(UPDATES_THAT_COLLIDE))
async def test_unique_violation_by_an_update_is_recognised_by_is_duplicate_key(
    database: Database, ferretdb: bool, request: pytest.FixtureRequest, operation: str
) -> None:
    await _seed_two_plates(database.drivers)

    with pytest.raises(PyMongoError) as caught:
        await UPDATES_THAT_COLLIDE[operation](database.drivers)

    assert await database.drivers.find_one({"_id": 2}) == {"_id": 2, "plate": "CD-456"}
    assert is_duplicate_key(caught.value), f"{type(caught.value).__name__}: {caught.value}"


async def test_upsert_that_would_insert_a_duplicate_raises_duplicate_key_error(database: Database) -> None:
    await _seed_two_plates(database.drivers)

    with pytest.raises(DuplicateKeyError) as caught:
        await database.drivers.update_one({"_id": 3}, {"$set": {"plate": "AB-123"}}, upsert=True)

    assert is_duplicate_key(caught.value)
    assert await database.drivers.count_documents({}) == 2


async def test_unique_and_compound_indexes_are_created_and_listed(database: Database) -> None:
    assert await database.bays.create_index("code", unique=True) == "code_1"
    name = await database.bays.create_index([("lot", ASCENDING), ("level", DESCENDING)], unique=True, name="lot_level")
    assert name == "lot_level"

    indexes = {index["name"]: index async for index in await database.bays.list_indexes()}

    assert set(indexes) == {"_id_", "code_1", "lot_level"}
    assert list(indexes["lot_level"]["key"].items()) == [("lot", 1), ("level", -1)]
    assert indexes["lot_level"].get("unique") is True
    assert indexes["code_1"].get("unique") is True
    assert not indexes["_id_"].get("unique", False)  # _id is unique by nature, not flagged


async def test_compound_unique_index_rejects_only_the_same_combination(database: Database) -> None:
    await database.bays.create_index([("lot", ASCENDING), ("level", ASCENDING)], unique=True)
    await database.bays.insert_many([{"lot": "L1", "level": 1}, {"lot": "L1", "level": 2}, {"lot": "L2", "level": 1}])

    with pytest.raises(DuplicateKeyError):
        await database.bays.insert_one({"lot": "L1", "level": 2})

    assert await database.bays.count_documents({}) == 3


# ---------------------------------------------------------------------------- version guard


async def test_version_guarded_update_matches_once_and_a_stale_version_matches_nothing(database: Database) -> None:
    await database.bookings.insert_one({"_id": "bk1", "status": "held", "version": 1})

    first = await database.bookings.update_one(
        {"_id": "bk1", "version": 1}, {"$set": {"status": "confirmed", "version": 2}}
    )
    stale = await database.bookings.update_one(
        {"_id": "bk1", "version": 1}, {"$set": {"status": "cancelled", "version": 2}}
    )

    assert (first.matched_count, first.modified_count) == (1, 1)
    assert (stale.matched_count, stale.modified_count) == (0, 0)
    assert await database.bookings.find_one({"_id": "bk1"}) == {"_id": "bk1", "status": "confirmed", "version": 2}


async def test_version_guard_lets_exactly_one_of_20_concurrent_writers_win(
    database: Database, mongodb_uri: str, ferretdb: bool, request: pytest.FixtureRequest
) -> None:
    await database.bookings.insert_one({"_id": "bk1", "version": 1})

    async with separate_clients(mongodb_uri, 20) as clients:
        results = await asyncio.gather(
            *(
                same_collection(client, database.bookings).update_one(
                    {"_id": "bk1", "version": 1}, {"$set": {"version": 2, "writer": i}}
                )
                for i, client in enumerate(clients)
            )
        )

    winners = [i for i, result in enumerate(results) if result.modified_count == 1]
    doc = await database.bookings.find_one({"_id": "bk1"})
    assert len(winners) == 1, f"{len(winners)} writers matched version 1: {winners}"
    assert doc == {"_id": "bk1", "version": 2, "writer": winners[0]}


async def test_guarded_find_one_and_update_is_claimed_by_exactly_one_of_20_concurrent_callers(
    database: Database, mongodb_uri: str, ferretdb: bool, request: pytest.FixtureRequest
) -> None:
    """The outbox relay's lease claim."""
    await database.bookings.insert_one({"_id": "bk1", "outbox_pending": True})

    async with separate_clients(mongodb_uri, 20) as clients:
        claims = await asyncio.gather(
            *(
                same_collection(client, database.bookings).find_one_and_update(
                    {"_id": "bk1", "outbox_lease_owner": None},
                    {"$set": {"outbox_lease_owner": f"relay-{i}"}},
                    return_document=ReturnDocument.AFTER,
                )
                for i, client in enumerate(clients)
            )
        )

    owners = [claim["outbox_lease_owner"] for claim in claims if claim is not None]
    assert len(owners) == 1, f"{len(owners)} callers claimed the same lease: {owners}"
    booking = await database.bookings.find_one({"_id": "bk1"})
    assert booking is not None
    assert booking["outbox_lease_owner"] == owners[0]


# ---------------------------------------------------------------------------- guarded $inc

SEATS = 10
ATTEMPTS = 50


async def _concurrent_incs(database: Database, uri: str, guard: Document) -> tuple[int, int]:
    """ATTEMPTS concurrent `$inc seats_taken` (each its own client); (successes, final counter)."""
    await database.lots.insert_one({"_id": "lot1", "capacity": SEATS, "seats_taken": 0})
    async with separate_clients(uri, ATTEMPTS) as clients:
        results = await asyncio.gather(
            *(
                same_collection(client, database.lots).update_one(
                    {"_id": "lot1", **guard}, {"$inc": {"seats_taken": 1}}
                )
                for client in clients
            )
        )
    lot = await database.lots.find_one({"_id": "lot1"})
    assert lot is not None
    return sum(result.modified_count for result in results), lot["seats_taken"]


async def test_guarded_inc_sells_exactly_the_capacity_under_50_concurrent_attempts(
    database: Database, mongodb_uri: str, ferretdb: bool, request: pytest.FixtureRequest
) -> None:

    successes, taken = await _concurrent_incs(database, mongodb_uri, {"seats_taken": {"$lt": SEATS}})

    assert (successes, taken) == (SEATS, SEATS)


async def test_unguarded_inc_oversells_which_is_why_the_guard_matters(
    database: Database, mongodb_uri: str, ferretdb: bool, request: pytest.FixtureRequest
) -> None:
    """Every $inc counts (atomic), so without the guard 50 attempts take 50 of 10 seats."""

    successes, taken = await _concurrent_incs(database, mongodb_uri, {})

    assert taken > SEATS
    assert (successes, taken) == (ATTEMPTS, ATTEMPTS)


# ---------------------------------------------------------------------------- upsert


async def test_upsert_creates_the_document_then_updates_it(database: Database) -> None:
    created = await database.counters.update_one({"_id": "c1"}, {"$set": {"n": 1}}, upsert=True)
    updated = await database.counters.update_one({"_id": "c1"}, {"$set": {"n": 2}}, upsert=True)

    assert (created.matched_count, created.modified_count, created.upserted_id) == (0, 0, "c1")
    assert (updated.matched_count, updated.modified_count, updated.upserted_id) == (1, 1, None)
    assert await database.counters.find_one({"_id": "c1"}) == {"_id": "c1", "n": 2}


async def test_upsert_on_a_field_filter_creates_the_document_with_that_field(database: Database) -> None:
    created = await database.counters.update_one({"key": "k1"}, {"$set": {"n": 1}}, upsert=True)

    assert created.upserted_id is not None
    assert await database.counters.find_one({"_id": created.upserted_id}) == {
        "_id": created.upserted_id,
        "key": "k1",
        "n": 1,
    }


# ---------------------------------------------------------------------------- update operators and filters


def entry(n: int) -> Document:
    return {"id": f"e{n}", "topic": "bookings.booking", "envelope": {"sequence": n}}


async def test_push_each_appends_all_entries_in_order(database: Database) -> None:
    await database.aggs.insert_one({"_id": "a1", "outbox": [entry(1)]})

    await database.aggs.update_one({"_id": "a1"}, {"$push": {"outbox": {"$each": [entry(2), entry(3)]}}})
    await database.aggs.update_one({"_id": "a2"}, {"$push": {"outbox": {"$each": [entry(1)]}}}, upsert=True)

    a1 = await database.aggs.find_one({"_id": "a1"})
    a2 = await database.aggs.find_one({"_id": "a2"})
    assert a1 is not None
    assert a1["outbox"] == [entry(1), entry(2), entry(3)]
    assert a2 is not None
    assert a2["outbox"] == [entry(1)]


async def test_pull_with_a_condition_removes_only_the_matching_entries(
    database: Database, ferretdb: bool, request: pytest.FixtureRequest
) -> None:
    """What MongoDB allows; the outbox relay uses $pullAll instead (see the next test)."""
    expect_ferretdb_gap(
        request,
        ferretdb,
        "$pull only removes elements equal to the given value; a condition such as "
        "{'id': {'$in': [...]}} removes nothing (nModified 0, no error), so a condition-based pull "
        "would empty an outbox only on MongoDB; OutboxRelay therefore uses $pullAll",
    )
    await database.aggs.insert_one(
        {"_id": "a1", "outbox": [entry(1), entry(2), entry(3), entry(4)], "outbox_lease_owner": "r1"}
    )

    result = await database.aggs.update_one(
        {"_id": "a1", "outbox_lease_owner": "r1"},
        {"$pull": {"outbox": {"id": {"$in": ["e1", "e3", "e9"]}}}, "$unset": {"outbox_lease_owner": ""}},
    )

    assert result.modified_count == 1
    assert await database.aggs.find_one({"_id": "a1"}) == {"_id": "a1", "outbox": [entry(2), entry(4)]}


async def test_pull_all_removes_exactly_the_given_entries(database: Database) -> None:
    """A portable way to remove published entries: name them in full, as read from the store."""
    await database.aggs.insert_one({"_id": "a1", "outbox": [entry(1), entry(2), entry(3)]})
    before = await database.aggs.find_one({"_id": "a1"})
    assert before is not None
    published = before["outbox"][:2]

    await database.aggs.update_one({"_id": "a1"}, {"$pullAll": {"outbox": published}})

    after = await database.aggs.find_one({"_id": "a1"})
    assert after is not None
    assert after["outbox"] == [entry(3)]


async def test_size_filter_matches_arrays_of_that_length_only(database: Database) -> None:
    await database.aggs.insert_many(
        [{"_id": "empty", "outbox": []}, {"_id": "two", "outbox": [entry(1), entry(2)]}, {"_id": "missing"}]
    )

    result = await database.aggs.update_many({"outbox": {"$size": 0}}, {"$set": {"outbox_pending": False}})

    assert result.modified_count == 1
    assert [d["_id"] async for d in database.aggs.find({"outbox": {"$size": 0}})] == ["empty"]
    assert [d["_id"] async for d in database.aggs.find({"outbox": {"$size": 2}})] == ["two"]


async def test_unset_removes_fields_and_a_null_filter_matches_missing_or_null(database: Database) -> None:
    await database.aggs.insert_many(
        [
            {"_id": "leased", "outbox_lease_owner": "r1", "outbox_lease_until": datetime.now(UTC)},
            {"_id": "null", "outbox_lease_owner": None},
            {"_id": "never"},
        ]
    )

    await database.aggs.update_one({"_id": "leased"}, {"$unset": {"outbox_lease_owner": "", "outbox_lease_until": ""}})

    assert await database.aggs.find_one({"_id": "leased"}) == {"_id": "leased"}
    found = await database.aggs.find({"outbox_lease_owner": None}).sort("_id", ASCENDING).to_list()
    assert [d["_id"] for d in found] == ["leased", "never", "null"]


async def test_ne_matches_other_values_and_missing_fields(database: Database) -> None:
    await database.views.insert_many([{"_id": 1, "_removed": True}, {"_id": 2, "_removed": False}, {"_id": 3}])

    found = await database.views.find({"_removed": {"$ne": True}}).sort("_id", ASCENDING).to_list()

    assert [d["_id"] for d in found] == [2, 3]


async def test_datetimes_round_trip_tz_aware_at_millisecond_precision(database: Database) -> None:
    now = datetime.now(UTC)
    await database.leases.insert_one({"_id": 1, "at": now})

    lease = await database.leases.find_one({"_id": 1})
    assert lease is not None
    stored = lease["at"]

    assert stored.tzinfo is not None
    assert stored.utcoffset() == timedelta(0)
    assert stored == ms(now)


async def test_lt_compares_datetimes(database: Database) -> None:
    now = datetime.now(UTC)
    await database.leases.insert_many(
        [
            {"_id": "old", "at": now - timedelta(hours=2)},
            {"_id": "recent", "at": now - timedelta(seconds=1)},
            {"_id": "future", "at": now + timedelta(hours=1)},
        ]
    )

    found = await database.leases.find({"at": {"$lt": now}}).sort("at", ASCENDING).to_list()

    assert [d["_id"] for d in found] == ["old", "recent"]
    assert await database.leases.count_documents({"at": {"$lt": now - timedelta(hours=1)}}) == 1


async def test_or_of_null_expired_and_own_lease_selects_claimable_documents(database: Database) -> None:
    """The outbox relay's claim filter."""
    now = datetime.now(UTC)
    await database.aggs.insert_many(
        [
            {"_id": "free", "outbox_pending": True},
            {
                "_id": "expired",
                "outbox_pending": True,
                "outbox_lease_owner": "r2",
                "outbox_lease_until": now - timedelta(seconds=5),
            },
            {
                "_id": "mine",
                "outbox_pending": True,
                "outbox_lease_owner": "r1",
                "outbox_lease_until": now + timedelta(seconds=30),
            },
            {
                "_id": "taken",
                "outbox_pending": True,
                "outbox_lease_owner": "r2",
                "outbox_lease_until": now + timedelta(seconds=30),
            },
            {"_id": "done", "outbox_pending": False},
        ]
    )

    found = await database.aggs.find(
        {
            "outbox_pending": True,
            "$or": [
                {"outbox_lease_until": None},
                {"outbox_lease_until": {"$lt": now}},
                {"outbox_lease_owner": "r1"},
            ],
        }
    ).to_list()

    assert sorted(d["_id"] for d in found) == ["expired", "free", "mine"]


# ---------------------------------------------------------------------------- find_one_and_update


async def test_find_one_and_update_returns_the_document_after_or_before_the_update(database: Database) -> None:
    await database.aggs.insert_one({"_id": "a1", "n": 1})

    after = await database.aggs.find_one_and_update(
        {"_id": "a1"}, {"$inc": {"n": 1}}, return_document=ReturnDocument.AFTER
    )
    before = await database.aggs.find_one_and_update(
        {"_id": "a1"}, {"$inc": {"n": 1}}, return_document=ReturnDocument.BEFORE
    )

    assert after == {"_id": "a1", "n": 2}
    assert before == {"_id": "a1", "n": 2}
    assert await database.aggs.find_one({"_id": "a1"}) == {"_id": "a1", "n": 3}


async def test_find_one_and_update_with_a_filter_that_matches_nothing_returns_none(database: Database) -> None:
    await database.aggs.insert_one({"_id": "a1", "n": 1})

    for return_document in (ReturnDocument.AFTER, ReturnDocument.BEFORE):
        assert (
            await database.aggs.find_one_and_update(
                {"_id": "a1", "n": 99}, {"$set": {"n": 0}}, return_document=return_document
            )
            is None
        )
    assert await database.aggs.find_one({"_id": "a1"}) == {"_id": "a1", "n": 1}


# ---------------------------------------------------------------------------- find, count, delete


async def _seed_bays(collection: Collection) -> None:
    await collection.insert_many(
        [{"_id": f"b{i}", "lot": "L1" if i % 2 else "L2", "n": i, "outbox": [entry(i)]} for i in range(10)]
    )


async def test_find_with_projection_sort_skip_and_limit(database: Database) -> None:
    await _seed_bays(database.bays)

    page = await database.bays.find({"lot": "L1"}, {"n": 1, "_id": 0}).sort("n", DESCENDING).skip(1).limit(2).to_list()
    without_outbox = await database.bays.find_one({"_id": "b3"}, {"outbox": 0})

    assert page == [{"n": 7}, {"n": 5}]
    assert without_outbox == {"_id": "b3", "lot": "L1", "n": 3}


async def test_find_sorts_on_several_keys(database: Database) -> None:
    await _seed_bays(database.bays)

    found = await database.bays.find({}, {"lot": 1, "n": 1}).sort([("lot", ASCENDING), ("n", DESCENDING)]).to_list()

    assert [d["_id"] for d in found] == ["b9", "b7", "b5", "b3", "b1", "b8", "b6", "b4", "b2", "b0"]


async def test_count_documents_and_delete_many(database: Database) -> None:
    await _seed_bays(database.bays)

    assert await database.bays.count_documents({}) == 10
    assert await database.bays.count_documents({"lot": "L1", "n": {"$gte": 5}}) == 3

    deleted = await database.bays.delete_many({"lot": "L2"})

    assert deleted.deleted_count == 5
    assert await database.bays.count_documents({}) == 5
    assert await database.bays.count_documents({"lot": "L2"}) == 0


# ---------------------------------------------------------------------------- aggregation


async def _seed_bookings(collection: Collection) -> None:
    await collection.insert_many(
        [
            {"_id": 1, "lot": "L1", "status": "confirmed", "price": 10, "tags": ["ev", "covered"]},
            {"_id": 2, "lot": "L1", "status": "confirmed", "price": 20, "tags": ["ev"]},
            {"_id": 3, "lot": "L2", "status": "confirmed", "price": 5, "tags": []},
            {"_id": 4, "lot": "L2", "status": "cancelled", "price": 50, "tags": ["covered"]},
            {"_id": 5, "lot": "L3", "status": "confirmed", "price": 7, "tags": ["covered"]},
        ]
    )


async def aggregate(collection: Collection, pipeline: list[Document]) -> list[Document]:
    return await (await collection.aggregate(pipeline)).to_list()


async def test_aggregate_match_group_with_one_accumulator_sort_limit_project(database: Database) -> None:
    """The subset that works on both servers: one accumulator per $group."""
    await _seed_bookings(database.bookings)

    revenue = await aggregate(
        database.bookings,
        [
            {"$match": {"status": "confirmed"}},
            {"$group": {"_id": "$lot", "revenue": {"$sum": "$price"}}},
            {"$sort": {"revenue": DESCENDING}},
            {"$limit": 2},
            {"$project": {"revenue": 1}},
        ],
    )
    counts = await aggregate(
        database.bookings, [{"$group": {"_id": "$status", "n": {"$count": {}}}}, {"$sort": {"_id": 1}}]
    )
    ones = await aggregate(database.bookings, [{"$group": {"_id": None, "n": {"$sum": 1}}}])

    assert revenue == [{"_id": "L1", "revenue": 30}, {"_id": "L3", "revenue": 7}]
    assert counts == [{"_id": "cancelled", "n": 1}, {"_id": "confirmed", "n": 4}]
    assert ones == [{"_id": None, "n": 5}]


async def test_aggregate_group_computes_every_accumulator(
    database: Database, ferretdb: bool, request: pytest.FixtureRequest
) -> None:
    expect_ferretdb_gap(
        request,
        ferretdb,
        "$group with several accumulators computes only the first; every later one is 0 "
        "(one iterator shared by all accumulators), silently",
    )
    await _seed_bookings(database.bookings)

    groups = await aggregate(
        database.bookings,
        [
            {"$match": {"status": "confirmed"}},
            {"$group": {"_id": "$lot", "revenue": {"$sum": "$price"}, "n": {"$count": {}}, "ones": {"$sum": 1}}},
            {"$sort": {"_id": 1}},
        ],
    )

    assert groups == [
        {"_id": "L1", "revenue": 30, "n": 2, "ones": 2},
        {"_id": "L2", "revenue": 5, "n": 1, "ones": 1},
        {"_id": "L3", "revenue": 7, "n": 1, "ones": 1},
    ]


async def test_aggregate_unwind_then_group_by_the_unwound_value(database: Database) -> None:
    """The subset of $unwind that works on both servers: use only `_id` and the unwound field after it."""
    await _seed_bookings(database.bookings)

    unwound = await aggregate(database.bookings, [{"$unwind": "$tags"}, {"$project": {"tags": 1}}])
    per_tag = await aggregate(
        database.bookings, [{"$unwind": "$tags"}, {"$group": {"_id": "$tags", "n": {"$sum": 1}}}, {"$sort": {"_id": 1}}]
    )

    assert sorted((d["_id"], d["tags"]) for d in unwound) == [
        (1, "covered"),
        (1, "ev"),
        (2, "ev"),
        (4, "covered"),
        (5, "covered"),
    ]
    assert per_tag == [{"_id": "covered", "n": 3}, {"_id": "ev", "n": 2}]


async def test_aggregate_unwind_keeps_the_other_fields(
    database: Database, ferretdb: bool, request: pytest.FixtureRequest
) -> None:
    expect_ferretdb_gap(
        request,
        ferretdb,
        "$unwind outputs only {_id, <unwound field>} and drops every other field, silently",
    )
    await _seed_bookings(database.bookings)

    unwound = await aggregate(
        database.bookings,
        [{"$match": {"_id": 1}}, {"$unwind": "$tags"}, {"$project": {"_id": 0, "lot": 1, "price": 1, "tags": 1}}],
    )

    assert sorted(unwound, key=lambda d: d["tags"]) == [
        {"lot": "L1", "price": 10, "tags": "covered"},
        {"lot": "L1", "price": 10, "tags": "ev"},
    ]


# ---------------------------------------------------------------------------- what FerretDB lacks

UNSUPPORTED: dict[str, Callable[[Database], Awaitable[Any]]] = {
    "aggregate $lookup": lambda db: db.bookings.aggregate(
        [{"$lookup": {"from": "lots", "localField": "lot", "foreignField": "_id", "as": "lot_doc"}}]
    ),
    "aggregate $facet": lambda db: db.bookings.aggregate([{"$facet": {"all": [{"$match": {}}]}}]),
    "aggregate $replaceRoot": lambda db: db.bookings.aggregate([{"$replaceRoot": {"newRoot": {"a": 1}}}]),
    "aggregate $sortByCount": lambda db: db.bookings.aggregate([{"$sortByCount": "$lot"}]),
    "aggregate $out": lambda db: db.bookings.aggregate([{"$out": "copy"}]),
    "aggregate $merge": lambda db: db.bookings.aggregate([{"$merge": "copy"}]),
    "$group $max": lambda db: db.bookings.aggregate([{"$group": {"_id": None, "m": {"$max": "$price"}}}]),
    "$group $min": lambda db: db.bookings.aggregate([{"$group": {"_id": None, "m": {"$min": "$price"}}}]),
    "$group $avg": lambda db: db.bookings.aggregate([{"$group": {"_id": None, "m": {"$avg": "$price"}}}]),
    "$group $first": lambda db: db.bookings.aggregate([{"$group": {"_id": None, "m": {"$first": "$price"}}}]),
    "$group $push": lambda db: db.bookings.aggregate([{"$group": {"_id": None, "m": {"$push": "$price"}}}]),
    "$group $addToSet": lambda db: db.bookings.aggregate([{"$group": {"_id": None, "m": {"$addToSet": "$lot"}}}]),
    "$project expression": lambda db: db.bookings.aggregate([{"$project": {"double": {"$multiply": ["$price", 2]}}}]),
    "arrayFilters": lambda db: db.bookings.update_one(
        {"_id": 1}, {"$set": {"items.$[i].done": True}}, array_filters=[{"i.n": 1}]
    ),
    "findAndModify projection": lambda db: db.bookings.find_one_and_update(
        {"_id": 1}, {"$set": {"x": 1}}, projection={"x": 1}
    ),
    "partial index": lambda db: db.bookings.create_index(
        "code", unique=True, partialFilterExpression={"code": {"$exists": True}}
    ),
    "TTL index": lambda db: db.bookings.create_index("at", expireAfterSeconds=60),
    "change stream": lambda db: db.bookings.watch(),
}


@pytest.mark.parametrize("feature", list(UNSUPPORTED))
async def test_ferretdb_rejects_unsupported_feature(database: Database, ferretdb: bool, feature: str) -> None:
    only_on_ferretdb(ferretdb)
    await database.bookings.insert_one({"_id": 1, "lot": "L1", "price": 10, "items": [{"n": 1}]})

    with pytest.raises(OperationFailure) as caught:
        await UNSUPPORTED[feature](database)

    assert caught.value.code == 238, caught.value  # NotImplemented


async def test_ferretdb_rejects_transactions(
    database: Database, mongo_client: AsyncMongoClient[Document], ferretdb: bool
) -> None:
    only_on_ferretdb(ferretdb)

    async with mongo_client.start_session() as session:
        await session.start_transaction()
        with pytest.raises(OperationFailure, match="startTransaction"):
            await database.bookings.insert_one({"_id": 1}, session=session)


async def test_ferretdb_rejects_nested_arrays(database: Database, ferretdb: bool) -> None:
    only_on_ferretdb(ferretdb)

    with pytest.raises(WriteError, match="nested arrays are not supported") as caught:
        await database.aggs.insert_one({"_id": "a1", "headers": [["content-type", "application/json"]]})

    assert caught.value.code == 2


async def test_ferretdb_silently_ignores_push_slice_position_and_sort(database: Database, ferretdb: bool) -> None:
    """No error, and the modifiers are not applied: never use them."""
    only_on_ferretdb(ferretdb)
    await database.aggs.insert_one({"_id": "a1", "items": [3, 1, 2]})

    result = await database.aggs.update_one(
        {"_id": "a1"}, {"$push": {"items": {"$each": [0], "$sort": 1, "$slice": 2, "$position": 0}}}
    )

    assert result.modified_count == 1
    a1 = await database.aggs.find_one({"_id": "a1"})
    assert a1 is not None
    assert a1["items"] == [3, 1, 2, 0]


# ---------------------------------------------------------------------------- projection version guard


async def test_projection_first_apply_creates_the_document(database: Database) -> None:
    projection = Projection(database.views)

    assert await projection.apply("bk1", 1, {"status": "held"}) is True
    assert await database.views.find_one({"_id": "bk1"}) == {"_id": "bk1", "status": "held", SEQ_FIELD: 1}


async def test_projection_applies_a_newer_sequence_and_ignores_the_same_or_older(database: Database) -> None:
    projection = Projection(database.views)
    await projection.apply("bk1", 1, {"status": "held"})

    assert await projection.apply("bk1", 3, {"status": "confirmed"}) is True
    assert await projection.apply("bk1", 3, {"status": "confirmed-again"}) is False
    assert await projection.apply("bk1", 2, {"status": "stale"}) is False
    assert await database.views.find_one({"_id": "bk1"}) == {"_id": "bk1", "status": "confirmed", SEQ_FIELD: 3}


async def test_projection_replay_leaves_the_document_unchanged(database: Database) -> None:
    projection = Projection(database.views)
    events = [(seq, {"status": f"s{seq}", f"f{seq}": seq}) for seq in range(1, 6)]
    for seq, fields in events:
        await projection.apply("bk1", seq, fields)
    before = await database.views.find_one({"_id": "bk1"})

    replayed = [await projection.apply("bk1", seq, fields) for seq, fields in random.sample(events, len(events))]

    assert replayed == [False] * len(events)
    assert await database.views.find_one({"_id": "bk1"}) == before
    assert before is not None
    assert (before["status"], before[SEQ_FIELD]) == ("s5", 5)


async def test_projection_tombstone_hides_the_document_and_keeps_the_guard(database: Database) -> None:
    projection = Projection(database.views)
    await projection.apply("bk1", 1, {"status": "held"})

    assert await projection.remove("bk1", 2) is True
    assert await projection.apply("bk1", 1, {"status": "held"}) is False
    assert await projection.get("bk1") is None
    assert await projection.apply("bk1", 3, {"status": "held", "_removed": False}) is True
    assert await projection.get("bk1") == {"_id": "bk1", "status": "held", "_removed": False, SEQ_FIELD: 3}


async def test_projection_20_concurrent_shuffled_applies_end_at_the_newest(
    database: Database, mongodb_uri: str, ferretdb: bool, request: pytest.FixtureRequest
) -> None:
    sequences = random.sample(range(1, 21), 20)

    async with separate_clients(mongodb_uri, 20) as clients:
        applied = await asyncio.gather(
            *(
                Projection(same_collection(client, database.views)).apply("bk1", seq, {"status": f"s{seq}"})
                for client, seq in zip(clients, sequences, strict=True)
            )
        )

    assert await database.views.find_one({"_id": "bk1"}) == {"_id": "bk1", "status": "s20", SEQ_FIELD: 20}
    assert applied[sequences.index(20)] is True


# ---------------------------------------------------------------------------- idempotency records


async def test_idempotency_begin_twice_returns_the_existing_record(database: Database) -> None:
    records = IdempotencyRecords(database.idempotency)

    assert await records.begin("r1", "fp-a") is None
    again = await records.begin("r1", "fp-a")
    other_body = await records.begin("r1", "fp-b")

    assert again is not None
    assert (again["_id"], again["fingerprint"], again["state"]) == ("r1", "fp-a", "in_progress")
    assert again["started_at"].tzinfo is not None
    assert other_body is not None
    assert other_body["fingerprint"] == "fp-a"


async def test_idempotency_completed_record_is_returned_for_replay(database: Database) -> None:
    records = IdempotencyRecords(database.idempotency)
    await records.begin("r1", "fp-a")
    await records.complete("r1", 201, [(b"content-type", b"application/json")], b'{"id": "bk1"}')

    done = await records.begin("r1", "fp-a")

    assert done is not None
    assert (done["state"], done["status"]) == ("done", 201)
    assert done["headers"] == [{"name": "content-type", "value": "application/json"}]


async def test_idempotency_20_concurrent_begins_claim_the_key_once(database: Database, mongodb_uri: str) -> None:
    async with separate_clients(mongodb_uri, 20) as clients:
        outcomes = await asyncio.gather(
            *(IdempotencyRecords(same_collection(client, database.idempotency)).begin("r1", "fp") for client in clients)
        )

    assert sum(outcome is None for outcome in outcomes) == 1
    assert await database.idempotency.count_documents({}) == 1


async def test_idempotency_stale_in_progress_record_is_taken_over(database: Database) -> None:
    records = IdempotencyRecords(database.idempotency, stale_after=timedelta(seconds=60))
    await records.begin("r1", "fp-a")
    await database.idempotency.update_one(
        {"_id": "r1"}, {"$set": {"started_at": datetime.now(UTC) - timedelta(minutes=5)}}
    )

    assert await records.begin("r1", "fp-b") is not None  # another body never takes over
    assert await records.begin("r1", "fp-a") is None
    assert await records.begin("r1", "fp-a") is not None  # taken over just now: no longer stale


async def test_idempotency_sweep_deletes_only_records_older_than_the_window(database: Database) -> None:
    records = IdempotencyRecords(database.idempotency)
    for record_id in ("old1", "old2", "fresh"):
        await records.begin(record_id, "fp")
    await database.idempotency.update_many(
        {"_id": {"$in": ["old1", "old2"]}}, {"$set": {"started_at": datetime.now(UTC) - timedelta(hours=25)}}
    )

    assert await records.sweep(timedelta(hours=24)) == 2
    assert [d["_id"] async for d in database.idempotency.find({})] == ["fresh"]
    assert await records.sweep(timedelta(hours=24)) == 0
