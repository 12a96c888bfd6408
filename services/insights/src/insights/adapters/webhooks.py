"""Webhooks in insights' store (endpoints, deliveries with their attempts) and the HTTP sender.

A delivery is written once by id (derived from the event and the endpoint: a duplicate insert is
a redelivered event), taken by one worker at a time through a conditional update on its `claims`
counter (a lease: past `lease_until` another worker may take it over), and settled only by the
worker holding the current claim, so a worker that outlived its lease cannot overwrite the
outcome of the one that took over.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import BulkWriteError

from insights.adapters.sealing import Sealer
from insights.domain import erasure
from insights.domain.webhooks import DeliveryStatus, address_refusal, signed_headers
from insights.settings import DEVELOPMENT_SEALING_KEY
from parkgrid import paging
from parkgrid.store import Collection, Database, Document, DuplicateKeyError, create_index, find_any

USER_AGENT = "ParkGrid-Webhooks/1"


class WebhookStore:
    """`webhook_endpoints` and `webhook_deliveries` (each delivery carries its attempts).

    Endpoints' secrets are sealed on the way in and unsealed on the way out (`adapters.sealing`):
    the rest of insights only ever sees them readable. Without a `sealer` (tests that do not care),
    the development key seals."""

    def __init__(self, db: Database, sealer: Sealer | None = None) -> None:
        self.endpoints: Collection = db["webhook_endpoints"]
        self.deliveries: Collection = db["webhook_deliveries"]
        self.sealer = sealer or Sealer([DEVELOPMENT_SEALING_KEY])

    async def ensure_indexes(self) -> None:
        await create_index(self.deliveries, [("status", ASCENDING), ("due_at", ASCENDING)])
        await create_index(self.deliveries, [("endpoint_id", ASCENDING), ("created_at", DESCENDING)])

    # --- endpoints ---------------------------------------------------------------------------

    async def add_endpoint(self, endpoint: Document) -> None:
        await self.endpoints.insert_one(self.sealer.sealed(endpoint))

    async def endpoint(self, endpoint_id: str) -> Document | None:
        return self.sealer.unsealed(await self.endpoints.find_one({"_id": endpoint_id}))

    async def endpoint_page(self, limit: int, cursor: str | None) -> tuple[list[Document], str | None]:
        docs, following = await paging.page(self.endpoints, {}, "created_at", limit, cursor, newest_first=True)
        return [self._readable(d) for d in docs], following

    async def enabled_endpoints(self) -> list[Document]:
        return [self._readable(d) async for d in self.endpoints.find({"enabled": True})]

    def _readable(self, doc: Document) -> Document:
        unsealed = self.sealer.unsealed(doc)
        assert unsealed is not None
        return unsealed

    async def change_endpoint(
        self, endpoint_id: str, changes: Document, *, secret_was: str | None = None
    ) -> Document | None:
        """Apply `changes`; with `secret_was`, only while the secret is still that one (a rotation
        keeps the secret it replaced: two rotations at once must not both keep the same one). The
        guard compares the secret's mark (or, stored before sealing, the secret itself)."""
        query: Document = {"_id": endpoint_id}
        if secret_was is not None:
            query["$or"] = [{"secret_mark": self.sealer.mark(secret_was)}, {"secret": secret_was}]
        changed = await self.endpoints.find_one_and_update(
            query, {"$set": self.sealer.sealed(changes)}, return_document=ReturnDocument.AFTER
        )
        return self.sealer.unsealed(changed)

    async def remove_endpoint(self, endpoint_id: str) -> bool:
        return bool((await self.endpoints.delete_one({"_id": endpoint_id})).deleted_count)

    async def delivery_succeeded(self, endpoint_id: str) -> None:
        await self.endpoints.update_one({"_id": endpoint_id}, {"$set": {"consecutive_failed": 0}})

    async def delivery_given_up(self, endpoint_id: str) -> int:
        """Count one more delivery given up in a row; the new count (0 if the endpoint is gone)."""
        found = await self.endpoints.find_one_and_update(
            {"_id": endpoint_id}, {"$inc": {"consecutive_failed": 1}}, return_document=ReturnDocument.AFTER
        )
        return int(found["consecutive_failed"]) if found else 0

    async def disable(self, endpoint_id: str, reason: str, now: datetime) -> bool:
        """Disable an enabled endpoint; False if it was not enabled (another worker did it: one mail)."""
        result = await self.endpoints.update_one(
            {"_id": endpoint_id, "enabled": True},
            {"$set": {"enabled": False, "disabled_reason": reason, "disabled_at": now, "updated_at": now}},
        )
        return bool(result.modified_count)

    # --- deliveries --------------------------------------------------------------------------

    async def forget_person(self, member_id: str, person_id: str) -> int:
        """Take an erased person out of the bodies of their organisation's deliveries; a delivery
        about them alone (they joined or left) goes, sent or not. How many deliveries changed."""
        changed = 0
        async for delivery in self.deliveries.find({"subject": member_id}, {"event_type": 1, "body": 1}):
            if not str(delivery["event_type"]).startswith(erasure.MEMBER_EVENTS):
                continue
            body = erasure.body_without(delivery["body"], person_id)
            if body is None:
                await self.deliveries.delete_one({"_id": delivery["_id"]})
            elif body != delivery["body"]:
                await self.deliveries.update_one({"_id": delivery["_id"]}, {"$set": {"body": body}})
            else:
                continue
            changed += 1
        return changed

    async def enqueue(self, deliveries: list[Document]) -> int:
        """Insert the deliveries not there yet (unordered: duplicates are skipped); how many were new."""
        if not deliveries:
            return 0
        try:
            result = await self.deliveries.insert_many(deliveries, ordered=False)
            return len(result.inserted_ids)
        except BulkWriteError as exc:
            if any(e.get("code") != 11000 for e in exc.details.get("writeErrors", [])):
                raise
            return int(exc.details.get("nInserted", 0))
        except DuplicateKeyError:
            return 0

    async def due(self, now: datetime, limit: int) -> list[Document]:
        """Deliveries due now, and those whose worker's lease ran out (it died mid-send)."""
        filters = [
            {"status": DeliveryStatus.PENDING, "due_at": {"$lte": now}},
            {"status": DeliveryStatus.SENDING, "lease_until": {"$lte": now}},
        ]
        # One query each (`find_any`): the `{status, due_at}` index answers an equality on the
        # status, where an `$or` read every delivery ever made on FerretDB.
        return await find_any(self.deliveries, filters, projection={"attempts": 0}, sort="due_at", limit=limit)

    async def claim(self, seen: Document, now: datetime, lease_until: datetime) -> int | None:
        """Take the delivery for one attempt, in one conditional write: it must still be as `seen`
        (same status and claim count) and due or its lease past. The claim number, or None when
        another worker took it first."""
        claims = int(seen.get("claims", 0))
        due = {"due_at": {"$lte": now}} if seen["status"] == DeliveryStatus.PENDING else {"lease_until": {"$lte": now}}
        guard = {"_id": seen["_id"], "status": seen["status"], "claims": claims, **due}
        update: Document = {
            "$set": {"status": DeliveryStatus.SENDING, "lease_until": lease_until, "claims": claims + 1}
        }
        if seen["status"] == DeliveryStatus.SENDING:  # the previous worker never said how it went
            update["$push"] = {"attempts": {"at": now, "status_code": None, "latency_ms": None, "error": "interrupted"}}
        result = await self.deliveries.update_one(guard, update)
        return claims + 1 if result.modified_count else None

    async def settle(self, delivery_id: str, claim: int, attempt: Document, changes: Document) -> bool:
        """Record the attempt and its outcome, if this worker still holds the claim."""
        guard = {"_id": delivery_id, "status": DeliveryStatus.SENDING, "claims": claim}
        result = await self.deliveries.update_one(guard, {"$set": changes, "$push": {"attempts": attempt}})
        return bool(result.modified_count)

    async def delivery(self, delivery_id: str) -> Document | None:
        return await self.deliveries.find_one({"_id": delivery_id})

    async def delivery_page(
        self, endpoint_id: str, limit: int, cursor: str | None
    ) -> tuple[list[Document], str | None]:
        return await paging.page(
            self.deliveries, {"endpoint_id": endpoint_id}, "created_at", limit, cursor, newest_first=True
        )

    async def deliveries_of(self, endpoint_id: str) -> list[Document]:
        return [d async for d in self.deliveries.find({"endpoint_id": endpoint_id}).sort("created_at", 1)]


@dataclass(frozen=True)
class Sent:
    """One attempt as the receiver answered it: its status (None when it never answered), latency, error."""

    status_code: int | None
    latency_ms: float
    error: str | None


Resolver = Callable[[str, int], Awaitable[list[str]]]
"""A host and port → the addresses they resolve to (the system's resolver; a test's own)."""


async def resolve(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to now, or none when it does not."""
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return []
    return sorted({str(info[4][0]) for info in found})


async def receiver_refusal(url: str, resolver: Resolver = resolve) -> str | None:
    """Why the receiver at `url` is not one ParkGrid sends to (a non-public address), or None."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return address_refusal(host, await resolver(host, port))


class WebhookSender:
    """POSTs a signed delivery with httpx; never follows redirects (a signed body goes where it was told).

    Unless private addresses are allowed (`InsightsSettings.webhooks_reach_private_addresses`), the
    host is resolved before each attempt and a non-public address refuses the attempt (a failed
    one, retried later): DNS may have changed since the endpoint was registered. httpx resolves
    again to connect, so a resolver that answers differently within milliseconds is not caught."""

    def __init__(
        self,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        reach_private: bool = True,
        resolver: Resolver = resolve,
    ) -> None:
        self.client = httpx.AsyncClient(
            timeout=timeout, follow_redirects=False, transport=transport, headers={"user-agent": USER_AGENT}
        )
        self.reach_private = reach_private
        self.resolver = resolver

    async def send(self, url: str, secret: str | Sequence[str], message_id: str, body: str, at: datetime) -> Sent:
        headers = signed_headers(secret, message_id, at, body)
        started = time.perf_counter()
        if not self.reach_private:
            refusal = await receiver_refusal(url, self.resolver)
            if refusal is not None:
                return Sent(None, _since(started), f"not sent: {refusal}")
        try:
            response = await self.client.post(url, content=body.encode(), headers=headers)
        except httpx.HTTPError as exc:
            return Sent(None, _since(started), f"{type(exc).__name__}: {exc}"[:500])
        error = None if 200 <= response.status_code < 300 else response.text[:500]
        return Sent(response.status_code, _since(started), error)

    async def close(self) -> None:
        await self.client.aclose()


def _since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def attempt_record(at: datetime, sent: Sent, worker: str) -> dict[str, Any]:
    return {"at": at, "status_code": sent.status_code, "latency_ms": sent.latency_ms, "error": sent.error, "by": worker}
