"""A minimal subscriber to ParkGrid's events: aiokafka and the CloudEvents SDK, nothing else.

Copy this file and requirements.txt into your project; no ParkGrid code is needed. It

- reads CloudEvents (Kafka binary binding: `ce_*` headers, JSON value, key = aggregate id),
- prints one line per event, dispatches on `type`, ignores types it does not know,
- skips (and logs) records that are not CloudEvents instead of stopping,
- drops duplicates and stale redeliveries by keeping the highest `sequence` per subject,
- commits offsets only after handling (at-least-once), and stops cleanly on SIGINT/SIGTERM.

    python subscriber.py --bootstrap-servers 127.0.0.1:9092 --topic bookings.booking --from-beginning

Settings can also come from the environment: KAFKA_BOOTSTRAP_SERVERS, SUBSCRIBER_TOPICS
(comma-separated), SUBSCRIBER_GROUP_ID.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from cloudevents.core.base import BaseCloudEvent
from cloudevents.core.bindings.kafka import KafkaMessage, from_kafka
from cloudevents.core.formats.json import JSONFormat

log = logging.getLogger("subscriber")

Handler = Callable[[BaseCloudEvent], Awaitable[None]]


# --- what this subscriber does with each type it knows --------------------------------
#
# Replace these with your own effects. Store the effect and the event's sequence for its
# subject together (one update guarded by "stored sequence < this sequence"), so that a
# redelivered or replayed event changes nothing. The types each topic carries are listed
# in shared/contracts/ (JSON Schemas and the AsyncAPI document).


async def on_booking_changed(event: BaseCloudEvent) -> None:
    """Example effect: here we only print; a real subscriber would update its own store."""


async def on_booking_ended(event: BaseCloudEvent) -> None:
    """Example effect for other types (e.g. drop the booking from your own view)."""


HANDLERS: dict[str, Handler] = {
    "parkgrid.bookings.booking.requested": on_booking_changed,
    "parkgrid.bookings.booking.confirmed": on_booking_changed,
    "parkgrid.bookings.booking.checked_in": on_booking_changed,
    "parkgrid.bookings.booking.completed": on_booking_changed,
    "parkgrid.bookings.booking.rejected": on_booking_ended,
    "parkgrid.bookings.booking.cancelled": on_booking_ended,
    "parkgrid.bookings.booking.no_show": on_booking_ended,
}
"""Dispatch table: CloudEvents `type` -> handler. Any other type is printed as `ignored`
and skipped: producers add new types over time, and a subscriber must not stop for them."""


# --- reading records ----------------------------------------------------------------

JSON = JSONFormat()


def to_cloudevent(headers: list[tuple[str, bytes]], key: bytes | None, value: bytes | None) -> BaseCloudEvent:
    """The record as a CloudEvent (binary or structured mode); raise ValueError if it is not one."""
    names = {name.lower() for name, _ in headers}
    structured = any(
        name.lower() == "content-type" and isinstance(raw, bytes) and raw.startswith(b"application/cloudevents")
        for name, raw in headers
    )
    if "ce_specversion" not in names and not structured:
        raise ValueError("no ce_specversion header: not a CloudEvent")
    try:
        return from_kafka(KafkaMessage(headers=dict(headers), key=key, value=value or b""), JSON)
    except Exception as exc:  # the SDK raises several kinds; all mean "not a usable CloudEvent"
        raise ValueError(f"unreadable CloudEvent: {type(exc).__name__}: {exc}") from exc


def summary(data: Any, limit: int = 120) -> str:
    """A short one-line view of the data: top-level fields, nested values abbreviated."""
    if isinstance(data, dict):
        parts = []
        for name, value in data.items():
            if isinstance(value, dict):
                shown = "{…}"
            elif isinstance(value, list):
                shown = f"[{len(value)}]"
            else:
                shown = json.dumps(value, ensure_ascii=False, default=str)
            parts.append(f"{name}={shown}")
        text = "{" + ", ".join(parts) + "}"
    elif isinstance(data, bytes):
        text = f"<{len(data)} bytes>"
    else:
        text = json.dumps(data, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(outcome: str, event: BaseCloudEvent) -> str:
    time = event.get_time()
    return " ".join(
        [
            outcome,
            event.get_type(),
            f"subject={event.get_subject() or event.get_extension('partitionkey')}",
            f"sequence={sequence_of(event)}",
            f"time={time.isoformat() if time else '-'}",
            f"correlationid={event.get_extension('correlationid') or '-'}",
            f"id={event.get_id()}",
            f"data={summary(event.get_data())}",
        ]
    )


def sequence_of(event: BaseCloudEvent) -> int | None:
    """ParkGrid's `sequence` is the aggregate's version, a decimal integer: compare it as a number."""
    raw = event.get_extension("sequence")
    try:
        return int(raw) if raw is not None else None
    except (TypeError, ValueError):
        return None


class Subscriber:
    def __init__(self, consumer: AIOKafkaConsumer, max_events: int) -> None:
        self.consumer = consumer
        self.max_events = max_events
        self.events = 0
        self.stopping = asyncio.Event()
        self.latest: dict[str, int] = {}
        """Highest sequence seen per subject. In memory here; keep it beside your effect in real code."""

    def stop(self) -> None:
        self.stopping.set()

    async def handle(self, event: BaseCloudEvent) -> None:
        subject = event.get_subject() or str(event.get_extension("partitionkey") or "")
        sequence = sequence_of(event)
        if sequence is not None and subject and sequence <= self.latest.get(subject, -1):
            print(describe("duplicate", event), flush=True)  # at-least-once: seen already, or older
            return
        handler = HANDLERS.get(event.get_type())
        if handler is None:
            print(describe("ignored", event), flush=True)
        else:
            await handler(event)
            print(describe("handled", event), flush=True)
        if sequence is not None and subject:
            self.latest[subject] = sequence

    async def run(self) -> None:
        while not self.stopping.is_set():
            batches = await self.consumer.getmany(timeout_ms=500, max_records=100)
            done: dict[TopicPartition, int] = {}
            try:
                for tp, records in batches.items():
                    for record in records:
                        if self.stopping.is_set():
                            break
                        try:
                            event = to_cloudevent(list(record.headers), record.key, record.value)
                        except ValueError as exc:
                            log.warning(
                                "skipped record %s[%d]@%d: %s", record.topic, record.partition, record.offset, exc
                            )
                        else:
                            await self.handle(event)
                            self.events += 1
                            if self.max_events and self.events >= self.max_events:
                                self.stop()
                        done[tp] = record.offset + 1  # handled (or skipped for good): commit past it
            finally:
                await self.commit(done)

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        if not offsets:
            return
        try:
            await self.consumer.commit(offsets)
        except (CommitFailedError, KafkaError) as exc:
            # A rebalance took the partition away: its next owner re-reads from the last
            # commit. Harmless, because handling is idempotent (at-least-once).
            log.warning("commit failed, these records will be delivered again: %s", exc)


# --- command line -------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    env = os.environ
    parser = argparse.ArgumentParser(description="Print and handle ParkGrid events (CloudEvents over Kafka).")
    parser.add_argument(
        "--bootstrap-servers",
        default=env.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
        help="Kafka bootstrap servers (env KAFKA_BOOTSTRAP_SERVERS; default %(default)s)",
    )
    parser.add_argument(
        "--topic",
        dest="topics",
        action="append",
        help="topic to read; repeat for several (env SUBSCRIBER_TOPICS, comma-separated; default bookings.booking)",
    )
    parser.add_argument(
        "--group-id",
        default=env.get("SUBSCRIBER_GROUP_ID", "example-subscriber"),
        help="consumer group; its committed offsets say where to resume (env SUBSCRIBER_GROUP_ID; default %(default)s)",
    )
    parser.add_argument(
        "--from-beginning",
        action="store_true",
        help="a group with no committed offset starts at the oldest record instead of the newest",
    )
    parser.add_argument("--max-events", type=int, default=0, help="stop after N CloudEvents (0: run until signalled)")
    parser.add_argument("--log-level", default="INFO", help="logging level on stderr (default %(default)s)")
    args = parser.parse_args(argv)
    if not args.topics:
        args.topics = [t.strip() for t in env.get("SUBSCRIBER_TOPICS", "bookings.booking").split(",") if t.strip()]
    if args.max_events < 0:
        parser.error("--max-events must be 0 or more")
    return args


async def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    consumer = AIOKafkaConsumer(
        *args.topics,
        bootstrap_servers=args.bootstrap_servers,
        group_id=args.group_id,
        client_id=args.group_id,
        enable_auto_commit=False,  # we commit ourselves, after handling
        auto_offset_reset="earliest" if args.from_beginning else "latest",
    )
    subscriber = Subscriber(consumer, args.max_events)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, subscriber.stop)
    starting = asyncio.create_task(consumer.start())
    stopped = asyncio.create_task(subscriber.stopping.wait())
    await asyncio.wait({starting, stopped}, return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    if not starting.done():  # signalled while still connecting
        starting.cancel()
        await asyncio.gather(starting, return_exceptions=True)
        await consumer.stop()
        return 0
    if starting.exception() is not None:
        log.error("cannot reach Kafka at %s: %s", args.bootstrap_servers, starting.exception())
        await consumer.stop()
        return 1
    log.info("subscribed to %s as group %s", ", ".join(args.topics), args.group_id)
    try:
        await subscriber.run()
    finally:
        await consumer.stop()  # leaves the group at once, so its partitions move without delay
    log.info("stopped after %d events", subscriber.events)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
