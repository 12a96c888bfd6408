"""Webhook signing secrets are sealed at rest (issue 22, item 1): the store holds neither an
endpoint's secret nor the one a rotation replaced in clear, only sealed values and a keyed mark; the
service reads them as before (deliveries verify, rotations stay guarded); a secret stored before
sealing existed is still read and sealed at its next change; the sealing key rotates (an old key
kept second still unseals). Over the real store."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.fernet import InvalidToken
from insights_fixtures import settings, smtp_sink

from insights.adapters.sealing import SEALED, Sealer
from insights.adapters.webhooks import WebhookStore
from insights.domain.webhooks import new_secret
from insights.service_layer.webhooks import EndpointCommands
from insights.settings import InsightsSettings
from parkgrid.store import Database

__all__ = ["settings", "smtp_sink"]

FIELDS = {"url": "http://127.0.0.1:9/hooks", "event_types": ["parkgrid.bookings"], "owner_email": "ops@example.ma"}


def test_a_secret_is_sealed_differently_each_time_and_unsealed_by_any_key_listed() -> None:
    secret = new_secret()
    old = Sealer(["old-key"])
    sealed = old.seal(secret)
    assert sealed.startswith(SEALED)
    assert secret not in sealed
    assert old.seal(secret) != sealed  # a fresh nonce: sealed values cannot be compared
    assert old.unseal(sealed) == secret
    rotated = Sealer.of("new-key, old-key")  # the new key seals, the old one still unseals
    assert rotated.unseal(sealed) == secret
    assert rotated.unseal(rotated.seal(secret)) == secret
    with pytest.raises(InvalidToken):
        Sealer(["another-key"]).unseal(sealed)
    assert old.unseal("whsec_stored-before-sealing") == "whsec_stored-before-sealing"
    assert old.mark(secret) == old.mark(secret) != Sealer(["another-key"]).mark(secret)
    with pytest.raises(ValueError, match="at least one non-empty key"):
        Sealer.of(" , ")


async def raw(database: Database, endpoint_id: str) -> dict[str, Any]:
    found = await database["webhook_endpoints"].find_one({"_id": endpoint_id})
    assert found is not None
    return found


async def test_the_store_never_holds_a_secret_in_clear(settings: InsightsSettings, database: Database) -> None:
    store = WebhookStore(database, Sealer(["the-park-key"]))
    commands = EndpointCommands(store, settings)
    made = await commands.register(dict(FIELDS), by="admin:a-1")
    secret = made["secret"]
    stored = await raw(database, made["_id"])
    assert secret not in str(stored)
    assert stored["secret"].startswith(SEALED)
    assert (await store.endpoint(made["_id"]) or {})["secret"] == secret
    assert [e["secret"] for e in await store.enabled_endpoints() if e["_id"] == made["_id"]] == [secret]

    rotated = await commands.change(made["_id"], enabled=None, rotate_secret=True, description=None, event_types=None)
    assert (rotated["previous_secret"], rotated["secret"] != secret) == (secret, True)
    stored = await raw(database, made["_id"])
    assert secret not in str(stored)
    assert rotated["secret"] not in str(stored)
    assert stored["previous_secret"].startswith(SEALED)

    # a rotation guarded by a secret that is no longer the endpoint's changes nothing
    assert await store.change_endpoint(made["_id"], {"description": "late"}, secret_was=secret) is None
    assert (await store.endpoint(made["_id"]) or {}).get("description") is None
    # a store with another key cannot read the secrets: the key, not the store, is the secret
    with pytest.raises(InvalidToken):
        await WebhookStore(database, Sealer(["another-key"])).endpoint(made["_id"])


async def test_a_secret_stored_before_sealing_is_read_and_sealed_at_its_next_rotation(
    settings: InsightsSettings, database: Database
) -> None:
    legacy = new_secret()
    await database["webhook_endpoints"].insert_one(
        {**FIELDS, "_id": "wh-legacy", "secret": legacy, "enabled": True, "consecutive_failed": 0}
    )
    store = WebhookStore(database, Sealer(["the-park-key"]))
    assert (await store.endpoint("wh-legacy") or {})["secret"] == legacy
    rotated = await EndpointCommands(store, settings).change(
        "wh-legacy", enabled=None, rotate_secret=True, description=None, event_types=None
    )
    assert rotated["previous_secret"] == legacy
    stored = await raw(database, "wh-legacy")
    assert legacy not in str(stored)
    assert rotated["secret"] not in str(stored)
