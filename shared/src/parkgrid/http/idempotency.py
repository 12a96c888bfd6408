"""`Idempotency-Key` on POST: same key and body → same answer, no second effect.

The first request with a key records itself as in progress (a unique `_id` insert
decides the race), runs, and stores its response; a repeat with the same body gets
that response again (`Idempotent-Replayed: true`); a repeat with another body is 422;
a repeat while the first is still running is 409. A record left in progress by a
crash is taken over after `stale_after`, which is safe because commands derive their
aggregate ids from the key (see `command_id`), so a second run finds the first's work.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.errors import DuplicateKeyError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from parkgrid.http.middleware import header, send_problem
from parkgrid.http.problems import Conflict, InvalidInput, Problem
from parkgrid.store import Collection

IDEMPOTENCY_HEADER = "idempotency-key"
_KEPT_HEADERS = {b"content-type", b"location", b"etag"}
_NAMESPACE = uuid.UUID("0b6c2f3e-8e0e-4a43-9a7b-5d1d9c0a7e11")


def command_id(scope_key: str, idempotency_key: str | None) -> str:
    """A deterministic id for the aggregate a keyed command creates (random without a key)."""
    if not idempotency_key:
        return str(uuid.uuid4())
    return str(uuid.uuid5(_NAMESPACE, f"{scope_key}\x00{idempotency_key}"))


class IdempotencyRecords:
    """Stored answers to keyed requests."""

    def __init__(self, collection: Collection, *, stale_after: timedelta = timedelta(seconds=60)) -> None:
        self.collection = collection
        self.stale_after = stale_after

    async def begin(self, record_id: str, fingerprint: str) -> dict[str, Any] | None:
        """Claim the key; None if claimed, else the existing record (a replay or a clash)."""
        now = datetime.now(UTC)
        try:
            await self.collection.insert_one(
                {"_id": record_id, "fingerprint": fingerprint, "state": "in_progress", "started_at": now}
            )
            return None
        except DuplicateKeyError:
            pass
        existing = await self.collection.find_one({"_id": record_id})
        if existing is None:
            return await self.begin(record_id, fingerprint)
        if existing["state"] == "in_progress" and existing["fingerprint"] == fingerprint:
            taken = await self.collection.update_one(
                {"_id": record_id, "state": "in_progress", "started_at": {"$lt": now - self.stale_after}},
                {"$set": {"started_at": now}},
            )
            if taken.modified_count:
                return None
        return existing

    async def complete(self, record_id: str, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        await self.collection.update_one(
            {"_id": record_id},
            {
                "$set": {
                    "state": "done",
                    "status": status,
                    # objects, not [name, value] pairs: FerretDB refuses nested arrays
                    "headers": [{"name": k.decode("latin-1"), "value": v.decode("latin-1")} for k, v in headers],
                    "body": base64.b64encode(body).decode(),
                    "completed_at": datetime.now(UTC),
                }
            },
        )

    async def abandon(self, record_id: str) -> None:
        """Forget a key whose request failed on the server side, so the client may retry."""
        await self.collection.delete_one({"_id": record_id, "state": "in_progress"})

    async def sweep(self, older_than: timedelta) -> int:
        """Delete records older than the replay window (FerretDB has no TTL indexes)."""
        result = await self.collection.delete_many({"started_at": {"$lt": datetime.now(UTC) - older_than}})
        return result.deleted_count


class IdempotencyMiddleware:
    """Applies `IdempotencyRecords` to every POST that carries an `Idempotency-Key`."""

    def __init__(
        self,
        app: ASGIApp,
        records: Callable[[], IdempotencyRecords | None],
        caller: Callable[[Scope], Awaitable[str]],
    ) -> None:
        self.app = app
        self.records = records
        self.caller = caller

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = header(scope, IDEMPOTENCY_HEADER) if scope["type"] == "http" else None
        records = self.records() if key else None
        if key is None or records is None or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        if not 1 <= len(key) <= 200:
            await send_problem(
                send,
                InvalidInput("Idempotency-Key must be 1 to 200 characters", field="Idempotency-Key"),
                scope["path"],
            )
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        caller = await self.caller(scope)
        scope.setdefault("state", {})["idempotency_scope"] = caller
        fingerprint = hashlib.sha256(
            b"\x00".join([scope["method"].encode(), scope["path"].encode(), scope.get("query_string", b""), body])
        ).hexdigest()
        record_id = hashlib.sha256(f"{caller}\x00{key}".encode()).hexdigest()
        existing = await records.begin(record_id, fingerprint)
        if existing is not None:
            await self._answer_repeat(existing, fingerprint, scope, send)
            return

        replayed = False

        async def replay_body() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        captured: dict[str, Any] = {"status": 500, "headers": [], "body": b""}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = [(k, v) for k, v in message.get("headers", []) if k.lower() in _KEPT_HEADERS]
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
            await send(message)

        try:
            await self.app(scope, replay_body, capture)
        except BaseException:
            await records.abandon(record_id)
            raise
        if captured["status"] >= 500:
            await records.abandon(record_id)
        else:
            await records.complete(record_id, captured["status"], captured["headers"], captured["body"])

    async def _answer_repeat(self, existing: dict[str, Any], fingerprint: str, scope: Scope, send: Send) -> None:
        problem: Problem
        if existing["fingerprint"] != fingerprint:
            problem = InvalidInput(
                "this Idempotency-Key was used with a different request body", field="Idempotency-Key"
            )
        elif existing["state"] != "done":
            problem = Conflict("a request with this Idempotency-Key is still being processed; retry shortly")
        else:
            body = base64.b64decode(existing["body"])
            headers = [(h["name"].encode("latin-1"), h["value"].encode("latin-1")) for h in existing["headers"]]
            headers += [(b"idempotent-replayed", b"true"), (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": existing["status"], "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await send_problem(send, problem, scope["path"])
