"""Store conformance: a document comes back as it was stored, every type and every odd key, also
after FerretDB has decoded and re-encoded it for an update.

The project's FerretDB build splits stored documents into their fields and writes strings and
keys without encoding/json where it can (deploy/local/ferretdb/fast-documents.patch); what it
cannot take as it is goes through encoding/json as before. These tests hold both paths to what
MongoDB does: the values, their types and the order of the keys, for a document with a few
hundred fields (a session's places) as for a small one; and the stored JSON of a string is the
same whichever path wrote it, since an equality filter compares it as text (use-indexes.patch).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from bson import Binary, Int64, ObjectId, Regex

from parkgrid.store import Database, Document

STRINGS = [
    "",
    "plain",
    "bk-000000000000000000000001/1",
    'a "quoted" word',
    "back\\slash",
    "<b>&amp;</b>",
    "tab\there\nnewline\r",
    "\x7f delete",
    "café, garçon, Ünïcödé",
    "مرحبا",
    "日本語",
    "emoji 🙂",
    "line\u2028separator\u2029",
]

KEYS = ["plain", "with space", "é-key", 'quote"key', "back\\key", "<tag>&", "日本", "🙂"]


def every_type() -> Document:
    moment = datetime(2026, 12, 6, 21, 0, 0, 123000, tzinfo=UTC)
    return {
        "_id": "every-type",
        "strings": STRINGS,
        "by_key": {key: i for i, key in enumerate(KEYS)},
        "int": 7,
        "negative": -2147483648,
        "long": Int64(2**40),
        "large": 9223372036854775807,
        "double": 1.5,
        "tiny": 1e-300,
        "huge": -1.7976931348623157e308,
        "whole_double": 3.0,
        "true": True,
        "false": False,
        "none": None,
        "when": moment,
        "oid": ObjectId("65a1b2c3d4e5f60718293a4b"),
        "bytes": Binary(b"\x00\x01\xfe\xff"),
        "uuid_like": Binary(b"0123456789abcdef", 4),
        "pattern": Regex("^mb-[0-9]+$", "i"),
        "empty_doc": {},
        "empty_list": [],
        "nested": {"level": {"deeper": {"deepest": ["a", 1, {"x": None}]}}},
        "mixed": [1, "two", 3.5, True, None, moment, {"k": "v", "empty": []}],  # no array in an array: FerretDB 1.24
        "outbox": [{"id": f"ev-{i}", "topic": "bookings.booking", "payload": {"n": i}} for i in range(5)],
    }


def normalised(value: Any) -> Any:
    """What a document is worth comparing: regexes by pattern and flags, bytes by value."""
    if isinstance(value, dict):
        return {k: normalised(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalised(v) for v in value]
    if isinstance(value, Regex | re.Pattern):
        return ("regex", value.pattern, value.flags)
    if isinstance(value, Binary):
        return ("binary", bytes(value), value.subtype)
    if isinstance(value, bytes):
        return ("binary", value, 0)
    return value


def key_order(value: Any) -> Any:
    """Every object's keys, in order, all the way down."""
    if isinstance(value, dict):
        return [(k, key_order(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [key_order(v) for v in value]
    return None


async def test_every_type_and_odd_key_comes_back_as_stored_and_after_an_update(database: Database) -> None:
    collection = database["documents"]
    doc = every_type()
    await collection.insert_one(doc)

    stored = await collection.find_one({"_id": doc["_id"]})
    assert stored is not None
    assert normalised(stored) == normalised(doc)
    assert key_order(stored) == key_order(doc)
    assert [type(stored[k]) for k in ("int", "double", "whole_double")] == [int, float, float]

    # An update of one field decodes and re-encodes all the others.
    await collection.update_one({"_id": doc["_id"]}, {"$inc": {"int": 1}, "$set": {"by_key.added": "x"}})
    updated = await collection.find_one({"_id": doc["_id"]})
    assert updated is not None
    expected = every_type() | {"int": 8}
    expected["by_key"] = expected["by_key"] | {"added": "x"}
    assert normalised(updated) == normalised(expected)
    assert key_order(updated) == key_order(expected)


async def test_a_session_of_200_places_keeps_every_place_in_order_through_guarded_updates(database: Database) -> None:
    sessions = database["sessions"]
    places = {f"pl_mb-{m:04d}": f"bk-{m:024d}/1" for m in range(200)}
    await sessions.insert_one({"_id": "s1", "taken": 200, "places": places})

    for m in range(200, 210):
        key = f"places.pl_mb-{m:04d}"
        taken = await sessions.update_one(
            {"_id": "s1", "taken": {"$lte": 1000}, key: {"$exists": False}},
            {"$inc": {"taken": 1}, "$set": {key: f"bk-{m:024d}/1"}},
        )
        assert taken.matched_count == 1
        again = await sessions.update_one(
            {"_id": "s1", key: {"$exists": False}}, {"$inc": {"taken": 1}, "$set": {key: "another"}}
        )
        assert again.matched_count == 0  # the member's place is there: the guard holds

    session = await sessions.find_one({"_id": "s1"})
    assert session is not None
    assert session["taken"] == 210
    assert list(session["places"].items()) == [(f"pl_mb-{m:04d}", f"bk-{m:024d}/1") for m in range(210)]


async def test_an_equality_finds_each_string_whichever_way_it_was_written(database: Database) -> None:
    """Inserted, then rewritten by an update of another field: the stored JSON of each string is
    the same text, so the equality on it (compared as text on FerretDB) finds it both times."""
    collection = database["strings"]
    await collection.create_index([("value", 1)])
    await collection.insert_many([{"_id": f"s{i}", "value": s, "n": 0} for i, s in enumerate(STRINGS)])
    for i, s in enumerate(STRINGS):
        assert [d["_id"] async for d in collection.find({"value": s})] == [f"s{i}"], s
    await collection.update_many({}, {"$inc": {"n": 1}})
    for i, s in enumerate(STRINGS):
        assert [d["_id"] async for d in collection.find({"value": s, "n": 1})] == [f"s{i}"], s
