"""The webhooks' pure rules: the Standard Webhooks signature (checked by the `standardwebhooks`
package a receiver would use), which endpoint wants which event, the retry schedule, the URL rule."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from insights.domain.webhooks import (
    Schedule,
    delivery_id,
    event_body,
    new_secret,
    should_disable,
    signed_headers,
    url_refusal,
    wants,
)

CONFIRMED = "parkgrid.bookings.booking.confirmed"


def test_a_signed_delivery_verifies_with_the_standard_webhooks_library() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_")
    now = datetime.now(UTC)
    body = event_body("ev-1", CONFIRMED, "bk-1", 2, now, "member:p-1", {"booking_id": "bk-1", "site_id": "rabat"})
    headers = signed_headers(secret, "ev-1", now, body)
    assert headers["webhook-id"] == "ev-1"
    event = Webhook(secret).verify(body, headers)
    assert event["id"] == "ev-1"
    assert event["type"] == CONFIRMED
    assert event["source"] == "bookings"
    assert event["data"] == {"booking_id": "bk-1", "site_id": "rabat"}


def test_a_tampered_body_or_another_secret_does_not_verify() -> None:
    secret, now = new_secret(), datetime.now(UTC)
    body = json.dumps({"id": "ev-1"})
    headers = signed_headers(secret, "ev-1", now, body)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace("ev-1", "ev-2"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):  # an old timestamp is a replay
        Webhook(secret).verify(body, signed_headers(secret, "ev-1", now - timedelta(hours=1), body))


@pytest.mark.parametrize(
    ("types", "site", "event_type", "data", "wanted"),
    [
        (["parkgrid.bookings.booking.confirmed"], None, CONFIRMED, {}, True),
        (["parkgrid.bookings"], None, CONFIRMED, {}, True),
        (["parkgrid.bookings.*"], None, CONFIRMED, {}, True),
        (["parkgrid.book"], None, CONFIRMED, {}, False),  # a prefix is whole dotted words
        (["parkgrid.spaces"], None, CONFIRMED, {}, False),
        (["parkgrid.bookings.booking.cancelled"], None, CONFIRMED, {}, False),
        (["parkgrid.bookings"], "rabat", CONFIRMED, {"site_id": "rabat"}, True),
        (["parkgrid.bookings"], "rabat", CONFIRMED, {"site_id": "agadir"}, False),
        (["parkgrid.bookings"], "rabat", CONFIRMED, {}, False),  # network-wide: not a site's
        (["parkgrid.community"], "rabat", "parkgrid.community.member.registered", {"home_site_id": "rabat"}, True),
    ],
)
def test_which_endpoint_wants_which_event(
    types: list[str], site: str | None, event_type: str, data: dict[str, str], wanted: bool
) -> None:
    assert wants(types, site, event_type, data) is wanted


def test_the_schedule_backs_off_exponentially_with_jitter_over_days() -> None:
    schedule = Schedule(first=30, longest=6 * 3600, attempts=20)
    assert schedule.delay(1, 0.5) == timedelta(seconds=30)
    assert schedule.delay(2, 0.5) == timedelta(seconds=60)
    assert schedule.delay(3, 0.0) == timedelta(seconds=120 * 0.8)
    assert schedule.delay(3, 0.999) < timedelta(seconds=120 * 1.2)
    assert schedule.delay(19, 0.5) == timedelta(hours=6)  # capped
    assert timedelta(days=2) < schedule.span() < timedelta(days=4)
    assert not schedule.exhausted(19)
    assert schedule.exhausted(20)


def test_an_endpoint_is_disabled_after_so_many_deliveries_given_up_in_a_row() -> None:
    assert not should_disable(4, 5)
    assert should_disable(5, 5)


def test_delivery_ids_are_one_per_endpoint_event_and_replay() -> None:
    assert delivery_id("wh-1", "ev-1") == delivery_id("wh-1", "ev-1")
    assert delivery_id("wh-1", "ev-1") != delivery_id("wh-2", "ev-1")
    assert delivery_id("wh-1", "ev-1", "rp-1") not in {delivery_id("wh-1", "ev-1"), delivery_id("wh-1", "ev-1", "rp-2")}


@pytest.mark.parametrize(
    ("url", "loopback_http", "refused"),
    [
        ("https://partner.example.org/hooks", False, False),
        ("http://partner.example.org/hooks", True, True),
        ("http://127.0.0.1:8123/hooks", True, False),
        ("http://localhost:8123/hooks", True, False),
        ("http://127.0.0.1:8123/hooks", False, True),  # production: https only
        ("https://user:pw@partner.example.org/", False, True),
        ("ftp://partner.example.org/", False, True),
    ],
)
def test_an_endpoint_url_is_https_or_this_machine_in_development(url: str, loopback_http: bool, refused: bool) -> None:
    assert (url_refusal(url, allow_loopback_http=loopback_http) is not None) is refused
