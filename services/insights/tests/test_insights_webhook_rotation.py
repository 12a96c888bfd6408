"""Rotating an endpoint's secret loses nothing (issue 22, item 1): for a grace period
(`INSIGHTS_WEBHOOK_ROTATION_GRACE`) each delivery carries a signature by the new secret and one by
the secret it replaced, so a receiver that still knows only the old one verifies it; after the
grace it does not. Signatures are checked by `standardwebhooks`, deliveries go to a real receiver
through the real store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from insights_fixtures import settings, smtp_sink, webhooks_worker
from standardwebhooks.webhooks import Webhook
from webhook_receiver import Receiver, receiver

from insights.adapters.webhooks import WebhookStore
from insights.domain.webhooks import new_secret, signed_headers, signing_secrets
from insights.service_layer.webhooks import EndpointCommands, delivery_document
from insights.settings import InsightsSettings
from parkgrid.store import Database

__all__ = ["receiver", "settings", "smtp_sink"]

NOW = datetime(2026, 12, 5, 9, tzinfo=UTC)


def test_two_secrets_give_two_signatures_either_verifies() -> None:
    old, new = new_secret(), new_secret()
    body = '{"type": "parkgrid.bookings.booking.confirmed"}'
    headers = signed_headers([new, old], "ev-1", datetime.now(UTC), body)
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert Webhook(old).verify(body, headers) is not None
    assert Webhook(new).verify(body, headers) is not None


def test_the_replaced_secret_signs_until_its_grace_ends() -> None:
    endpoint = {"secret": "whsec_new", "previous_secret": "whsec_old", "previous_valid_until": NOW}
    assert signing_secrets(endpoint, NOW - timedelta(seconds=1)) == ["whsec_new", "whsec_old"]
    assert signing_secrets(endpoint, NOW) == ["whsec_new"]
    assert signing_secrets({"secret": "whsec_only"}, NOW) == ["whsec_only"]


async def test_a_receiver_with_the_old_secret_verifies_during_the_grace_only(
    settings: InsightsSettings, receiver: Receiver, database: Database
) -> None:
    store = WebhookStore(database)
    commands = EndpointCommands(store, settings)
    made = await commands.register(
        {"url": receiver.url, "event_types": ["parkgrid.bookings"], "owner_email": "ops@example.ma",
         "owner_language": "fr"},
        by="admin:a-1",
    )  # fmt: skip
    old = made["secret"]
    rotated = await commands.change(made["_id"], enabled=None, rotate_secret=True, description=None, event_types=None)
    assert rotated["secret"] != old
    assert rotated["previous_secret"] == old
    receiver.secret = old  # the receiver has not been told the new secret yet
    worker = webhooks_worker(database, settings, store)

    async def deliver(event_id: str) -> None:
        fact = {"_id": event_id, "type": "parkgrid.bookings.booking.confirmed", "subject": "bk-1", "sequence": 1,
                "time": datetime.now(UTC), "data": {"booking_id": "bk-1"}}  # fmt: skip
        assert await store.enqueue([delivery_document(made["_id"], fact, datetime.now(UTC))]) == 1
        assert await worker.deliver() == 1

    try:
        await deliver("ev-during-grace")
        await database["webhook_endpoints"].update_one(
            {"_id": made["_id"]}, {"$set": {"previous_valid_until": datetime.now(UTC) - timedelta(seconds=1)}}
        )
        await deliver("ev-after-grace")
    finally:
        await worker.sender.close()
    verified = {arrival.webhook_id: arrival.verified for arrival in receiver.arrivals}
    assert verified == {"ev-during-grace": True, "ev-after-grace": False}
    after = receiver.arrivals[-1]
    assert Webhook(rotated["secret"]).verify(after.body, after.headers) is not None
