"""The one place ParkGrid touches the MongoDB driver's client.

PyMongo's asyncio API (`AsyncMongoClient`) is the maintained successor of motor.
Everything here must work on FerretDB (the local store, SQLite-backed) as well as on
MongoDB: single-document atomicity only, no transactions, no change streams; see
`tests/store_conformance` for the operations the project relies on.
"""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, OperationFailure, PyMongoError

Document = dict[str, Any]
Collection = AsyncCollection[Document]
Database = AsyncDatabase[Document]

__all__ = [
    "Collection",
    "Database",
    "Document",
    "DuplicateKeyError",
    "connect",
    "is_duplicate_key",
    "ping",
]


def connect(
    uri: str, *, app_name: str = "parkgrid", timeout_ms: int = 5_000, socket_timeout_ms: int | None = None
) -> AsyncMongoClient[Document]:
    """A client that connects lazily, so a service can start while the store is down."""
    return AsyncMongoClient(
        uri,
        appname=app_name,
        tz_aware=True,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        socketTimeoutMS=socket_timeout_ms,
        retryWrites=False,  # FerretDB has no retryable writes; our writes are idempotent instead
    )


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
