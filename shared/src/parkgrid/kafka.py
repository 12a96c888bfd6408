"""The producer every ParkGrid process publishes with.

aiokafka defaults to acks=1 without idempotence; an accepted command must never be
lost nor its event duplicated by a producer retry, so we always ask for acks=all and
the idempotent producer, explicitly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from aiokafka import AIOKafkaProducer
from aiokafka.structs import RecordMetadata

from parkgrid.envelope import Envelope


def make_producer(bootstrap_servers: str, *, client_id: str = "parkgrid", linger_ms: int = 5) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=linger_ms,
        request_timeout_ms=30_000,
        retry_backoff_ms=200,
    )


class EventPublisher:
    """Publishes envelopes with the Kafka binding of `parkgrid.envelope`."""

    def __init__(self, producer: AIOKafkaProducer, topic_prefix: str = "") -> None:
        self.producer = producer
        self.topic_prefix = topic_prefix

    async def publish(self, topic: str, envelope: Envelope) -> RecordMetadata:
        return await self.producer.send_and_wait(
            self.topic_prefix + topic,
            value=envelope.kafka_value(),
            key=envelope.kafka_key(),
            headers=envelope.kafka_headers(),
        )

    async def publish_many(self, items: Iterable[tuple[str, Envelope]]) -> list[RecordMetadata]:
        """Send in order and wait for all acks; per-key order is kept by the idempotent producer."""
        futures = [
            await self.producer.send(
                self.topic_prefix + topic,
                value=envelope.kafka_value(),
                key=envelope.kafka_key(),
                headers=envelope.kafka_headers(),
            )
            for topic, envelope in items
        ]
        return list(await asyncio.gather(*futures))
