"""The producer every ParkGrid process publishes with.

aiokafka defaults to acks=1 without idempotence; an accepted command must never be
lost nor its event duplicated by a producer retry, so we always ask for acks=all and
the idempotent producer, explicitly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.helpers import create_ssl_context
from aiokafka.structs import RecordMetadata

from parkgrid.envelope import Envelope
from parkgrid.settings import KitSettings


def client_options(bootstrap_servers: str, settings: KitSettings | None = None) -> dict[str, Any]:
    """The connection arguments of every aiokafka client the kit builds (producer, consumer, admin).

    The one place that turns `KAFKA_SECURITY_PROTOCOL`, `KAFKA_SASL_*` and `KAFKA_SSL_CAFILE`
    into aiokafka's arguments, so that no client can be left connecting in plaintext to a
    SASL/SCRAM cluster (deploy/production). `settings` defaults to this process's environment,
    which is where a deployed service's settings come from. PLAINTEXT adds nothing.
    """
    settings = settings if settings is not None else KitSettings()
    options: dict[str, Any] = {"bootstrap_servers": bootstrap_servers}
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return options
    options["security_protocol"] = protocol
    if protocol in ("SSL", "SASL_SSL"):
        options["ssl_context"] = create_ssl_context(cafile=settings.kafka_ssl_cafile)
    if protocol.startswith("SASL_"):
        if not settings.kafka_sasl_username or settings.kafka_sasl_password is None:
            raise ValueError(f"KAFKA_SECURITY_PROTOCOL={protocol} needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD")
        options["sasl_mechanism"] = settings.kafka_sasl_mechanism
        options["sasl_plain_username"] = settings.kafka_sasl_username
        options["sasl_plain_password"] = settings.kafka_sasl_password.get_secret_value()
    return options


def make_producer(
    bootstrap_servers: str,
    *,
    client_id: str = "parkgrid",
    linger_ms: int = 5,
    settings: KitSettings | None = None,
) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        **client_options(bootstrap_servers, settings),
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


async def rewind(consumer: AIOKafkaConsumer, partitions: Iterable[TopicPartition]) -> dict[TopicPartition, int]:
    """Put assigned partitions at their first offset, by explicit seeks; return those offsets.

    aiokafka's `seek_to_beginning` only requests a reset, and the reset a fresh assignment
    starts by itself (aiokafka's default policy is "latest") could complete after it: a replay
    then began at the end and read nothing (seen 1 run in 7 of insights' rebuild test).
    """
    begins: dict[TopicPartition, int] = await consumer.beginning_offsets(list(partitions))
    for tp, offset in begins.items():
        consumer.seek(tp, offset)
    return begins
