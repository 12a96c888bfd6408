"""Cursor pagination over one sort key and the id (stable under inserts, no skip/offset).

The cursor is opaque to clients: the list's sort key, the last value and the last id,
base64url'd. A cursor of another list, or one this service never gave, is a 422 on `cursor`.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING

from parkgrid.refusals import Refusal, Refused
from parkgrid.store import Collection, Document


class BadCursor(Refused):
    def __init__(self, detail: str) -> None:
        super().__init__(Refusal.INVALID, detail, field="cursor")


def encode(key: str, value: Any, last_id: str) -> str:
    encoded = {"t": "dt", "v": value.isoformat()} if isinstance(value, datetime) else {"t": "raw", "v": value}
    raw = json.dumps([key, encoded, last_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(key: str, cursor: str) -> tuple[Any, str]:
    try:
        cursor_key, encoded, last_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        value = datetime.fromisoformat(encoded["v"]) if encoded["t"] == "dt" else encoded["v"]
    except (ValueError, TypeError, KeyError):
        raise BadCursor("the cursor is not one this service gave") from None
    if cursor_key != key or not isinstance(last_id, str):
        raise BadCursor("the cursor belongs to another list")
    return value, last_id


def after(query: Document, key: str, cursor: str | None, *, newest_first: bool = False) -> Document:
    """`query` narrowed to what comes after the cursor in ascending (key, _id) order (descending
    when `newest_first`)."""
    if not cursor:
        return query
    value, last_id = decode(_listed(key, newest_first), cursor)
    beyond = "$lt" if newest_first else "$gt"
    return {"$and": [query, {"$or": [{key: {beyond: value}}, {key: value, "_id": {beyond: last_id}}]}]}


def _listed(key: str, newest_first: bool) -> str:
    """The name a cursor carries: the key, marked `-` when newest first, so that a cursor of one
    order is refused by the other (it would skip or repeat a page there)."""
    return f"-{key}" if newest_first else key


def next_cursor(
    docs: list[Document], key: str, limit: int, *, newest_first: bool = False
) -> tuple[list[Document], str | None]:
    """The page (at most `limit` of `docs`, fetched with limit + 1) and the cursor of the next, if any."""
    if len(docs) <= limit:
        return docs, None
    last = docs[limit - 1]
    return docs[:limit], encode(_listed(key, newest_first), last.get(key), last["_id"])


async def page(
    collection: Collection, query: Document, key: str, limit: int, cursor: str | None, *, newest_first: bool = False
) -> tuple[list[Document], str | None]:
    """One page in ascending (key, _id) order (descending when `newest_first`) and the cursor of
    the next (None at the end)."""
    query = after(query, key, cursor, newest_first=newest_first)
    order = DESCENDING if newest_first else ASCENDING
    docs = await collection.find(query, {"outbox": 0}).sort([(key, order), ("_id", order)]).limit(limit + 1).to_list()
    return next_cursor(docs, key, limit, newest_first=newest_first)
