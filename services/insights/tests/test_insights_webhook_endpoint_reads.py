"""The webhooks' consumer reads the enabled endpoints once per stretch of old events, not once per
event (issue 22: a catch-up of a backlog read them for every event), and still misses no event for
an endpoint made a moment ago. Over the real store, with the endpoint reads counted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from insights_fixtures import settings, smtp_sink, webhooks_worker, wrap

from insights.adapters.webhooks import WebhookStore
from insights.service_layer.webhooks import ENDPOINTS_FRESH, EndpointCommands
from insights.settings import InsightsSettings
from parkgrid.consumer import Delivery
from parkgrid.contracts import community as c
from parkgrid.store import Database, Document

__all__ = ["settings", "smtp_sink"]

FIELDS = {"url": "http://127.0.0.1:9/hooks", "event_types": ["parkgrid.community"], "owner_email": "ops@example.ma"}


class CountedStore(WebhookStore):
    reads = 0

    async def enabled_endpoints(self) -> list[Document]:
        self.reads += 1
        return await super().enabled_endpoints()


def member_event(member_id: str, at: datetime) -> Delivery:
    snapshot = {
        "member_id": member_id,
        "name": member_id,
        "kind": "startup",
        "sector": "fintech",
        "home_site_id": "site-rabat",
        "status": "active",
        "programme": {"stage": "incubation", "started_on": "2026-01-05"},
        "people": [],
    }
    envelope = wrap(c.MemberRegistered.model_validate(snapshot), member_id, 1, "community")
    return Delivery(envelope.model_copy(update={"time": at}), None, "community.member", 0, 0)


async def test_a_backlog_reads_the_endpoints_once_and_a_new_endpoint_misses_nothing(
    settings: InsightsSettings, database: Database
) -> None:
    now = datetime.now(UTC)
    clock = [now]
    store = CountedStore(database)
    worker = webhooks_worker(database, settings, store, clock=lambda: clock[0])
    commands = EndpointCommands(store, settings, clock=lambda: clock[0] - timedelta(hours=2))
    try:
        early = await commands.register(dict(FIELDS), by="admin:a-1")  # made two hours ago
        for i in range(40):  # a backlog of the last hour, caught up at once
            await worker.on_event(member_event(f"m-old-{i}", now - timedelta(minutes=60 - i)))
        assert store.reads == 1
        assert len(await store.deliveries_of(early["_id"])) == 40

        late_commands = EndpointCommands(store, settings, clock=lambda: clock[0])
        late = await late_commands.register(dict(FIELDS), by="admin:a-1")  # made now, after the read
        clock[0] = now + timedelta(milliseconds=50)
        await worker.on_event(member_event("m-new", clock[0]))  # newer than the read: read again
        assert store.reads == 2
        assert [d["subject"] for d in await store.deliveries_of(late["_id"])] == ["m-new"]

        clock[0] = now + ENDPOINTS_FRESH + timedelta(seconds=1)
        await worker.on_event(member_event("m-old-again", now - timedelta(minutes=5)))  # old, but the read is stale
        assert store.reads == 3
    finally:
        await worker.sender.close()
