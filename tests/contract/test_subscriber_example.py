"""examples/subscriber/ works against the real broker, as a team that copies it would run it.

The example is run as a separate process with only its own arguments: it must print the
kit's events in order, survive records that are not CloudEvents, drop a redelivery,
ignore a type it does not know, commit what it handled and stop cleanly on a signal.
"""

from __future__ import annotations

import ast
import asyncio
import signal
import sys
import uuid
from pathlib import Path

from aiokafka import AIOKafkaProducer

from parkgrid.envelope import Envelope
from parkgrid.events import EventRegistry, IntegrationEvent
from parkgrid.kafka import EventPublisher, make_producer
from parkgrid.logging import bind_correlation
from parkgrid.testing.plugin import CreateTopics
from parkgrid.topics import TopicSpec

SUBSCRIBER = Path(__file__).resolve().parents[2] / "examples" / "subscriber" / "subscriber.py"
BOOKINGS = TopicSpec(name="bookings.booking", partitions=3)
TIMEOUT = 90

registry = EventRegistry()


class _Booking(IntegrationEvent):
    booking_id: str
    status: str
    seats: int


@registry.register
class BookingRequested(_Booking):
    event_type = "parkgrid.bookings.booking.requested"


@registry.register
class BookingConfirmed(_Booking):
    event_type = "parkgrid.bookings.booking.confirmed"


@registry.register
class BookingCancelled(_Booking):
    event_type = "parkgrid.bookings.booking.cancelled"


@registry.register
class SomethingNew(IntegrationEvent):
    """A type published after the subscriber was written: it must be ignored, not fatal."""

    event_type = "parkgrid.bookings.booking.teleported"
    where: str


def _envelope(event: IntegrationEvent, subject: str, sequence: int) -> Envelope:
    bind_correlation(f"corr-{subject}-{sequence}", None)
    try:
        return registry.envelope(event, source="bookings", subject=subject, sequence=sequence)
    finally:
        bind_correlation(None, None)


def _booking(model: type[_Booking], booking_id: str, sequence: int, status: str) -> Envelope:
    return _envelope(model(booking_id=booking_id, status=status, seats=2), booking_id, sequence)


async def _publish(kafka: str, prefix: str, envelopes: list[Envelope]) -> None:
    producer = make_producer(kafka)
    await producer.start()
    try:
        publisher = EventPublisher(producer, prefix)
        for envelope in envelopes:
            await publisher.publish(BOOKINGS.name, envelope)
    finally:
        await producer.stop()


async def _produce_raw(kafka: str, topic: str, key: bytes, value: bytes, headers: list[tuple[str, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=kafka, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, value=value, key=key, headers=headers)
    finally:
        await producer.stop()


async def _start(kafka: str, topic: str, group: str, *extra: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *(sys.executable, str(SUBSCRIBER), "--bootstrap-servers", kafka, "--topic", topic, "--group-id", group),
        *extra,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def _run_to_end(proc: asyncio.subprocess.Process) -> tuple[list[str], str]:
    try:
        out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    except TimeoutError:
        proc.kill()
        out, err = await proc.communicate()
        raise AssertionError(f"subscriber did not stop in {TIMEOUT}s\n{out.decode()}\n{err.decode()}") from None
    assert proc.returncode == 0, f"exit {proc.returncode}\n{out.decode()}\n{err.decode()}"
    return out.decode().splitlines(), err.decode()


def _lines_about(lines: list[str], envelope: Envelope) -> list[str]:
    return [line for line in lines if f"id={envelope.id}" in line]


def test_the_example_needs_nothing_but_aiokafka_and_cloudevents() -> None:
    tree = ast.parse(SUBSCRIBER.read_text())
    imported = {
        (alias.name if isinstance(node, ast.Import) else node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    third_party = {name for name in imported if name not in sys.stdlib_module_names and name != "__future__"}
    assert third_party == {"aiokafka", "cloudevents"}


async def test_prints_events_in_order_and_survives_what_it_cannot_read(
    kafka_bootstrap: str, topic_prefix: str, create_topics: CreateTopics
) -> None:
    [topic] = await create_topics([BOOKINGS])
    first = _booking(BookingRequested, "bk-1", 1, "requested")
    second = _booking(BookingConfirmed, "bk-1", 2, "confirmed")
    third = _booking(BookingCancelled, "bk-1", 3, "cancelled")
    unknown = _envelope(SomethingNew(where="mars"), "bk-2", 1)

    await _publish(kafka_bootstrap, topic_prefix, [first])
    # Not CloudEvents, on the same key (so the same partition, between the events):
    # a plain record, and one that claims to be a CloudEvent but lacks id, type and source.
    await _produce_raw(kafka_bootstrap, topic, b"bk-1", b"\x00\xffnot json at all", [("origin", b"legacy")])
    await _produce_raw(kafka_bootstrap, topic, b"bk-1", b"{}", [("ce_specversion", b"1.0")])
    # The second event delivered twice (a relay crashed after publishing), then the third.
    await _publish(kafka_bootstrap, topic_prefix, [second, second, third, unknown])

    proc = await _start(
        kafka_bootstrap, topic, f"example-{uuid.uuid4().hex[:8]}", "--from-beginning", "--max-events", "5"
    )
    lines, err = await _run_to_end(proc)

    handled = [line for line in lines if line.startswith("handled ")]
    assert [line.split()[1] for line in handled] == [first.type, second.type, third.type], "\n".join(lines)
    for line, envelope in zip(handled, [first, second, third], strict=True):
        assert f"id={envelope.id}" in line
        assert "subject=bk-1" in line
        assert f"sequence={envelope.sequence}" in line
        assert f"correlationid={envelope.correlationid}" in line
        assert f"time={envelope.time.isoformat()}" in line
        assert f'status="{envelope.data["status"]}"' in line
        assert "seats=2" in line
    assert [line.split()[0] for line in _lines_about(lines, second)] == ["handled", "duplicate"]
    assert [line.split()[0] for line in _lines_about(lines, unknown)] == ["ignored"]
    assert len(lines) == 5, "\n".join(lines)

    skipped = [line for line in err.splitlines() if "skipped record" in line]
    assert len(skipped) == 2, err
    assert "not a CloudEvent" in skipped[0]
    assert "unreadable CloudEvent" in skipped[1]
    assert "stopped after 5 events" in err


async def test_commits_what_it_handled_and_stops_on_a_signal(
    kafka_bootstrap: str, topic_prefix: str, create_topics: CreateTopics
) -> None:
    [topic] = await create_topics([BOOKINGS])
    group = f"example-{uuid.uuid4().hex[:8]}"
    first = _booking(BookingRequested, "bk-9", 1, "requested")
    second = _booking(BookingConfirmed, "bk-9", 2, "confirmed")
    await _publish(kafka_bootstrap, topic_prefix, [first, second])

    proc = await _start(kafka_bootstrap, topic, group, "--from-beginning")
    assert proc.stdout is not None
    seen: list[str] = []
    try:
        async with asyncio.timeout(TIMEOUT):
            while len(seen) < 2:
                line = await proc.stdout.readline()
                assert line, "subscriber exited early"
                seen.append(line.decode().rstrip("\n"))
    except BaseException:
        proc.kill()
        await proc.wait()
        raise
    assert [f"id={first.id}" in seen[0], f"id={second.id}" in seen[1]] == [True, True], seen
    proc.send_signal(signal.SIGTERM)
    rest, err = await _run_to_end(proc)
    assert rest == []
    assert "stopped after 2 events" in err

    # Same group again: it resumes after what it committed, so only the new event shows.
    third = _booking(BookingCancelled, "bk-9", 3, "cancelled")
    await _publish(kafka_bootstrap, topic_prefix, [third])
    proc = await _start(kafka_bootstrap, topic, group, "--from-beginning", "--max-events", "1")
    lines, _ = await _run_to_end(proc)
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"handled {third.type} ")
    assert f"id={third.id}" in lines[0]

    # And SIGINT (Ctrl-C) stops it as cleanly while it waits for events.
    proc = await _start(kafka_bootstrap, topic, group)
    assert proc.stderr is not None
    async with asyncio.timeout(TIMEOUT):
        while b"subscribed to" not in (line := await proc.stderr.readline()):
            assert line, "subscriber exited early"
    proc.send_signal(signal.SIGINT)
    lines, err = await _run_to_end(proc)
    assert lines == []
    assert "stopped after 0 events" in err
