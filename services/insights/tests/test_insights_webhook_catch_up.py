"""An endpoint re-enabled after it was disabled for failures catches up (issue 22, item 1): every
event it wants from the moment it was disabled to the moment it is enabled again is enqueued, once
however often it is enabled; events before it was disabled, or of types it does not want, are not;
an endpoint an admin paused is not caught up (a pause is not a failure). Over the real store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from insights_fixtures import settings, smtp_sink, webhooks_worker

from insights.adapters.projection import InsightsStore
from insights.adapters.webhooks import WebhookStore
from insights.service_layer.webhooks import EndpointCommands
from insights.settings import InsightsSettings
from parkgrid.store import Database

__all__ = ["settings", "smtp_sink"]

CONFIRMED = "parkgrid.bookings.booking.confirmed"
FIELDS = {"url": "http://127.0.0.1:9/hooks", "event_types": ["parkgrid.bookings"], "owner_email": "ops@example.ma"}


async def test_re_enabled_after_failures_it_gets_what_it_missed_once(
    settings: InsightsSettings, database: Database
) -> None:
    store, facts = WebhookStore(database), InsightsStore(database)
    worker = webhooks_worker(database, settings, store)
    now = datetime.now(UTC)
    disabled_at = now - timedelta(hours=3)
    commands = EndpointCommands(store, settings, clock=lambda: now, catch_up=worker.replay)
    endpoint = await commands.register(dict(FIELDS), by="admin:a-1")
    paused = await commands.register(dict(FIELDS), by="admin:a-1")

    def fact(event_id: str, event_type: str, at: datetime) -> dict[str, object]:
        return {"_id": event_id, "type": event_type, "subject": event_id, "sequence": 1, "time": at, "data": {}}

    await facts.facts.insert_many(
        [
            fact("ev-before", CONFIRMED, disabled_at - timedelta(minutes=5)),  # given up before: in the log
            fact("ev-missed-1", CONFIRMED, disabled_at + timedelta(minutes=5)),
            fact("ev-missed-2", CONFIRMED, now - timedelta(minutes=5)),
            fact("ev-unwanted", "parkgrid.community.member.updated", now - timedelta(minutes=4)),
            fact("ev-after", CONFIRMED, now + timedelta(seconds=1)),  # reaches it as to any enabled endpoint
        ]
    )
    try:
        assert await store.disable(endpoint["_id"], "5 deliveries failed in a row", disabled_at)
        await commands.change(paused["_id"], enabled=False, rotate_secret=False, description=None, event_types=None)
        for _ in range(2):  # enabling twice (two admins, a retried request) catches up once
            for which in (endpoint, paused):
                await commands.change(
                    which["_id"], enabled=True, rotate_secret=False, description=None, event_types=None
                )
        caught_up = await store.deliveries_of(endpoint["_id"])
        assert sorted(d["event_id"] for d in caught_up) == ["ev-missed-1", "ev-missed-2"]
        assert {d["replay_id"] for d in caught_up} == {
            f"rp-reenabled-{endpoint['_id']}-{int(disabled_at.timestamp() * 1000)}"
        }
        assert await store.deliveries_of(paused["_id"]) == []
        assert (await store.endpoint(endpoint["_id"]) or {}).get("disabled_at") is None
    finally:
        await worker.sender.close()
