"""The one place ParkGrid touches the MongoDB driver's client.

PyMongo's asyncio API (`AsyncMongoClient`) is the maintained successor of motor.
Everything here must work on FerretDB (the local store, SQLite-backed) as well as on
MongoDB: single-document atomicity only, no transactions, no change streams; see
`tests/store_conformance` for the operations the project relies on.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar
from urllib.parse import parse_qsl, urlsplit

from pymongo import ASCENDING, AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure, PyMongoError, WriteError

from parkgrid.metrics import StoreCommands

Document = dict[str, Any]
Collection = AsyncCollection[Document]
Database = AsyncDatabase[Document]
A = TypeVar("A")
R = TypeVar("R")

__all__ = [
    "EARLIEST",
    "Collection",
    "Database",
    "Document",
    "DuplicateKeyError",
    "Inserts",
    "Reads",
    "before",
    "connect",
    "create_index",
    "find_any",
    "is_duplicate_key",
    "ping",
]


def connect(
    uri: str,
    *,
    app_name: str = "parkgrid",
    timeout_ms: int = 5_000,
    socket_timeout_ms: int | None = None,
    counted: bool = True,
) -> AsyncMongoClient[Document]:
    """A client that connects lazily, so a service can start while the store is down.

    The URI has the last word on every driver setting it names: `app_name` and the timeouts are
    only defaults for a URI that says nothing of them, and `retryWrites` is the driver's default
    (true) unless the URI says otherwise. FerretDB has no retryable writes, so the local URIs
    carry `?retryWrites=false` (KitSettings' default, the test infrastructure's); a production
    MongoDB's URI gets what it asks for. A `counted` client adds its commands to
    `parkgrid_store_commands_total` (the health probe's client is not: its pings are no work)."""
    given = uri_options(uri)
    defaults: dict[str, Any] = {
        "appname": app_name,
        "serverSelectionTimeoutMS": timeout_ms,
        "connectTimeoutMS": timeout_ms,
        "socketTimeoutMS": socket_timeout_ms,
    }
    options = {k: v for k, v in defaults.items() if k.lower() not in given}
    listeners = [StoreCommands()] if counted else []
    return AsyncMongoClient(uri, tz_aware=True, event_listeners=listeners, **options)


def uri_options(uri: str) -> set[str]:
    """The (lower-cased) names of the options a MongoDB connection string sets."""
    return {name.lower() for name, _ in parse_qsl(urlsplit(uri).query, keep_blank_values=True)}


async def ping(client: AsyncMongoClient[Document]) -> None:
    await client.admin.command("ping")


def is_duplicate_key(exc: PyMongoError) -> bool:
    """True for a unique-index violation, however the server reports it.

    MongoDB raises E11000 (`DuplicateKeyError`); FerretDB 1.24 reports a violation
    caused by an *update* as a generic error, so the message is checked too.
    """
    if isinstance(exc, DuplicateKeyError):
        return True
    if isinstance(exc, OperationFailure):
        message = str(exc).lower()
        return exc.code == 11000 or "duplicate key" in message or "unique constraint failed" in message
    return False


class _Together(Generic[A, R]):
    """Requests of one kind from this process, sent together when they meet: a group commit.

    While one is under way, those asked for meanwhile wait for it and go as the next command, all
    of them; a lone request goes at once. Under a rush, k requests cost the store one command (a
    round trip, and on FerretDB one handler pass) instead of k; at rest nothing waits.

    Each caller gets its own answer or error. A caller cancelled while it waits takes its request
    out; one cancelled while its batch is sent does not stop the others' (its own request may then
    be carried out, as a lone command cancelled in flight may be)."""

    def __init__(self) -> None:
        self._waiting: list[tuple[A, asyncio.Future[R]]] = []
        self._turn = asyncio.Lock()

    async def _ask(self, request: A) -> R:
        asked: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((request, asked))
        try:
            async with self._turn:
                if self._waits(asked):  # nobody took it along: send all that wait, this one among them
                    batch, self._waiting = self._waiting, []
                    await asyncio.shield(self._send_all(batch))
            return await asked  # answered, or in a batch a caller cancelled in flight left to finish
        finally:
            if self._waits(asked):  # cancelled before it was sent: it is not
                self._waiting = [(r, f) for r, f in self._waiting if f is not asked]

    def _waits(self, asked: asyncio.Future[R]) -> bool:
        return any(f is asked for _, f in self._waiting)

    async def _send_all(self, batch: list[tuple[A, asyncio.Future[R]]]) -> None:
        try:
            answers = await self._send([request for request, _ in batch])
        except Exception as exc:  # every caller gets what the command raised
            answers = [exc] * len(batch)
        except BaseException:
            for _, asked in batch:
                asked.cancel()
            raise
        for (_, asked), answer in zip(batch, answers, strict=True):
            if asked.done():
                continue
            if isinstance(answer, BaseException):
                asked.set_exception(answer)
            else:
                asked.set_result(answer)
            asked.add_done_callback(_retrieved)  # a caller cancelled in flight never reads its answer

    async def _send(self, requests: list[A]) -> Sequence[R | Exception]:
        """One command for all of `requests`: each one's answer, or the error it alone would raise."""
        raise NotImplementedError


def _retrieved(asked: asyncio.Future[Any]) -> None:
    if not asked.cancelled():
        asked.exception()


class Inserts(_Together[Document, None]):
    """One collection's inserts, sent together when they meet (`_Together`): the documents asked for
    while an insert is under way go as one `insert_many`, unordered, so each is inserted or refused
    alone (a duplicate key refusing only its own; tests/conformance shows FerretDB does so too).
    On FerretDB they are also one transaction instead of k; it serializes its writes anyway
    (deploy/local/ferretdb/serialize-writes.patch), so nothing runs less in parallel than it did.
    Each caller gets None, or the error a lone `insert_one` would have raised (`DuplicateKeyError`
    for a taken unique key)."""

    def __init__(self, collection: Collection) -> None:
        super().__init__()
        self.collection = collection

    async def insert(self, doc: Document) -> None:
        await self._ask(doc)

    async def _send(self, requests: list[Document]) -> Sequence[Exception | None]:
        if len(requests) == 1:
            await self.collection.insert_one(requests[0])
            return [None]
        try:
            await self.collection.insert_many(requests, ordered=False)
        except BulkWriteError as exc:
            refused = {error["index"]: error for error in exc.details.get("writeErrors", [])}
            if exc.details.get("writeConcernErrors") or not refused:
                raise
            return [_write_error(refused[index]) if index in refused else None for index in range(len(requests))]
        return [None] * len(requests)


class Reads(_Together[Any, Document | None]):
    """One collection's reads by `_id`, sent together when they meet (`_Together`): the ids asked for
    while a read is under way go as one `find({_id: {$in: ids}})`, which FerretDB answers from
    its primary key (deploy/local/ferretdb/scalar-filters.patch). Each caller gets the document
    (with `projection`), or None, as its lone `find_one` would have; the batch is sent after each
    caller asked, so a caller reads at least what it wrote before it asked."""

    def __init__(self, collection: Collection, projection: Document | None = None) -> None:
        super().__init__()
        self.collection = collection
        self.projection = projection

    async def get(self, document_id: Any) -> Document | None:
        return await self._ask(document_id)

    async def _send(self, requests: list[Any]) -> Sequence[Document | None]:
        if len(requests) == 1:
            return [await self.collection.find_one({"_id": requests[0]}, self.projection)]
        ids = list(dict.fromkeys(requests))
        found = {doc["_id"]: doc async for doc in self.collection.find({"_id": {"$in": ids}}, self.projection)}
        given: set[int] = set()
        answers: list[Document | None] = []
        for document_id in requests:
            doc = found.get(document_id)
            if doc is not None and id(doc) in given:
                doc = copy.deepcopy(doc)  # an id asked twice: each caller its own document, as find_one gives
            elif doc is not None:
                given.add(id(doc))
            answers.append(doc)
        return answers


def _write_error(error: Document) -> PyMongoError:
    """One document's refusal in an unordered insert, as its lone `insert_one` would have raised it."""
    if error.get("code") == 11000:
        return DuplicateKeyError(error.get("errmsg", "duplicate key"), 11000, error)
    return WriteError(error.get("errmsg", "write error"), error.get("code"), error)


async def create_index(
    collection: Collection,
    keys: list[tuple[str, int]],
    *,
    name: str | None = None,
    unique: bool = False,
    attempts: int = 5,
    retry_after: float = 0.05,
) -> str:
    """`collection.create_index(keys, name=name, unique=unique)`, which may race another creation of
    the same index.

    FerretDB 1.24 answers a `createIndexes` that meets the same index being created meanwhile
    (another process's start, or a collection re-created by a write while a rebuild makes its
    indexes again after a drop) with "SQL logic error: index ... already exists" instead of
    MongoDB's no-op. Then the index is looked up: if it is there with these keys (and as unique,
    or not, as asked), the work was done. The other creation may not have recorded it yet (SQLite
    has the index, FerretDB's list of indexes not yet), so it is asked for again, up to `attempts`
    times, `retry_after` seconds apart and twice that each time (about 1.5 s in all), after which
    the error is raised as it came; so is any other error. Every service's `ensure_indexes` goes
    through here."""
    options: dict[str, Any] = {"unique": True} if unique else {}
    if name:
        options["name"] = name
    wanted = name or "_".join(f"{field}_{direction}" for field, direction in keys)
    attempt = 0
    while True:
        try:
            return await collection.create_index(keys, **options)
        except OperationFailure as exc:
            if "already exists" not in str(exc):
                raise
            found = (await collection.index_information()).get(wanted)
            if found is not None:
                if [tuple(k) for k in found["key"]] != [(f, d) for f, d in keys] or bool(found.get("unique")) != unique:
                    raise  # another index by that name: not ours to take
                return wanted
            if attempt == attempts - 1:
                raise
        await asyncio.sleep(retry_after * 2**attempt)
        attempt += 1


async def find_any(
    collection: Collection,
    filters: Sequence[Document],
    *,
    projection: Document | None = None,
    sort: str | None = None,
    limit: int,
) -> list[Document]:
    """The documents matching any of `filters`, at most `limit`: ascending by the field `sort`
    (then `_id`; every document found must have it) when given, else in the order of the
    filters. What `{"$or": filters}`, or a `$in` on one field, would find.

    One query per filter, because FerretDB (SQLite) pushes an equality on an indexed field down
    to its index (use-indexes.patch) but answers `$or` and `$in` by reading every document of the
    collection. A periodic job that asks "rows in one of these states, due by now" of a table
    that keeps its history (bookings, mail sent, webhook deliveries) thus reads only the rows in
    those states, not every row it ever settled. A document matching two filters comes once."""
    found: dict[Any, Document] = {}
    for filter_ in filters:
        if sort is None and len(found) >= limit:
            break
        cursor = collection.find(filter_, projection)
        if sort is not None:
            cursor = cursor.sort([(sort, ASCENDING), ("_id", ASCENDING)])
        async for doc in cursor.limit(limit):
            found.setdefault(doc["_id"], doc)
    docs = list(found.values())
    if sort is not None:
        docs.sort(key=lambda doc: (doc[sort], doc["_id"]))
    return docs[:limit]


EARLIEST = datetime(2001, 9, 9, 1, 46, 40, tzinfo=UTC)
"""Earlier than any moment the park stores: the first whose milliseconds have 13 digits (10**12)."""


def before(moment: datetime) -> Document:
    """The condition "a moment before `moment`", as a range with both ends: `{"$gte": EARLIEST, "$lt": moment}`.

    Both ends, because FerretDB (our build, use-indexes.patch) reads a date range from an index
    only when it has both: then every date in it has milliseconds of 13 digits, which the index
    orders as numbers. A bare `$lt` reads every row the rest of the filter selects: the settling
    sweep's `{status: "confirmed", ends_at: {"$lt": now}}` read all confirmed bookings, the
    future ones too, 0.5-1 s of the store's CPU every half minute in the bench. MongoDB serves
    either from the index."""
    return {"$gte": EARLIEST, "$lt": moment}
