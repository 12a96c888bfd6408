"""Signed webhooks end to end: contracted events published on the real broker with the kit's
publisher, insights' real consumer and store, and a real HTTP receiver started by the test that
verifies every signature with `standardwebhooks`. A receiver down then up, a slow one, a 500
storm (backoff, then the endpoint disabled and its owner mailed), a redeploy mid-delivery, a
redelivered Kafka message, a replay: nothing lost, and never two successes in the log's view."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from insights_fixtures import (
    Sink,
    answered,
    app,
    auth,
    client,
    eventually,
    free_port,
    publish,
    settings,
    smtp_sink,
    topics_ready,
    webhooks_worker,
    wrap,
)
from webhook_receiver import Receiver

from insights.adapters.projection import InsightsStore
from insights.adapters.webhooks import WebhookStore
from insights.bootstrap import build_app
from insights.service_layer.webhooks import EndpointCommands, Webhooks, delivery_document
from insights.settings import InsightsSettings
from parkgrid.auth import Role
from parkgrid.contracts import bookings as b
from parkgrid.envelope import Envelope
from parkgrid.store import Database
from parkgrid.testing.http import app_client

__all__ = ["app", "client", "settings", "smtp_sink"]

CONFIRMED = "parkgrid.bookings.booking.confirmed"
OWNER = "partner-ops@example.ma"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver(free_port())
    yield made
    made.stop()


def confirmed(booking_id: str, site_id: str = "site-rabat") -> Envelope:
    starts = datetime.now(UTC) + timedelta(days=3)
    data = {
        "booking_id": booking_id,
        "offering_id": "off-1",
        "offering_title": {"fr": "Clinique juridique", "en": "Legal clinic"},
        "category": "legal_clinic",
        "site_id": site_id,
        "time_zone": "Africa/Casablanca",
        "session": {"starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=1)).isoformat()},
        "member_id": "m-1",
        "person_id": "p-1",
        "party_size": 1,
        "booked_by": {"role": "member", "subject": "p-1"},
        "status": "confirmed",
        "requested_at": datetime.now(UTC).isoformat(),
        "confirmed_at": datetime.now(UTC).isoformat(),
    }
    return wrap(b.BookingConfirmed.model_validate(data), booking_id, 1, "bookings")


async def register(
    http: httpx.AsyncClient, settings: InsightsSettings, receiver: Receiver, **extra: Any
) -> dict[str, Any]:
    body = {"url": receiver.url, "event_types": ["parkgrid.bookings"], "owner_email": OWNER, **extra}
    endpoint = await answered(http.post("/v1/webhooks/endpoints", json=body, headers=auth(settings, Role.ADMIN)))
    receiver.secret = endpoint["secret"]
    return endpoint


async def deliveries(http: httpx.AsyncClient, settings: InsightsSettings, endpoint_id: str) -> list[dict[str, Any]]:
    page = await answered(
        http.get(f"/v1/webhooks/endpoints/{endpoint_id}/deliveries", headers=auth(settings, Role.ADMIN)), 200
    )
    items: list[dict[str, Any]] = page["items"]
    return items


async def attempts(http: httpx.AsyncClient, settings: InsightsSettings, delivery_id: str) -> list[dict[str, Any]]:
    detail = await answered(http.get(f"/v1/webhooks/deliveries/{delivery_id}", headers=auth(settings, Role.ADMIN)), 200)
    found: list[dict[str, Any]] = detail["attempts"]
    return found


def successes(found: list[dict[str, Any]]) -> int:
    return sum(1 for a in found if a["status_code"] is not None and 200 <= a["status_code"] < 300)


async def delivered(http: httpx.AsyncClient, settings: InsightsSettings, endpoint_id: str, count: int) -> None:
    async def done() -> bool:
        found = await deliveries(http, settings, endpoint_id)
        return len(found) == count and all(d["status"] == "delivered" for d in found)

    await eventually(done, within=30, what=f"{count} deliveries delivered")


async def test_a_published_event_arrives_signed_once_even_when_kafka_redelivers_it(
    app: FastAPI, client: httpx.AsyncClient, settings: InsightsSettings, receiver: Receiver
) -> None:
    receiver.start()
    endpoint = await register(client, settings, receiver, site_id="site-rabat")
    assert endpoint["secret"].startswith("whsec_")
    got = await answered(
        client.get(f"/v1/webhooks/endpoints/{endpoint['id']}", headers=auth(settings, Role.ADMIN)), 200
    )
    assert "secret" not in got, "the secret is shown once"
    event, elsewhere = confirmed("bk-1"), confirmed("bk-2", site_id="site-agadir")
    await publish(settings, [("bookings.booking", event), ("bookings.booking", elsewhere), ("bookings.booking", event)])
    await delivered(client, settings, endpoint["id"], 1)
    await asyncio.sleep(1.0)  # a second delivery would have come by now

    assert receiver.ids() == [event.id], "one delivery, only of the endpoint's site, the event id as webhook-id"
    arrival = receiver.arrivals[0]
    assert arrival.verified
    assert arrival.event is not None
    assert arrival.event["type"] == CONFIRMED
    assert arrival.event["data"]["booking_id"] == "bk-1"
    [delivery] = await deliveries(client, settings, endpoint["id"])
    assert (delivery["event_id"], delivery["attempt_count"], delivery["last_status_code"]) == (event.id, 1, 200)
    [attempt] = await attempts(client, settings, delivery["id"])
    assert attempt["status_code"] == 200
    assert attempt["latency_ms"] >= 0
    assert attempt["error"] is None


async def test_a_receiver_down_then_up_gets_the_event_once_after_retries(
    app: FastAPI, client: httpx.AsyncClient, settings: InsightsSettings, receiver: Receiver
) -> None:
    endpoint = await register(client, settings, receiver)  # nothing listens on its port yet
    event = confirmed("bk-down")
    await publish(settings, [("bookings.booking", event)])

    async def refused_twice() -> bool:
        found = await deliveries(client, settings, endpoint["id"])
        return bool(found) and found[0]["attempt_count"] >= 2

    await eventually(refused_twice, within=20, what="two refused attempts")
    receiver.start()
    await delivered(client, settings, endpoint["id"], 1)

    assert receiver.ids() == [event.id]
    assert receiver.arrivals[0].verified
    [delivery] = await deliveries(client, settings, endpoint["id"])
    found = await attempts(client, settings, delivery["id"])
    assert successes(found) == 1
    assert found[-1]["status_code"] == 200
    assert all(a["status_code"] is None and "ConnectError" in a["error"] for a in found[:-1]), found


async def test_a_slow_receiver_times_out_then_gets_it(
    app: FastAPI, client: httpx.AsyncClient, settings: InsightsSettings, receiver: Receiver
) -> None:
    receiver.plan = lambda n: (200, settings.webhook_timeout_seconds + 1.0) if n == 1 else (200, 0.0)
    receiver.start()
    endpoint = await register(client, settings, receiver)
    event = confirmed("bk-slow")
    await publish(settings, [("bookings.booking", event)])
    await delivered(client, settings, endpoint["id"], 1)

    [delivery] = await deliveries(client, settings, endpoint["id"])
    found = await attempts(client, settings, delivery["id"])
    assert "Timeout" in found[0]["error"]
    assert found[0]["status_code"] is None
    assert successes(found) == 1, "the log holds one success"
    # at least once: the receiver saw the same webhook-id again and deduplicates on it
    assert set(receiver.ids()) == {event.id}


async def test_a_500_storm_backs_off_then_disables_the_endpoint_and_mails_its_owner(
    app: FastAPI,
    client: httpx.AsyncClient,
    settings: InsightsSettings,
    receiver: Receiver,
    smtp_sink: tuple[Sink, int],
) -> None:
    sink, _ = smtp_sink
    receiver.plan = lambda n: (500, 0.0)
    receiver.start()
    endpoint = await register(client, settings, receiver, owner_language="en")
    first, second = confirmed("bk-500-a"), confirmed("bk-500-b")
    await publish(settings, [("bookings.booking", first), ("bookings.booking", second)])

    async def disabled() -> bool:
        got = await answered(
            client.get(f"/v1/webhooks/endpoints/{endpoint['id']}", headers=auth(settings, Role.ADMIN)), 200
        )
        return got["enabled"] is False

    await eventually(disabled, within=30, what="the endpoint disabled")
    await eventually(lambda: _mailed(sink), within=20, what="the owner's mail")

    [mail] = sink.to(OWNER)
    assert "disabled" in mail["Subject"]
    assert receiver.url in mail["Subject"]
    found = await deliveries(client, settings, endpoint["id"])
    assert {d["status"] for d in found} == {"failed"}
    assert len(found) == 2
    for delivery in found:
        tries = await attempts(client, settings, delivery["id"])
        assert [a["status_code"] for a in tries] == [500] * settings.webhook_max_attempts
        moments = [datetime.fromisoformat(a["at"]) for a in tries]
        gaps = [(later - earlier).total_seconds() for earlier, later in itertools.pairwise(moments)]
        # A busy worker only lengthens a wait, so each gap is held to its shortest delay: doubling
        # from the first, capped, less the 20 % jitter (0.16, 0.32, 0.64 s here). Without the
        # doubling, the last gap fails.
        shortest = [
            min(settings.webhook_retry_seconds * 2**n, settings.webhook_retry_max_seconds) * 0.8
            for n in range(len(tries) - 1)
        ]
        assert all(gap >= least for gap, least in zip(gaps, shortest, strict=True)), f"backoff: {gaps} vs {shortest}"
    # disabled: a new event is not even enqueued
    await publish(settings, [("bookings.booking", confirmed("bk-500-c"))])
    await asyncio.sleep(1.0)
    assert len(await deliveries(client, settings, endpoint["id"])) == 2
    assert len(sink.to(OWNER)) == 1, "the owner is told once"


async def _mailed(sink: Sink) -> bool:
    return bool(sink.to(OWNER))


@asynccontextmanager
async def deployed(settings: InsightsSettings) -> AsyncIterator[httpx.AsyncClient]:
    """One deployment of insights (its consumers and its webhook worker), and a client of its API."""
    application = build_app(settings)
    lifespan = application.router.lifespan_context(application)
    async with lifespan, app_client(application, "insights", raise_app_exceptions=True) as http:
        yield http


async def test_a_redeploy_mid_delivery_delivers_once_in_the_log(
    settings: InsightsSettings, receiver: Receiver, smtp_sink: tuple[Sink, int], database: Database
) -> None:
    """The worker is stopped while its delivery is leased (the receiver still answering); the next
    deployment takes the delivery over once the lease lapses, and the log shows one success."""
    await topics_ready(settings)
    receiver.plan = lambda n: (200, settings.webhook_timeout_seconds * 0.8) if n == 1 else (200, 0.0)
    receiver.start()

    async def arrived() -> bool:
        return bool(receiver.arrivals)

    async with deployed(settings) as http:
        endpoint = await register(http, settings, receiver)
        event = confirmed("bk-redeploy")  # after the endpoint: older events are not sent to it
        await publish(settings, [("bookings.booking", event)])
        await eventually(arrived, within=30, what="the first attempt at the receiver")
    [left] = await WebhookStore(database).deliveries_of(endpoint["id"])
    assert left["status"] == "sending", "stopped mid-send: still leased"
    assert left["attempts"] == [], "no outcome recorded"

    async with deployed(settings) as http:
        await delivered(http, settings, endpoint["id"], 1)
        [delivery] = await deliveries(http, settings, endpoint["id"])
        found = await attempts(http, settings, delivery["id"])
    assert [a["error"] for a in found] == ["interrupted", None]
    assert successes(found) == 1
    assert set(receiver.ids()) == {event.id}


async def test_a_replay_resends_history_once_per_idempotency_key(
    app: FastAPI, client: httpx.AsyncClient, settings: InsightsSettings, receiver: Receiver
) -> None:
    receiver.start()
    before = datetime.now(UTC) - timedelta(seconds=1)
    event = confirmed("bk-replay")
    await publish(settings, [("bookings.booking", event)])  # before the endpoint: not sent live
    facts: InsightsStore = app.state.components[InsightsStore]

    async def projected() -> bool:
        return bool(await facts.facts.find_one({"_id": event.id}))

    await eventually(projected, within=30, what="the fact in the log")
    endpoint = await register(client, settings, receiver)
    key = {**auth(settings, Role.ADMIN), "Idempotency-Key": str(uuid.uuid4())}
    path = f"/v1/webhooks/endpoints/{endpoint['id']}/replay"
    replay = await answered(client.post(path, json={"since": before.isoformat()}, headers=key), 202)
    again = await answered(client.post(path, json={"since": before.isoformat()}, headers=key), 202)
    assert replay["enqueued"] == 1
    assert again["replay_id"] == replay["replay_id"]
    await delivered(client, settings, endpoint["id"], 1)
    assert receiver.ids() == [event.id]
    assert receiver.arrivals[0].verified
    [delivery] = await deliveries(client, settings, endpoint["id"])
    assert delivery["replay_id"] == replay["replay_id"]


async def test_the_api_refuses_as_problems(app: FastAPI, client: httpx.AsyncClient, settings: InsightsSettings) -> None:
    admin = auth(settings, Role.ADMIN)
    body = {"url": "http://partner.example.org/hooks", "event_types": ["parkgrid.bookings"], "owner_email": OWNER}
    refused = await client.post("/v1/webhooks/endpoints", json=body, headers=admin)
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["errors"][0]["field"] == "url"
    bad_type = await client.post("/v1/webhooks/endpoints", json={**body, "event_types": ["bookings"]}, headers=admin)
    assert bad_type.status_code == 422
    member = await client.get("/v1/webhooks/endpoints", headers=auth(settings, Role.MEMBER))
    assert member.status_code == 403
    assert member.headers["content-type"] == "application/problem+json"
    desk = await client.get("/v1/webhooks/endpoints", headers=auth(settings, Role.FRONT_DESK))
    assert desk.status_code == 403
    missing = await client.get("/v1/webhooks/endpoints/wh-nope", headers=admin)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    made = await answered(
        client.post("/v1/webhooks/endpoints", json={**body, "url": "https://partner.example.org/h"}, headers=admin)
    )
    rotated = await answered(
        client.patch(f"/v1/webhooks/endpoints/{made['id']}", json={"rotate_secret": True}, headers=admin), 200
    )
    assert rotated["secret"] != made["secret"]
    paused = await answered(
        client.patch(f"/v1/webhooks/endpoints/{made['id']}", json={"enabled": False}, headers=admin), 200
    )
    assert paused["enabled"] is False
    assert "secret" not in paused
    listed = await answered(client.get("/v1/webhooks/endpoints", headers=admin), 200)
    assert [e["id"] for e in listed["items"]] == [made["id"]]
    assert (await client.delete(f"/v1/webhooks/endpoints/{made['id']}", headers=admin)).status_code == 204
    assert (await client.delete(f"/v1/webhooks/endpoints/{made['id']}", headers=admin)).status_code == 404


async def test_two_workers_racing_on_the_same_due_deliveries_send_each_once(
    settings: InsightsSettings, receiver: Receiver, database: Database
) -> None:
    """Two insights processes' workers read the same due deliveries at once; the claim is one
    conditional write, so each delivery is sent by one of them only (without the guard: twice)."""
    receiver.plan = lambda n: (200, 0.05)
    receiver.start()
    store = WebhookStore(database)
    commands = EndpointCommands(store, settings)
    endpoint = await commands.register(
        {"url": receiver.url, "event_types": ["parkgrid.bookings"], "owner_email": OWNER, "owner_language": "fr"},
        by="admin:a-1",
    )
    receiver.secret = endpoint["secret"]
    now = datetime.now(UTC)
    facts: list[dict[str, Any]] = [
        {"_id": f"ev-{n}", "type": CONFIRMED, "subject": f"bk-{n}", "sequence": 1, "time": now, "data": {"n": n}}
        for n in range(6)
    ]
    assert await store.enqueue([delivery_document(endpoint["_id"], f, now) for f in facts]) == len(facts)
    assert await store.enqueue([delivery_document(endpoint["_id"], f, now) for f in facts]) == 0, "once per event"

    def worker(name: str) -> Webhooks:
        return webhooks_worker(database, settings, store, worker=name)

    one, two = worker("one"), worker("two")
    try:
        sent = await asyncio.gather(one.deliver(), two.deliver())
    finally:
        await one.sender.close()
        await two.sender.close()

    assert sorted(receiver.ids()) == sorted(f["_id"] for f in facts), "each delivery sent once"
    assert sum(sent) == len(facts)
    for delivery in await store.deliveries_of(endpoint["_id"]):
        assert (delivery["status"], len(delivery["attempts"])) == ("delivered", 1), delivery
