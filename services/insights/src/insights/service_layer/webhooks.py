"""Webhooks: events become deliveries, deliveries become signed POSTs, retried until they land.

1. `on_event` (the `webhooks` consumer) enqueues one delivery per enabled endpoint that wants
   the event, its id derived from the event and the endpoint: a redelivered Kafka message adds
   nothing. Events older than an endpoint are not sent to it (a new consumer group reading from
   offset 0 must not flood it with the park's past; `replay` is how history is asked for).
2. `deliver` claims due deliveries (a lease, in one conditional write: two insights processes
   never send the same attempt at once), sends each, records the attempt (status, latency,
   error) and marks it delivered, schedules the next try, or gives it up; an endpoint whose
   deliveries are given up `webhook_disable_after` times in a row is disabled and its owner is
   mailed through the mailer's sent-log (once, by a conditional disable).
3. `replay` re-enqueues an endpoint's events from the fact log since any moment, under a replay
   id (from the Idempotency-Key), so the same replay asked twice enqueues once.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from insights.adapters.mail import Mail, SentLog, Templates
from insights.adapters.projection import InsightsStore, aware, fact_document
from insights.adapters.webhooks import Resolver, WebhookSender, WebhookStore, attempt_record, receiver_refusal, resolve
from insights.domain.erasure import ERASED
from insights.domain.webhooks import (
    DeliveryStatus,
    Schedule,
    delivery_id,
    event_body,
    new_secret,
    should_disable,
    signing_secrets,
    site_of,
    succeeded,
    url_refusal,
    wants,
)
from insights.service_layer.rounds import Rounds
from insights.settings import InsightsSettings
from parkgrid.clock import utc_now
from parkgrid.consumer import Delivery
from parkgrid.logging import get_logger
from parkgrid.refusals import Refused
from parkgrid.store import Document

log = get_logger(__name__)

BATCH = 20
REPLAY_BATCH = 500
DISABLED_MAIL = "webhook_disabled"


ENDPOINTS_FRESH = timedelta(seconds=2)
"""How long the webhooks' consumer trusts its last read of the enabled endpoints (`Webhooks._enabled_at`)."""


def delivery_document(endpoint_id: str, fact: Document, now: datetime, replay_id: str | None = None) -> dict[str, Any]:
    """A new delivery of a fact (the fact log's shape) to an endpoint, due now."""
    time = aware(fact["time"])
    return {
        "_id": delivery_id(endpoint_id, fact["_id"], replay_id),
        "endpoint_id": endpoint_id,
        "event_id": fact["_id"],
        "event_type": fact["type"],
        "subject": fact["subject"],
        "site_id": site_of(fact["data"]),
        "replay_id": replay_id,
        "body": event_body(
            fact["_id"], fact["type"], fact["subject"], fact["sequence"], time, fact.get("actor"), fact["data"]
        ),
        "status": DeliveryStatus.PENDING,
        "claims": 0,
        "attempts": [],
        "due_at": now,
        "created_at": now,
    }


class Webhooks:
    def __init__(
        self,
        *,
        store: WebhookStore,
        facts: InsightsStore,
        sender: WebhookSender,
        sent_log: SentLog,
        settings: InsightsSettings,
        templates: Templates | None = None,
        clock: Callable[[], datetime] = utc_now,
        spread: Callable[[], float] = random.random,
        worker: str | None = None,
    ) -> None:
        self.store = store
        self.facts = facts
        self.sender = sender
        self.sent_log = sent_log
        self.settings = settings
        self.templates = templates or Templates()
        self.clock = clock
        self.spread = spread
        self.worker = worker or f"worker-{uuid.uuid4().hex[:8]}"
        self.schedule = Schedule(
            settings.webhook_retry_seconds, settings.webhook_retry_max_seconds, settings.webhook_max_attempts
        )
        self.rounds = Rounds("webhooks", settings.webhook_interval_seconds)
        self._endpoints: tuple[datetime, list[Document]] | None = None

    # --- 1. events → deliveries -------------------------------------------------------------

    async def _enabled_at(self, event_time: datetime, now: datetime) -> list[Document]:
        """The enabled endpoints, read again only for an event newer than the last read or when
        that read is over `ENDPOINTS_FRESH` old. An endpoint made since the last read was made after
        every older event, which it does not want (`created_at` ≤ the event's time): so catching
        up on a backlog reads the endpoints every few seconds, not once per event. A change to an
        endpoint reaches this worker within `ENDPOINTS_FRESH` (a delivery to an endpoint disabled
        meanwhile is refused at sending, as for any delivery queued before a disable)."""
        cached = self._endpoints
        if cached is None or aware(event_time) > cached[0] or now - cached[0] > ENDPOINTS_FRESH:
            cached = (now, await self.store.enabled_endpoints())
            self._endpoints = cached
        return cached[1]

    async def on_event(self, delivery: Delivery) -> None:
        envelope = delivery.envelope
        fact = fact_document(envelope)
        now = self.clock()
        endpoints = [
            e
            for e in await self._enabled_at(envelope.time, now)
            if aware(e["created_at"]) <= aware(envelope.time)
            and wants(e["event_types"], e.get("site_id"), envelope.type, envelope.data)
        ]
        if await self.store.enqueue([delivery_document(e["_id"], fact, now) for e in endpoints]):
            self.rounds.wake()
        if envelope.type == ERASED:  # after its own delivery: the erasure names them by id alone
            await self.store.forget_person(envelope.subject, str(envelope.data["person_id"]))

    async def replay(self, endpoint: Document, since: datetime, replay_id: str, until: datetime | None = None) -> int:
        """Enqueue again every fact since `since` (and before `until`) the endpoint wants; how many
        deliveries were new (a replay id already used enqueues nothing twice)."""
        now, enqueued, batch = self.clock(), 0, []
        window = {"$gte": since} if until is None else {"$gte": since, "$lt": until}
        async for fact in self.facts.facts.find({"time": window}).sort([("time", 1), ("_id", 1)]):
            if wants(endpoint["event_types"], endpoint.get("site_id"), fact["type"], fact["data"]):
                batch.append(delivery_document(endpoint["_id"], fact, now, replay_id))
            if len(batch) >= REPLAY_BATCH:
                enqueued += await self.store.enqueue(batch)
                batch = []
        enqueued += await self.store.enqueue(batch)
        if enqueued:
            self.rounds.wake()
        return enqueued

    # --- 2. deliveries → signed POSTs --------------------------------------------------------

    async def deliver(self) -> int:
        """One round: claim what is due, send the claimed at once; how many were delivered."""
        now = self.clock()
        lease_until = now + timedelta(seconds=self.settings.webhook_lease_seconds)
        claimed: list[tuple[Document, int]] = []
        for seen in await self.store.due(now, BATCH):
            claim = await self.store.claim(seen, now, lease_until)
            if claim is not None:
                claimed.append((seen, claim))
        outcomes = await asyncio.gather(*(self._attempt(seen, claim) for seen, claim in claimed))
        return sum(outcomes)

    async def _attempt(self, delivery: Document, claim: int) -> bool:
        endpoint = await self.store.endpoint(delivery["endpoint_id"])
        at = self.clock()
        if endpoint is None or not endpoint["enabled"]:
            gone = {"at": at, "status_code": None, "latency_ms": None, "error": "endpoint disabled or removed"}
            await self.store.settle(delivery["_id"], claim, gone, {"status": DeliveryStatus.FAILED})
            return False
        keys = signing_secrets(endpoint, at)
        sent = await self.sender.send(endpoint["url"], keys, delivery["event_id"], delivery["body"], at)
        attempt = attempt_record(at, sent, self.worker)
        made = claim  # one claim per attempt, an interrupted one included
        if succeeded(sent.status_code):
            if await self.store.settle(
                delivery["_id"], claim, attempt, {"status": DeliveryStatus.DELIVERED, "delivered_at": self.clock()}
            ):
                await self.store.delivery_succeeded(endpoint["_id"])
                return True
            return False
        if not self.schedule.exhausted(made):
            due_at = self.clock() + self.schedule.delay(made, self.spread())
            await self.store.settle(
                delivery["_id"], claim, attempt, {"status": DeliveryStatus.PENDING, "due_at": due_at}
            )
            log.info("webhook.retry", delivery=delivery["_id"], attempt=made, due_at=due_at.isoformat())
            return False
        if await self.store.settle(delivery["_id"], claim, attempt, {"status": DeliveryStatus.FAILED}):
            log.warning("webhook.given_up", delivery=delivery["_id"], endpoint=endpoint["_id"], attempts=made)
            failed_in_a_row = await self.store.delivery_given_up(endpoint["_id"])
            if should_disable(failed_in_a_row, self.settings.webhook_disable_after):
                await self._disable(endpoint, failed_in_a_row)
        return False

    async def _disable(self, endpoint: Document, failed_in_a_row: int) -> None:
        now = self.clock()
        reason = f"{failed_in_a_row} deliveries in a row failed"
        if not await self.store.disable(endpoint["_id"], reason, now):
            return  # another worker disabled it (and told the owner)
        log.warning("webhook.endpoint_disabled", endpoint=endpoint["_id"], failed_in_a_row=failed_in_a_row)
        language = endpoint.get("owner_language", "fr")
        context = {"url": endpoint["url"], "endpoint_id": endpoint["_id"], "failed": failed_in_a_row}
        subject, body = self.templates.render(DISABLED_MAIL, language, endpoint["owner_email"], context)
        notice = f"webhook-disabled:{endpoint['_id']}:{now.isoformat()}"
        # the mailer sends it on its next round, at most once (its sent-log's rules)
        await self.sent_log.claim(Mail(notice, endpoint["owner_email"], language, subject, body), now)

    # --- the loop ----------------------------------------------------------------------------

    async def run(self) -> None:
        """Until `stop()`: a round whenever woken by a new delivery, or every `webhook_interval_seconds`."""
        await self.rounds.run(self.deliver)

    def stop(self) -> None:
        self.rounds.stop()


# --- the admins' commands --------------------------------------------------------------------


CatchUp = Callable[[Document, datetime, str, datetime], Awaitable[int]]
"""Enqueue what an endpoint missed: (endpoint, since, replay id, until) → deliveries enqueued (`Webhooks.replay`)."""


class EndpointCommands:
    """Register, change and remove endpoints; the URL rule and the secret's life are decided here."""

    def __init__(
        self,
        store: WebhookStore,
        settings: InsightsSettings,
        clock: Callable[[], datetime] = utc_now,
        resolver: Resolver = resolve,
        catch_up: CatchUp | None = None,
    ):
        self.store = store
        self.catch_up = catch_up
        self.allow_loopback_http = settings.environment != "production"
        self.reach_private = settings.webhooks_reach_private_addresses
        self.rotation_grace = timedelta(seconds=settings.webhook_rotation_grace_seconds)
        self.clock = clock
        self.resolver = resolver

    async def _check_url(self, url: str) -> None:
        """https (or loopback http in development), and, unless private addresses are allowed, a
        host that resolves to public addresses only: the URL is refused now, not at its first delivery."""
        refusal = url_refusal(url, allow_loopback_http=self.allow_loopback_http)
        if refusal is None and not self.reach_private:
            refusal = await receiver_refusal(url, self.resolver)
        if refusal:
            raise Refused.invalid(refusal, field="url")

    async def register(self, fields: dict[str, Any], by: str) -> Document:
        await self._check_url(fields["url"])
        now = self.clock()
        endpoint = {
            **fields,
            "_id": "wh-" + uuid.uuid4().hex,
            "secret": new_secret(),
            "enabled": True,
            "disabled_reason": None,
            "consecutive_failed": 0,
            "created_by": by,
            "created_at": now,
            "updated_at": now,
        }
        await self.store.add_endpoint(endpoint)
        return endpoint

    async def change(
        self,
        endpoint_id: str,
        *,
        enabled: bool | None,
        rotate_secret: bool,
        description: str | None,
        event_types: list[str] | None,
    ) -> Document:
        """Re-enabling forgets the failures that disabled it (the owner says the receiver is fixed)
        and, after a disable for failures, catches up: every event it wants from the moment it was
        disabled to now is enqueued once
        (a replay whose id is that moment's, so enabling twice sends nothing twice); what comes next
        reaches it as to any enabled endpoint."""
        now = self.clock()
        changes: Document = {"updated_at": now}
        before = await self.store.endpoint(endpoint_id) if enabled and self.catch_up is not None else None
        if enabled is not None:  # an admin's pause keeps no `disabled_at`: its backlog is not caught up
            changes.update(
                enabled=enabled, disabled_reason=None if enabled else "disabled by an admin", disabled_at=None
            )
            if enabled:
                changes["consecutive_failed"] = 0
        if description is not None:
            changes["description"] = description
        if event_types is not None:
            changes["event_types"] = event_types
        if rotate_secret:
            changed = await self._rotate(endpoint_id, changes)
        else:
            found = await self.store.change_endpoint(endpoint_id, changes)
            if found is None:
                raise Refused.not_found(f"no webhook endpoint {endpoint_id}")
            changed = found
        if before is not None and not before["enabled"] and before.get("disabled_at") and self.catch_up is not None:
            disabled_at = aware(before["disabled_at"])
            replay_id = f"rp-reenabled-{endpoint_id}-{int(disabled_at.timestamp() * 1000)}"
            await self.catch_up(changed, disabled_at, replay_id, now)
        return changed

    async def _rotate(self, endpoint_id: str, changes: Document) -> Document:
        """A new secret; the replaced one still signs beside it for `INSIGHTS_WEBHOOK_ROTATION_GRACE`
        seconds, kept only while the secret is still the one read (a concurrent rotation reads again)."""
        while True:
            endpoint = await self.store.endpoint(endpoint_id)
            if endpoint is None:
                raise Refused.not_found(f"no webhook endpoint {endpoint_id}")
            rotation = {
                "secret": new_secret(),
                "previous_secret": endpoint["secret"],
                "previous_valid_until": self.clock() + self.rotation_grace,
            }
            changed = await self.store.change_endpoint(
                endpoint_id, {**changes, **rotation}, secret_was=endpoint["secret"]
            )
            if changed is not None:
                return changed

    async def remove(self, endpoint_id: str) -> None:
        """Its pending deliveries are given up by the worker when it finds the endpoint gone."""
        if not await self.store.remove_endpoint(endpoint_id):
            raise Refused.not_found(f"no webhook endpoint {endpoint_id}")
