"""`Idempotency-Key` on POST: same key and body → same answer, no second effect.

The first request with a key records itself as in progress (a unique `_id` insert
decides the race), runs, and stores its response; a repeat with the same body gets
that response again (`Idempotent-Replayed: true`); a repeat with another body is 422;
a repeat while the first is still running is 409. A record left in progress by a
crash is taken over after `stale_after`, which is safe because commands derive their
aggregate ids from the key (see `command_id`), so a second run finds the first's work.

A route whose answer is kept by the aggregate its command creates (`answer_kept`: the
aggregate's own insert stored it, `parkgrid.outbox.MongoAggregateStore.create`) leaves its
record in progress and saves the write that would store the answer twice. A repeat of it
finds that answer through `kept` (by path, caller and key, as the route derived the id)
before anything else, and is answered with it exactly as from a record.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from pymongo.errors import DuplicateKeyError
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from parkgrid.http.middleware import header, send_problem
from parkgrid.http.problems import Conflict, InvalidInput, Problem
from parkgrid.store import Collection, Inserts

IDEMPOTENCY_HEADER = "idempotency-key"
_KEPT_HEADERS = {b"content-type", b"location", b"etag"}
_NAMESPACE = uuid.UUID("0b6c2f3e-8e0e-4a43-9a7b-5d1d9c0a7e11")
KEPT = "idempotency_answer_kept"
"""The scope state flag a route sets when its answer is kept by the aggregate it created."""

KeptAnswers = Callable[[str, str, str], Awaitable[dict[str, Any] | None]]
"""(path, caller, Idempotency-Key) → the answer an aggregate keeps for that request, if any."""


def command_id(scope_key: str, idempotency_key: str | None) -> str:
    """A deterministic id for the aggregate a keyed command creates (random without a key)."""
    if not idempotency_key:
        return str(uuid.uuid4())
    return str(uuid.uuid5(_NAMESPACE, f"{scope_key}\x00{idempotency_key}"))


def stored_answer(status: int, headers: Sequence[tuple[bytes, bytes]], body: bytes) -> dict[str, Any]:
    """An answer as it is kept (in a record, or in an aggregate) and replayed."""
    return {
        "status": status,
        # objects, not [name, value] pairs: FerretDB refuses nested arrays
        "headers": [{"name": k.decode("latin-1"), "value": v.decode("latin-1")} for k, v in headers],
        "body": base64.b64encode(body).decode(),
    }


def json_answer(status: int, model: type[BaseModel], content: Any, headers: dict[str, str]) -> dict[str, Any]:
    """`content` as a route declaring `model` as its response model renders it (FastAPI validates
    and dumps it by alias, Starlette's `JSONResponse` writes it), ready to keep (`stored_answer`)."""
    body = bytes(JSONResponse(model.model_validate(content).model_dump(mode="json", by_alias=True)).body)
    named = [(b"content-type", b"application/json")]
    named += [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]
    return stored_answer(status, named, body)


def response_of(answer: dict[str, Any]) -> Response:
    """The first answer to a request, from what is kept of it."""
    headers = {h["name"]: h["value"] for h in answer["headers"] if h["name"] != "content-type"}
    return Response(base64.b64decode(answer["body"]), answer["status"], headers, media_type="application/json")


def answer_kept(scope: Scope) -> None:
    """Say that this request's answer is kept by the aggregate its command just created, so the
    middleware need not store it again (the route serves `kept` for its path)."""
    scope.setdefault("state", {})[KEPT] = True


class IdempotencyRecords:
    """Stored answers to keyed requests."""

    def __init__(self, collection: Collection, *, stale_after: timedelta = timedelta(seconds=60)) -> None:
        self.collection = collection
        self.inserts = Inserts(collection)
        """Keys claimed at once are claimed by one command (a group commit, `parkgrid.store.Inserts`)."""
        self.stale_after = stale_after

    async def begin(self, record_id: str, fingerprint: str, *, take_over: bool = True) -> dict[str, Any] | None:
        """Claim the key; None if claimed, else the existing record (a replay or a clash).

        With `take_over`, a stale record in progress for the same request is taken over."""
        try:
            await self.inserts.insert(
                {"_id": record_id, "fingerprint": fingerprint, "state": "in_progress", "started_at": datetime.now(UTC)}
            )
            return None
        except DuplicateKeyError:
            pass
        existing = await self.collection.find_one({"_id": record_id})
        if existing is None:
            return await self.begin(record_id, fingerprint, take_over=take_over)
        if take_over and await self.take_over(existing, fingerprint):
            return None
        return existing

    async def take_over(self, existing: dict[str, Any], fingerprint: str) -> bool:
        """Take over a record left in progress for the same request longer than `stale_after`."""
        if existing["state"] != "in_progress" or existing["fingerprint"] != fingerprint:
            return False
        now = datetime.now(UTC)
        taken = await self.collection.update_one(
            {"_id": existing["_id"], "state": "in_progress", "started_at": {"$lt": now - self.stale_after}},
            {"$set": {"started_at": now}},
        )
        return bool(taken.modified_count)

    async def complete(self, record_id: str, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        answer = stored_answer(status, headers, body)
        await self.collection.update_one(
            {"_id": record_id}, {"$set": {"state": "done", **answer, "completed_at": datetime.now(UTC)}}
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
        kept: KeptAnswers | None = None,
    ) -> None:
        self.app = app
        self.records = records
        self.caller = caller
        self.kept = kept

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
        existing = await records.begin(record_id, fingerprint, take_over=False)
        if existing is not None:
            kept = None
            if existing["state"] == "in_progress" and existing["fingerprint"] == fingerprint and self.kept:
                kept = await self.kept(scope["path"], caller, key)
            if kept is not None:
                await self._replay(kept, send)
                return
            if not await records.take_over(existing, fingerprint):
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
        elif scope["state"].get(KEPT):
            pass  # kept by the aggregate the command created: found through `kept` by a repeat
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
            await self._replay(existing, send)
            return
        await send_problem(send, problem, scope["path"])

    @staticmethod
    async def _replay(answer: dict[str, Any], send: Send) -> None:
        body = base64.b64decode(answer["body"])
        headers = [(h["name"].encode("latin-1"), h["value"].encode("latin-1")) for h in answer["headers"]]
        headers += [(b"idempotent-replayed", b"true"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": answer["status"], "headers": headers})
        await send({"type": "http.response.body", "body": body})
