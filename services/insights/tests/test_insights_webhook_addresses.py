"""Webhooks never reach into the park's own network (issue 22, item 1: request forgery): unless
private addresses are allowed (development, or INSIGHTS_WEBHOOK_PRIVATE_ADDRESSES), an endpoint
whose host resolves to a non-public address is refused at registration (422 on `url`) and, as DNS
may change afterwards, every attempt resolves it again and is not sent. Against a real receiver
on this machine and the real store."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from insights_fixtures import settings, smtp_sink
from webhook_receiver import Receiver, receiver

from insights.adapters.webhooks import WebhookSender, WebhookStore
from insights.domain.webhooks import address_refusal
from insights.service_layer.webhooks import EndpointCommands
from insights.settings import InsightsSettings
from parkgrid.refusals import Refused
from parkgrid.store import Database

__all__ = ["receiver", "settings", "smtp_sink"]

ENDPOINT = {"event_types": ["parkgrid.bookings"], "owner_email": "ops@example.ma", "owner_language": "fr"}


@pytest.mark.parametrize(
    "address",
    ["10.1.2.3", "172.16.0.9", "192.168.1.20", "127.0.0.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
     "::1", "fd00::5", "fe80::1", "::ffff:10.0.0.1", "224.0.0.1"],
)  # fmt: skip
def test_a_non_public_address_refuses_the_host(address: str) -> None:
    assert address_refusal("hooks.partner.ma", [address]) is not None
    assert address_refusal("hooks.partner.ma", ["196.200.131.10", address]) is not None, "one among several"


def test_public_addresses_are_allowed_and_no_address_is_refused() -> None:
    assert address_refusal("hooks.partner.ma", ["196.200.131.10", "2a00:1450:4007:80e::200e"]) is None
    assert address_refusal("nowhere.invalid", []) == "nowhere.invalid does not resolve to any address"


def _production_like(settings: InsightsSettings) -> InsightsSettings:
    return settings.model_copy(update={"webhook_private_addresses": False})


async def test_registration_refuses_a_host_that_resolves_inside(settings: InsightsSettings, database: Database) -> None:
    answers = {"inside.partner.ma": ["10.0.0.7"], "hooks.partner.ma": ["196.200.131.10"]}

    async def resolver(host: str, port: int) -> list[str]:
        return answers.get(host, [])

    commands = EndpointCommands(WebhookStore(database), _production_like(settings), resolver=resolver)
    with pytest.raises(Refused) as refused:
        await commands.register({**ENDPOINT, "url": "https://inside.partner.ma/hooks"}, by="admin:a-1")
    assert refused.value.field == "url"
    assert "10.0.0.7" in str(refused.value)
    with pytest.raises(Refused):
        await commands.register({**ENDPOINT, "url": "https://nowhere.partner.ma/hooks"}, by="admin:a-1")
    made = await commands.register({**ENDPOINT, "url": "https://hooks.partner.ma/hooks"}, by="admin:a-1")
    assert made["enabled"]
    allowed = EndpointCommands(WebhookStore(database), settings, resolver=resolver)  # development: allowed
    assert (await allowed.register({**ENDPOINT, "url": "https://inside.partner.ma/hooks"}, by="admin:a-1"))["enabled"]


async def test_an_attempt_to_a_private_address_is_not_sent(receiver: Receiver) -> None:
    """The receiver listens on 127.0.0.1: a sender that may not reach private addresses never
    connects (the attempt fails, to be retried), one that may delivers."""
    at = datetime.now(UTC)
    guarded = WebhookSender(2.0, reach_private=False)
    open_ = WebhookSender(2.0, reach_private=True)
    try:
        refused = await guarded.send(receiver.url, "whsec_dGVzdA==", "ev-1", '{"n": 1}', at)
        assert refused.status_code is None
        assert refused.error is not None
        assert "127.0.0.1" in refused.error
        assert receiver.ids() == []
        sent = await open_.send(receiver.url, "whsec_dGVzdA==", "ev-2", '{"n": 2}', at)
        assert sent.status_code == 200
        assert receiver.ids() == ["ev-2"]
    finally:
        await guarded.close()
        await open_.close()
