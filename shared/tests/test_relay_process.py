"""The outbox relay as a process of its own (`parkgrid relay <service>`), beside an instance without one.

A service instance started with PARKGRID_RELAY=off writes its aggregates with their outbox
entries but publishes nothing; the relay process, built from the service's
`parkgrid.runtimes` entry point with the same environment, publishes them. This is what
lets deployments run the relay apart and the chaos tests kill it independently. Shown with
a real service (spaces) as a uvicorn process through the `Stack`, the real store and Kafka.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from pymongo import AsyncMongoClient

from parkgrid.auth import Role
from parkgrid.envelope import Envelope
from parkgrid.testing.stack import Stack, relay_of

pytest.importorskip("spaces", reason="the relay process is shown with the spaces service")

SITE_ID = "site-relay"
SITE: dict[str, Any] = {
    "site_id": SITE_ID,
    "name": "Technopark Relay",
    "city": "Rabat",
    "country": "MA",
    "time_zone": "Africa/Casablanca",
    "opening_hours": [{"weekday": d, "opens": "08:00", "closes": "19:00"} for d in range(1, 8)],
}


async def _published(stack: Stack, topic: str, subject: str, within: float) -> list[Envelope]:
    """The envelopes about `subject` on the stack's `topic`, read from the start for up to `within` s."""
    consumer = AIOKafkaConsumer(
        stack.topic_prefix + topic, bootstrap_servers=stack.kafka_bootstrap, group_id=None,
        auto_offset_reset="earliest",
    )  # fmt: skip
    await consumer.start()
    found: list[Envelope] = []
    try:
        deadline = time.monotonic() + within
        while not found and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    envelope = Envelope.from_kafka(record.key, record.value, record.headers)
                    if envelope.subject == subject:
                        found.append(envelope)
    finally:
        await consumer.stop()
    return found


async def test_relay_process_publishes_what_an_instance_without_relay_wrote(
    kafka_bootstrap: str, mongodb_uri: str, tmp_path: Path
) -> None:
    stack = Stack(kafka_bootstrap, mongodb_uri, logs=tmp_path, relays=frozenset({"spaces"}))
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_uri)
    sites = mongo[stack.database("spaces")]["sites"]
    try:
        await asyncio.to_thread(stack.start, "spaces", wait=120)
        async with httpx.AsyncClient(timeout=20) as http:
            created = await http.post(f"{stack.url('spaces')}/v1/sites", json=SITE, headers=stack.headers(Role.ADMIN))
        assert created.status_code == 201, created.text

        # The instance has no relay: after well over its poll interval, the event still waits.
        assert await _published(stack, "spaces.site", SITE_ID, within=3.0) == []
        stored = await sites.find_one({"_id": SITE_ID})
        assert stored is not None
        assert len(stored["outbox"]) == 1
        assert stored["outbox_pending"]

        relay = await asyncio.to_thread(stack.start, relay_of("spaces"), wait=60)
        assert relay.port is None
        assert relay.alive()
        published = await _published(stack, "spaces.site", SITE_ID, within=30.0)
        assert [e.type for e in published] == ["parkgrid.spaces.site.registered"], Stack.tail(relay)
        assert published[0].id == stored["outbox"][0]["id"]
        for _ in range(50):  # removed from the outbox once published
            drained = await sites.find_one({"_id": SITE_ID})
            if drained is not None and not drained.get("outbox"):
                break
            await asyncio.sleep(0.2)
        assert drained is not None
        assert drained["outbox"] == []
        assert not drained["outbox_pending"]

        relay.process.terminate()  # SIGTERM: a clean stop, as an orchestrator asks it
        assert await asyncio.to_thread(relay.process.wait, 15) == 0, Stack.tail(relay)
    finally:
        await asyncio.to_thread(stack.stop)
        await asyncio.to_thread(stack.forget)
        await mongo.close()
