"""One correlation id ties an HTTP request to every effect it has, across Kafka hops:
request → event (ce_correlationid) → consumer → the event it causes (same correlation,
causation = the event that caused it). The request's event names the caller its token names
as its actor; the consumer's, the service itself."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from aiokafka import AIOKafkaConsumer
from fastapi import APIRouter, Request
from kit_samples import COUNTERS, counter_store, increment, registry

from parkgrid.auth import Role, issue_token
from parkgrid.consumer import Delivery
from parkgrid.envelope import Envelope
from parkgrid.http.access import Staff
from parkgrid.runtime import ServiceRuntime, create_app
from parkgrid.settings import KitSettings
from parkgrid.store import Database
from parkgrid.testing.http import app_client


async def test_correlation_flows_from_request_through_events_and_consumers(
    database: Database, mongodb_uri: str, kafka_bootstrap: str, topic_prefix: str
) -> None:
    settings = KitSettings(
        PARKGRID_SERVICE_NAME="corrtest",
        KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
        MONGODB_URI=mongodb_uri,
        PARKGRID_DATABASE=database.name,
        PARKGRID_TOPIC_PREFIX=topic_prefix,
    )
    runtime = ServiceRuntime(settings, registry=registry, topics=[COUNTERS], relay_lease=timedelta(seconds=2))
    store = counter_store(runtime.db["counters"])
    runtime.relay_outbox_of(store.collection)

    async def echo(delivery: Delivery) -> None:
        # A consumer whose effect is another event: counter "a" moving makes "echo-a" move.
        if not delivery.envelope.subject.startswith("echo-"):
            await increment(store, "echo-" + delivery.envelope.subject)
            runtime.notify_relay()

    runtime.consume(name="echo", topics=[COUNTERS], handler=echo)
    router = APIRouter()

    @router.post("/v1/counters/{counter_id}/increment", status_code=202)
    async def bump(counter_id: str, request: Request, principal: Staff) -> dict[str, int]:
        value = await increment(store, counter_id)
        runtime.notify_relay()
        return {"value": value}

    app = create_app(runtime, title="corrtest", routers=[router])
    async with app.router.lifespan_context(app):
        async with app_client(app, "test", raise_app_exceptions=True) as client:
            token = issue_token(settings, role=Role.FRONT_DESK, subject="fd-7", sites=["site-rabat"])
            caller = {"Authorization": f"Bearer {token}"}
            response = await client.post(
                "/v1/counters/a/increment", headers={"X-Correlation-ID": "corr-e2e-1", **caller}
            )
            assert response.status_code == 202
            assert response.headers["x-correlation-id"] == "corr-e2e-1"

        consumer = AIOKafkaConsumer(
            topic_prefix + COUNTERS.name,
            bootstrap_servers=kafka_bootstrap,
            auto_offset_reset="earliest",
            group_id=None,
        )
        await consumer.start()
        seen: dict[str, Envelope] = {}
        try:
            async with asyncio.timeout(60):
                while not {"a", "echo-a"} <= seen.keys():  # on two partitions: read until both
                    record = await consumer.getone()
                    envelope = Envelope.from_kafka(record.key, record.value, record.headers)
                    seen[envelope.subject] = envelope
        finally:
            await consumer.stop()

    first, caused = seen["a"], seen["echo-a"]
    assert first.correlationid == "corr-e2e-1"
    assert first.causationid is None, "the request itself is the cause of the first event"
    assert caused.correlationid == "corr-e2e-1"
    assert caused.causationid == first.id
    assert (first.actor, caused.actor) == ("front_desk:fd-7", "service:kittest")  # the source kit_samples writes as
