"""`parkgrid.store.find_any`: what `{"$or": filters}` finds, one query per filter, over the real store.

FerretDB (SQLite) answers an equality on an indexed field from its index (use-indexes.patch) but
reads every document for `$or` or `$in`; the periodic jobs that look for rows in some states
among a history that keeps growing (bookings to settle, mail to send, webhook deliveries) ask
with `find_any` instead. Each answer here is compared with the `$or` query's own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pymongo import ASCENDING

from parkgrid.store import Database, Document, create_index, find_any

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
STATES = ("sent", "queued", "failed", "given_up")


async def rows(database: Database) -> list[Document]:
    collection = database["rows"]
    await create_index(collection, [("status", ASCENDING), ("due_at", ASCENDING)])
    docs = [
        {"_id": f"r{i:02d}", "status": STATES[i % 4], "due_at": NOW + timedelta(minutes=(i * 7) % 30 - 15), "n": i}
        for i in range(40)
    ]
    await collection.insert_many(docs)
    return docs


async def test_it_finds_what_the_or_finds_soonest_first_within_the_limit(database: Database) -> None:
    await rows(database)
    collection = database["rows"]
    filters: list[Document] = [
        {"status": "queued", "due_at": {"$lte": NOW}},
        {"status": "failed", "due_at": {"$lte": NOW}},
        {"status": "queued", "n": {"$lt": 10}},  # overlaps the first: each document comes once
    ]
    by_or = await collection.find({"$or": filters}).sort([("due_at", 1), ("_id", 1)]).to_list()
    assert len(by_or) > 8

    for limit in (1, 5, 8, len(by_or), 100):
        found = await find_any(collection, filters, sort="due_at", limit=limit)
        assert [d["_id"] for d in found] == [d["_id"] for d in by_or[:limit]], limit
    projected = await find_any(collection, filters, projection={"n": 0}, sort="due_at", limit=3)
    assert all("n" not in d and "status" in d for d in projected)


async def test_without_a_sort_it_takes_the_filters_in_turn(database: Database) -> None:
    docs = await rows(database)
    collection = database["rows"]
    queued = sorted(d["_id"] for d in docs if d["status"] == "queued")
    failed = sorted(d["_id"] for d in docs if d["status"] == "failed")

    both = await find_any(collection, [{"status": "queued"}, {"status": "failed"}], limit=100)
    assert sorted(d["_id"] for d in both) == sorted(queued + failed)
    assert {d["status"] for d in both[: len(queued)]} == {"queued"}
    first = await find_any(collection, [{"status": "queued"}, {"status": "failed"}], limit=len(queued) + 2)
    assert len(first) == len(queued) + 2
    assert await find_any(collection, [{"status": "none"}], limit=5) == []
    assert await find_any(collection, [], limit=5) == []
