"""The consumer runner: at-least-once delivery made safe, poison made harmless.

Rules it enforces for every consumer in ParkGrid:
- an offset is committed only after the handler has stored its effect: what was handled is
  committed every `COMMIT_SECONDS` while records keep coming and at once when they stop (a
  commit per record cost the broker about 1 ms of CPU per record and group; bench/README), so a
  crash redelivers at most that much, as it always could redeliver the record in hand;
- a transient failure (store or broker unreachable) is retried with backoff, as long
  as it lasts, without skipping the message;
- a message that cannot be processed (not an envelope, unknown type or version,
  invalid data, or a handler that keeps failing) goes to `<topic>.dlq` with its origin
  and error in headers, and the partition keeps flowing;
- on shutdown or rebalance, what was processed is committed before letting go.
It also measures (`parkgrid.metrics`: handled, retried and dead-lettered messages, each
partition's lag) and continues the trace the envelope carries (`parkgrid.telemetry`): the
handler runs in a span whose parent is the span that wrote the event.
Handlers must be idempotent (see `parkgrid.projection`): redelivery happens.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaConnectionError, KafkaError, KafkaTimeoutError
from pymongo.errors import ConnectionFailure

from parkgrid.envelope import Envelope, MalformedMessage
from parkgrid.events import EventRegistry, IntegrationEvent
from parkgrid.kafka import client_options, make_producer
from parkgrid.logging import bind_actor, bind_correlation, get_logger
from parkgrid.metrics import DEAD_LETTERED, HANDLE_SECONDS, HANDLED, LAG, RETRIED
from parkgrid.settings import KitSettings
from parkgrid.telemetry import handling
from parkgrid.topics import DLQ_SUFFIX, dead_letter_id

log = get_logger(__name__)


class TransientError(Exception):
    """Raise from a handler for a failure that will pass; the message is retried."""


TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    TransientError,
    ConnectionFailure,
    KafkaConnectionError,
    KafkaTimeoutError,
    TimeoutError,
)


@dataclass(frozen=True)
class Delivery:
    """One message as a handler sees it."""

    envelope: Envelope
    event: IntegrationEvent | None
    topic: str
    partition: int
    offset: int


Handler = Callable[[Delivery], Awaitable[None]]


@dataclass
class Backoff:
    initial: float = 0.1
    maximum: float = 10.0

    def delay(self, attempt: int) -> float:
        base: float = min(self.maximum, self.initial * 2 ** (attempt - 1))
        return base * random.uniform(0.5, 1.0)


Parsed = tuple[Envelope, IntegrationEvent | None]
"""A record as parsed: its envelope, and its event when the consumer has a registry."""

COMMIT_SECONDS = 0.5
"""How long handled records may wait for their offsets' commit while records keep coming."""

FULL_STATE_BATCH = 500
"""Records a `newest_per_key` consumer fetches at a time (the bench's raw catch-up fetches as many)."""


class ConsumerRunner:
    """Runs one consumer group over some topics, feeding a handler one message at a time.

    With `concurrency` > 1, the records of a fetched batch that have different keys are
    handled concurrently (at most that many keys at once), those of one key still one at a
    time in offset order; the batch is committed once all are handled. For handlers whose
    effects per key are independent of other keys (projections keyed by aggregate id).

    With `newest_per_key` too, only the newest valid record of each key in a batch is handled:
    the others are checked (malformed ones still go to the DLQ) and committed unhandled. Only
    for projections of full-state events, where the newest state is all the others would lead
    to: a catch-up from offset 0 then writes each aggregate once per batch, not once per event.
    Such a consumer fetches `FULL_STATE_BATCH` records at a time (others `batch_size`, 200): the
    more of one aggregate's events a batch holds, the fewer writes a catch-up makes.

    With `from_end`, it is a group-less reader: no consumer group at the broker (nothing
    joined, nothing committed), every partition of its topics assigned to it, read from their
    end. For a per-process fan-out (each process must see every new event and none of the
    history); `group_id` then only names it in logs and metrics. A reconnect starts at the end
    again: what was published meanwhile is not seen.
    """

    def __init__(
        self,
        *,
        name: str,
        bootstrap_servers: str,
        group_id: str,
        topics: Sequence[str],
        handler: Handler,
        registry: EventRegistry | None = None,
        max_attempts: int = 5,
        backoff: Backoff | None = None,
        batch_size: int | None = None,
        auto_offset_reset: str = "earliest",
        concurrency: int = 1,
        newest_per_key: bool = False,
        settings: KitSettings | None = None,
        from_end: bool = False,
    ) -> None:
        self.name = name
        self.from_end = from_end
        self.bootstrap_servers = bootstrap_servers
        self.settings = settings  # Kafka security; this process's environment when None
        self.group_id = group_id
        self.topics = list(topics)
        self.handler = handler
        self.registry = registry
        self.max_attempts = max_attempts
        self.backoff = backoff or Backoff()
        self.batch_size = batch_size or (FULL_STATE_BATCH if newest_per_key else 200)
        self.auto_offset_reset = auto_offset_reset
        self.concurrency = max(1, concurrency)
        self.newest_per_key = newest_per_key
        self.superseded_count = 0
        self._stopping = asyncio.Event()
        self._processed: dict[TopicPartition, int] = {}
        self._consumer: AIOKafkaConsumer | None = None
        self.connected = False
        self.processed_count = 0
        self.dead_lettered_count = 0
        self._positions: dict[TopicPartition, int] = {}  # next offset to handle, for the lag gauge
        self._lag_measured_at = 0.0
        self._committed_at = 0.0
        self._handle_seconds = HANDLE_SECONDS.labels(name, group_id)

    # --- lifecycle -------------------------------------------------------------------

    async def run(self) -> None:
        """Consume until `stop()`; reconnects by itself when the broker goes away."""
        attempt = 0
        while not self._stopping.is_set():
            try:
                await self._run_once()
                attempt = 0
            except (KafkaError, OSError) as exc:
                self.connected = False
                attempt += 1
                delay = self.backoff.delay(min(attempt, 8))
                log.warning("consumer.kafka_unavailable", consumer=self.name, error=repr(exc), retry_in=round(delay, 2))
                await self._sleep(delay)

    async def stop(self) -> None:
        self._stopping.set()

    async def _run_once(self) -> None:
        consumer = AIOKafkaConsumer(
            **client_options(self.bootstrap_servers, self.settings),
            group_id=None if self.from_end else self.group_id,
            client_id=f"{self.name}-{self.group_id}",
            enable_auto_commit=False,
            auto_offset_reset="latest" if self.from_end else self.auto_offset_reset,
            isolation_level="read_committed",
            max_poll_interval_ms=600_000,
            # A subscribed topic without metadata yet (created a moment later) is picked up
            # on the next refresh: 15 s rather than aiokafka's default 5 minutes.
            metadata_max_age_ms=15_000,
        )
        producer = make_producer(self.bootstrap_servers, client_id=f"{self.name}-dlq", settings=self.settings)
        await consumer.start()
        try:
            await producer.start()
            self._consumer = consumer
            if self.from_end:
                consumer.subscribe(self.topics)  # without a group: aiokafka assigns it every partition
                await self._at_end(consumer)
            else:
                consumer.subscribe(self.topics, listener=_CommitOnRevoke(self))
            self.connected = True
            log.info("consumer.started", consumer=self.name, group=self.group_id, topics=self.topics)
            while not self._stopping.is_set():
                batches = await consumer.getmany(timeout_ms=500, max_records=self.batch_size)
                for tp, records in batches.items():
                    if self.concurrency > 1:
                        await self._process_by_key(tp, records, producer)
                    else:
                        for record in records:
                            if self._stopping.is_set():
                                break
                            if not await self._process(record, producer):
                                break  # stopping mid-retry: this record stays uncommitted
                            self._processed[tp] = record.offset + 1
                    if tp in self._processed:
                        self._positions[tp] = self._processed[tp]
                await self._commit_lately(consumer, idle=not batches)
                await self._measure_lag(consumer, idle=not batches)
        finally:
            self.connected = False
            self._forget_lag(list(self._positions))
            try:
                await self._commit(consumer, list(self._processed))
            except KafkaError as exc:
                log.warning("consumer.final_commit_failed", consumer=self.name, error=repr(exc))
            self._consumer = None
            await consumer.stop()
            await producer.stop()
            log.info("consumer.stopped", consumer=self.name)

    async def _at_end(self, consumer: AIOKafkaConsumer) -> None:
        """Once every topic's partitions are assigned (the runtime created them), their end is the
        position: what is published from now on is read, nothing before."""
        async with asyncio.timeout(30):
            while {tp.topic for tp in consumer.assignment()} != set(self.topics):
                await asyncio.sleep(0.1)
        partitions = list(consumer.assignment())
        await consumer.seek_to_end(*partitions)
        for tp in partitions:
            await consumer.position(tp)

    async def _measure_lag(self, consumer: AIOKafkaConsumer, *, idle: bool) -> None:
        """Set the lag gauge of each assigned partition: at most once a second while busy, at once when idle.

        Cheap: the high watermark comes with every fetch response and the position is the
        offset after the last handled record (or the fetch position before any), both local.
        """
        now = time.monotonic()
        if not idle and now - self._lag_measured_at < 1.0:
            return
        self._lag_measured_at = now
        for tp in consumer.assignment():
            highwater = consumer.highwater(tp)
            if highwater is None:
                continue  # no fetch answered yet for this partition
            position = self._positions.get(tp)
            if position is None:
                position = await consumer.position(tp)
                self._positions[tp] = position
            LAG.labels(self.group_id, tp.topic, str(tp.partition)).set(max(0, highwater - position))

    def _forget_lag(self, partitions: Sequence[TopicPartition]) -> None:
        """Partitions this member no longer reads: their lag is another member's to report."""
        for tp in partitions:
            self._positions.pop(tp, None)
            with contextlib.suppress(KeyError):
                LAG.remove(self.group_id, tp.topic, str(tp.partition))

    async def _commit_lately(self, consumer: AIOKafkaConsumer, *, idle: bool) -> None:
        """Commit what was handled at most every `COMMIT_SECONDS` while busy, at once when idle."""
        now = time.monotonic()
        if not self._processed or (not idle and now - self._committed_at < COMMIT_SECONDS):
            return
        self._committed_at = now
        await self._commit(consumer, list(self._processed))

    async def _commit(self, consumer: AIOKafkaConsumer, partitions: Sequence[TopicPartition]) -> None:
        offsets = {tp: self._processed.pop(tp) for tp in partitions if tp in self._processed}
        if offsets and not self.from_end:  # a group-less reader has no group to commit to
            await consumer.commit(offsets)

    async def _process_by_key(
        self, tp: TopicPartition, records: Sequence[ConsumerRecord[bytes, bytes]], producer: AIOKafkaProducer
    ) -> None:
        """Up to `concurrency` keys at once, each key's records in offset order.

        What is committed is the longest prefix of the batch whose records were all handled
        (or dead-lettered): a record left undone by a stop keeps itself and everything after
        it uncommitted, so later records that did run are redelivered (handlers are idempotent).
        """
        by_key: dict[bytes | None, list[ConsumerRecord[bytes, bytes]]] = {}
        for record in records:
            by_key.setdefault(record.key, []).append(record)
        done: set[int] = set()
        gate = asyncio.Semaphore(self.concurrency)

        async def run_key(chain: list[ConsumerRecord[bytes, bytes]]) -> None:
            async with gate:
                parsed: Parsed | None = None
                if self.newest_per_key and len(chain) > 1:
                    chain, parsed = await self._newest_valid(chain, producer, done)
                for record in chain:
                    if self._stopping.is_set() or not await self._process(record, producer, parsed):
                        return
                    done.add(record.offset)

        await asyncio.gather(*(run_key(chain) for chain in by_key.values()))
        for record in records:
            if record.offset not in done:
                break
            self._processed[tp] = record.offset + 1

    async def _newest_valid(
        self, chain: list[ConsumerRecord[bytes, bytes]], producer: AIOKafkaProducer, done: set[int]
    ) -> tuple[list[ConsumerRecord[bytes, bytes]], Parsed | None]:
        """Of one key's records, the newest state that parses (as a one-record chain, with what it
        parsed to, so it is not parsed again); the others are marked done: the malformed after
        going to the DLQ, the valid as superseded.

        Newest by the envelope's sequence (the aggregate's version), not by offset: a late or
        replayed older event may come after a newer one.
        """
        newest: tuple[ConsumerRecord[bytes, bytes], Parsed] | None = None
        valid = 0
        for record in chain:
            try:
                envelope = Envelope.from_kafka(record.key, record.value, record.headers)
                event = self.registry.parse(envelope) if self.registry is not None else None
            except MalformedMessage as exc:
                await self._dead_letter(record, producer, exc)
                done.add(record.offset)
                continue
            valid += 1
            if newest is None or envelope.sequence >= newest[1][0].sequence:
                newest = (record, (envelope, event))
        for record in chain:
            if newest is not None and record is not newest[0]:
                done.add(record.offset)
        self.superseded_count += max(0, valid - 1)
        return ([], None) if newest is None else ([newest[0]], newest[1])

    # --- one message -----------------------------------------------------------------

    async def _process(
        self, record: ConsumerRecord[bytes, bytes], producer: AIOKafkaProducer, parsed: Parsed | None = None
    ) -> bool:
        """Handle or dead-letter one record (`parsed`: what it parses to, when that is known already);
        False if told to stop before either happened."""
        try:
            if parsed is None:
                envelope = Envelope.from_kafka(record.key, record.value, record.headers)
                parsed = envelope, self.registry.parse(envelope) if self.registry is not None else None
            envelope, event = parsed
        except MalformedMessage as exc:
            await self._dead_letter(record, producer, exc)
            return True
        bind_correlation(envelope.correlationid, envelope.id)
        bind_actor(None)  # what a handler causes is the service's own work
        delivery = Delivery(envelope, event, record.topic, record.partition, record.offset)
        started = time.perf_counter()
        attributes = {
            "messaging.system": "kafka",
            "messaging.operation.type": "process",
            "messaging.destination.name": record.topic,
            "messaging.consumer.group.name": self.group_id,
            "messaging.kafka.offset": record.offset,
            "messaging.destination.partition.id": str(record.partition),
            "messaging.message.id": envelope.id,
            "cloudevents.event_type": envelope.type,
            "cloudevents.event_subject": envelope.subject,
        }
        try:
            with handling(f"process {envelope.type}", envelope.traceparent, envelope.tracestate, attributes):
                return await self._handle_with_retries(delivery, record, producer)
        finally:
            bind_correlation(None, None)
            bind_actor(None)
            self._handle_seconds.observe(time.perf_counter() - started)

    async def _handle_with_retries(
        self, delivery: Delivery, record: ConsumerRecord[bytes, bytes], producer: AIOKafkaProducer
    ) -> bool:
        failures = 0
        transient = 0
        while not self._stopping.is_set():
            try:
                await self.handler(delivery)
                self.processed_count += 1
                HANDLED.labels(self.name, self.group_id, delivery.envelope.type).inc()
                return True
            except MalformedMessage as exc:
                await self._dead_letter(record, producer, exc)
                return True
            except TRANSIENT_ERRORS as exc:
                transient += 1
                RETRIED.labels(self.name, self.group_id, delivery.envelope.type, "transient").inc()
                delay = self.backoff.delay(min(transient, 8))
                log.warning(
                    "consumer.transient_failure",
                    consumer=self.name,
                    topic=record.topic,
                    offset=record.offset,
                    error=repr(exc),
                    retry_in=round(delay, 2),
                )
                await self._sleep(delay)
            except Exception as exc:  # a handler bug must not stall the partition forever
                failures += 1
                if failures >= self.max_attempts:
                    await self._dead_letter(record, producer, exc)
                    return True
                RETRIED.labels(self.name, self.group_id, delivery.envelope.type, "error").inc()
                delay = self.backoff.delay(failures)
                log.warning(
                    "consumer.handler_failed",
                    consumer=self.name,
                    topic=record.topic,
                    offset=record.offset,
                    attempt=failures,
                    error=repr(exc),
                    retry_in=round(delay, 2),
                )
                await self._sleep(delay)
        return False

    async def _dead_letter(
        self, record: ConsumerRecord[bytes, bytes], producer: AIOKafkaProducer, error: BaseException
    ) -> None:
        headers = [(k, v) for k, v in (record.headers or ()) if not k.startswith("dlq_")]
        headers += [
            ("dlq_origin_topic", record.topic.encode()),
            ("dlq_origin_partition", str(record.partition).encode()),
            ("dlq_origin_offset", str(record.offset).encode()),
            ("dlq_consumer_group", self.group_id.encode()),
            # Deterministic: killed between this write and the offset commit, the consumer
            # dead-letters the same record again with the same id; readers count it once.
            ("dlq_id", dead_letter_id(record.topic, record.partition, record.offset, self.group_id).encode()),
            ("dlq_error_class", type(error).__name__.encode()),
            ("dlq_error", str(error)[:2000].encode()),
            ("dlq_failed_at", datetime.now(UTC).isoformat().encode()),
        ]
        attempt = 0
        while True:
            try:
                await producer.send_and_wait(
                    record.topic + DLQ_SUFFIX, value=record.value, key=record.key, headers=headers
                )
                break
            except TRANSIENT_ERRORS as exc:
                attempt += 1
                log.warning("consumer.dlq_publish_retry", consumer=self.name, error=repr(exc))
                await asyncio.sleep(self.backoff.delay(min(attempt, 8)))
        self.dead_lettered_count += 1
        DEAD_LETTERED.labels(self.name, self.group_id, self._known_type(record)).inc()
        log.error(
            "consumer.dead_lettered",
            consumer=self.name,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            error_class=type(error).__name__,
            error=str(error)[:500],
        )

    def _known_type(self, record: ConsumerRecord[bytes, bytes]) -> str:
        """The record's `ce_type` if the registry knows it, else `unknown`: a label must not take
        whatever a malformed record says (unbounded series)."""
        for name, value in record.headers or ():
            if name == "ce_type":
                try:
                    event_type = str(value.decode())
                except (UnicodeDecodeError, AttributeError):
                    break
                if self.registry is not None and self.registry.knows(event_type):
                    return event_type
                break
        return "unknown"

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)


class _CommitOnRevoke(ConsumerRebalanceListener):  # type: ignore[misc]
    """Commit what was processed before partitions move to another member."""

    def __init__(self, runner: ConsumerRunner) -> None:
        self.runner = runner

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        consumer = self.runner._consumer
        if consumer is not None:
            try:
                await self.runner._commit(consumer, list(revoked))
            except KafkaError as exc:
                log.warning("consumer.revoke_commit_failed", consumer=self.runner.name, error=repr(exc))
        self.runner._forget_lag(list(revoked))

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        log.info(
            "consumer.assigned", consumer=self.runner.name, partitions=[f"{tp.topic}:{tp.partition}" for tp in assigned]
        )
