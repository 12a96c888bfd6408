"""Reading and re-injecting dead letters (`<topic>.dlq`).

A dead letter keeps the original key, value and headers, plus `dlq_*` headers saying
where it came from and why it failed. Redrive sends it back to its origin topic once
the cause is fixed; a consumer group of its own remembers what was redriven, so each
dead letter goes back once.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from parkgrid.kafka import make_producer
from parkgrid.topics import DLQ_SUFFIX, partitions_of

REDRIVE_GROUP = "parkgrid.dlq-redrive"


@dataclass(frozen=True)
class DeadLetter:
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value.decode(errors="replace")
        return None

    @property
    def origin_topic(self) -> str | None:
        return self.header("dlq_origin_topic")

    @property
    def error(self) -> str | None:
        return self.header("dlq_error")

    def original_headers(self) -> list[tuple[str, bytes]]:
        return [(k, v) for k, v in self.headers if not k.startswith("dlq_")]


def dlq_name(topic: str) -> str:
    return topic if topic.endswith(DLQ_SUFFIX) else topic + DLQ_SUFFIX


async def read_dead_letters(bootstrap_servers: str, topic: str, *, limit: int = 1000) -> list[DeadLetter]:
    """Every dead letter of a topic from the beginning (read-only, commits nothing)."""
    name = dlq_name(topic)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        numbers = (await partitions_of(admin, [name])).get(name, [])
    finally:
        await admin.close()
    if not numbers:
        return []
    partitions = [TopicPartition(name, p) for p in numbers]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False, group_id=None)
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        letters: list[DeadLetter] = []

        async def behind() -> bool:
            return any([await consumer.position(tp) < end[tp] for tp in partitions])

        while len(letters) < limit and await behind():
            batch = await consumer.getmany(timeout_ms=1000, max_records=limit - len(letters))
            for records in batch.values():
                letters.extend(
                    DeadLetter(r.partition, r.offset, r.key, r.value, list(r.headers or ())) for r in records
                )
        return sorted(letters, key=lambda d: (d.partition, d.offset))
    finally:
        await consumer.stop()


async def redrive(bootstrap_servers: str, topic: str) -> int:
    """Send every not-yet-redriven dead letter of `topic` back to its origin; returns the count.

    The partitions are assigned, not subscribed: the redrive group only stores offsets and
    never rebalances, so redrives of different topics (one group for all) can run at once.
    It sends what the DLQ held when it started; what arrives meanwhile waits for the next run.
    """
    name = dlq_name(topic)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        numbers = (await partitions_of(admin, [name])).get(name, [])
    finally:
        await admin.close()
    if not numbers:
        return 0
    partitions = [TopicPartition(name, p) for p in numbers]
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        group_id=REDRIVE_GROUP,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    producer = make_producer(bootstrap_servers, client_id="parkgrid-redrive")
    await consumer.start()
    await producer.start()
    count = 0
    try:
        consumer.assign(partitions)
        end = await consumer.end_offsets(partitions)
        pending = [tp for tp in partitions if await consumer.position(tp) < end[tp]]
        while pending:
            batch = await consumer.getmany(*pending, timeout_ms=2000, max_records=500)
            for tp, records in batch.items():
                records = [r for r in records if r.offset < end[tp]]
                for r in records:
                    letter = DeadLetter(r.partition, r.offset, r.key, r.value, list(r.headers or ()))
                    origin = letter.origin_topic or name.removesuffix(DLQ_SUFFIX)
                    await producer.send_and_wait(
                        origin, value=r.value, key=r.key, headers=[*letter.original_headers(), ("dlq_redriven", b"1")]
                    )
                    count += 1
                if records:
                    await consumer.commit({tp: records[-1].offset + 1})
            pending = [tp for tp in pending if await consumer.position(tp) < end[tp]]
        return count
    finally:
        await consumer.stop()
        await producer.stop()
