"""Reading and re-injecting dead letters (`<topic>.dlq`).

A dead letter keeps the original key, value and headers, plus `dlq_*` headers saying
where it came from and why it failed. Redrive sends it back to its origin topic once
the cause is fixed; a consumer group of its own remembers what was redriven, so each
dead letter goes back once.

The DLQ write and the offset commit of the failed record are two steps: a consumer killed
between them dead-letters the record again after its restart. Both copies carry the same
`dlq_id` (source topic, partition, offset and group, see `topics.dead_letter_id`), so the
list shows it once and redrive re-injects one source record once, however many copies (or
groups' failures) of it the DLQ holds.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from parkgrid.kafka import client_options, make_producer, rewind
from parkgrid.topics import DLQ_SUFFIX, dead_letter_id, partitions_of

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

    @property
    def source(self) -> tuple[str, str, str] | None:
        """The record that failed (topic, partition, offset), when the headers say."""
        topic, partition, offset = (self.header(f"dlq_origin_{n}") for n in ("topic", "partition", "offset"))
        if topic is None or partition is None or offset is None:
            return None
        return (topic, partition, offset)

    @property
    def identity(self) -> str:
        """Equal for the copies of one failure; dead letters written before `dlq_id` existed
        derive it from their origin headers, and one without them is its own DLQ position."""
        given = self.header("dlq_id")
        if given is not None:
            return given
        source = self.source
        group = self.header("dlq_consumer_group") or ""
        if source is not None and source[1].isdigit() and source[2].isdigit():
            return dead_letter_id(source[0], int(source[1]), int(source[2]), group)
        return f"dlq/{self.partition}@{self.offset}"

    @property
    def redrive_key(self) -> str:
        """What one re-injection serves: the source record, for every group that failed on it."""
        source = self.source
        return "/".join(source) if source is not None else self.identity


def distinct(letters: list[DeadLetter]) -> list[DeadLetter]:
    """The first copy of each dead letter (by `identity`), in DLQ order."""
    seen: set[str] = set()
    out = []
    for letter in letters:
        if letter.identity not in seen:
            seen.add(letter.identity)
            out.append(letter)
    return out


def dlq_name(topic: str) -> str:
    return topic if topic.endswith(DLQ_SUFFIX) else topic + DLQ_SUFFIX


async def read_dead_letters(
    bootstrap_servers: str, topic: str, *, limit: int = 1000, copies: bool = False
) -> list[DeadLetter]:
    """Every dead letter of a topic from the beginning (read-only, commits nothing).

    One per failure (`distinct`) unless `copies`: then every record of the DLQ, as stored."""
    name = dlq_name(topic)
    admin = AIOKafkaAdminClient(**client_options(bootstrap_servers))
    await admin.start()
    try:
        numbers = (await partitions_of(admin, [name])).get(name, [])
    finally:
        await admin.close()
    if not numbers:
        return []
    partitions = [TopicPartition(name, p) for p in numbers]
    consumer = AIOKafkaConsumer(**client_options(bootstrap_servers), enable_auto_commit=False, group_id=None)
    await consumer.start()
    try:
        consumer.assign(partitions)
        await rewind(consumer, partitions)
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
        ordered = sorted(letters, key=lambda d: (d.partition, d.offset))
        return ordered if copies else distinct(ordered)
    finally:
        await consumer.stop()


async def redrive(bootstrap_servers: str, topic: str) -> int:
    """Send every not-yet-redriven dead letter of `topic` back to its origin; returns the count.

    The partitions are assigned, not subscribed: the redrive group only stores offsets and
    never rebalances, so redrives of different topics (one group for all) can run at once.
    It sends what the DLQ held when it started; what arrives meanwhile waits for the next run.
    A source record goes back once: copies of it in this run are skipped, and so are copies
    arriving after an earlier run redrove it (the DLQ is read from its start to know which;
    DLQs stay small).
    """
    name = dlq_name(topic)
    admin = AIOKafkaAdminClient(**client_options(bootstrap_servers))
    await admin.start()
    try:
        numbers = (await partitions_of(admin, [name])).get(name, [])
    finally:
        await admin.close()
    if not numbers:
        return 0
    partitions = [TopicPartition(name, p) for p in numbers]
    consumer = AIOKafkaConsumer(
        **client_options(bootstrap_servers),
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
        done_up_to = {tp: await consumer.committed(tp) or 0 for tp in partitions}
        await rewind(consumer, partitions)
        redriven: set[str] = set()
        waiting: list[DeadLetter] = []
        pending = [tp for tp in partitions if end[tp] > 0]
        while pending:
            batch = await consumer.getmany(*pending, timeout_ms=2000, max_records=500)
            for tp, records in batch.items():
                for r in records:
                    if r.offset >= end[tp]:
                        continue
                    letter = DeadLetter(r.partition, r.offset, r.key, r.value, list(r.headers or ()))
                    if r.offset < done_up_to[tp]:
                        redriven.add(letter.redrive_key)
                    else:
                        waiting.append(letter)
            pending = [tp for tp in pending if await consumer.position(tp) < end[tp]]
        for letter in sorted(waiting, key=lambda d: (d.partition, d.offset)):
            if letter.redrive_key in redriven:
                continue
            origin = letter.origin_topic or name.removesuffix(DLQ_SUFFIX)
            await producer.send_and_wait(
                origin, value=letter.value, key=letter.key, headers=[*letter.original_headers(), ("dlq_redriven", b"1")]
            )
            redriven.add(letter.redrive_key)
            count += 1
        progress = {tp: end[tp] for tp in partitions if end[tp] > done_up_to[tp]}
        if progress:
            await consumer.commit(progress)
        return count
    finally:
        await consumer.stop()
        await producer.stop()
