"""One trace across the event flow: a command's span, through its outbox, the real Kafka, a
consumer that writes its own outbox, and a second hop; the spans chain parent to child."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator

import pytest
from observability_samples import CONFIRMATIONS, ORDERS, OrderPlaced, confirm, confirmations, orders, registry
from opentelemetry import trace
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.pymongo import PymongoInstrumentor
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from parkgrid import telemetry
from parkgrid.consumer import ConsumerRunner, Delivery, Handler
from parkgrid.envelope import Envelope
from parkgrid.kafka import EventPublisher, make_producer
from parkgrid.outbox import OutboxRelay
from parkgrid.store import Database
from parkgrid.testing.plugin import CreateTopics
from parkgrid.testing.records import quick_consumer

EXPORTER = InMemorySpanExporter()


@pytest.fixture(scope="module")
def spans() -> Iterator[InMemorySpanExporter]:
    """Tracing on in this process, into memory (once per process: OpenTelemetry's provider is global).

    Turned off again afterwards, so the rest of a suite run in this process neither traces nor
    keeps spans in memory.
    """
    telemetry.configure_tracing("observability-test", exporter=EXPORTER)
    assert telemetry.enabled(), "another exporter was configured first in this process"
    yield EXPORTER
    EXPORTER.clear()
    EXPORTER.shutdown()
    PymongoInstrumentor().uninstrument()
    HTTPXClientInstrumentor().uninstrument()
    telemetry._state.enabled = telemetry._state.instrumented = False


def _runner(kafka: str, topic: str, group: str, handler: Handler) -> ConsumerRunner:
    return quick_consumer(kafka, topic, group, handler, registry, name=group.rsplit(".", 1)[-1])


async def _until(done: Callable[[], Awaitable[bool] | bool], limit: float = 60) -> None:
    async with asyncio.timeout(limit):
        while True:
            result = done()
            if await result if isinstance(result, Awaitable) else result:
                return
            await asyncio.sleep(0.05)


def _one(found: list[ReadableSpan], name: str) -> ReadableSpan:
    matching = [s for s in found if s.name == name]
    assert len(matching) == 1, f"{name}: {[s.name for s in found]}"
    return matching[0]


def _parent_id(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent is not None else None


async def test_one_saga_is_one_trace_across_the_broker(
    spans: InMemorySpanExporter,
    database: Database,
    kafka_bootstrap: str,
    topic_prefix: str,
    create_topics: CreateTopics,
) -> None:
    order_topic, confirmation_topic = await create_topics([ORDERS, CONFIRMATIONS])
    placed, confirmed = orders(database["orders"]), confirmations(database["confirmations"])
    producer = make_producer(kafka_bootstrap)
    await producer.start()
    publisher = EventPublisher(producer, topic_prefix)
    relay = OutboxRelay([placed.collection, confirmed.collection], publisher, owner="obstest@here", sweep_interval=0.1)
    arrived: list[Delivery] = []

    async def on_placed(delivery: Delivery) -> None:
        await confirm(confirmed, delivery)
        relay.notify()

    async def on_confirmed(delivery: Delivery) -> None:
        arrived.append(delivery)

    first = _runner(kafka_bootstrap, order_topic, f"{topic_prefix}obstest.confirmer", on_placed)
    second = _runner(kafka_bootstrap, confirmation_topic, f"{topic_prefix}obstest.view", on_confirmed)
    tasks = [asyncio.create_task(t.run()) for t in (relay, first, second)]
    try:
        spans.clear()
        with telemetry.tracer.start_as_current_span("POST /v1/orders/{order_id}", kind=SpanKind.SERVER) as request:
            await placed.create("order-1", {"state": "placed"}, [OrderPlaced(order_id="order-1")])
            relay.notify()
        await _until(lambda: bool(arrived))
        await _until(
            lambda: any(s.name == "process parkgrid.obstest.order.confirmed" for s in spans.get_finished_spans())
        )
    finally:
        for stoppable in (first, second, relay):
            await stoppable.stop()
        await asyncio.gather(*tasks)
        await producer.stop()

    trace_id = request.get_span_context().trace_id
    found = [s for s in spans.get_finished_spans() if s.context is not None and s.context.trace_id == trace_id]
    root = _one(found, "POST /v1/orders/{order_id}")
    publish_placed = _one(found, "publish parkgrid.obstest.order.placed")
    process_placed = _one(found, "process parkgrid.obstest.order.placed")
    publish_confirmed = _one(found, "publish parkgrid.obstest.order.confirmed")
    process_confirmed = _one(found, "process parkgrid.obstest.order.confirmed")
    assert root.context is not None
    assert process_placed.context is not None

    # the event written in the request is published and handled as the request's children
    assert _parent_id(publish_placed) == root.context.span_id
    assert _parent_id(process_placed) == root.context.span_id
    assert process_placed.kind is SpanKind.CONSUMER
    assert publish_placed.kind is SpanKind.PRODUCER
    assert process_placed.attributes is not None
    assert process_placed.attributes["messaging.destination.name"] == order_topic
    # the handler's own writes, and the event it wrote, continue from its span
    store_writes = [s for s in found if s.kind is SpanKind.CLIENT and _parent_id(s) == process_placed.context.span_id]
    assert any("insert" in s.name for s in store_writes), [s.name for s in found]
    assert _parent_id(publish_confirmed) == process_placed.context.span_id
    assert _parent_id(process_confirmed) == process_placed.context.span_id
    # and the message on Kafka says so in CloudEvents' own attribute
    [delivery] = arrived
    assert (
        delivery.envelope.traceparent
        == f"00-{trace_id:032x}-{process_placed.context.span_id:016x}-{root.context.trace_flags:02x}"
    )


def test_outside_a_trace_an_envelope_carries_no_trace_context(spans: InMemorySpanExporter) -> None:
    envelope = Envelope.new(type="t", source="s", subject="a", sequence=1, data={})
    assert envelope.traceparent is None
    assert not [name for name, _ in envelope.kafka_headers() if name in ("ce_traceparent", "ce_tracestate")]
    assert "traceparent" not in envelope.to_document(), "the outbox stores no empty trace fields"


def test_trace_context_round_trips_through_the_kafka_binding(spans: InMemorySpanExporter) -> None:
    with telemetry.tracer.start_as_current_span("command") as span:
        envelope = Envelope.new(type="t", source="s", subject="a", sequence=1, data={})
    headers = dict(envelope.kafka_headers())
    context = span.get_span_context()
    assert (
        headers["ce_traceparent"]
        == f"00-{context.trace_id:032x}-{context.span_id:016x}-{context.trace_flags:02x}".encode()
    )
    again = Envelope.from_kafka(envelope.kafka_key(), envelope.kafka_value(), envelope.kafka_headers())
    assert again.traceparent == envelope.traceparent
    assert Envelope.from_document(envelope.to_document()) == envelope


def test_a_process_that_does_not_trace_passes_the_context_on(
    spans: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(telemetry._state, "enabled", False)
    incoming = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    spans.clear()
    with telemetry.handling("process t", incoming, "vendor=1", {}):
        written = Envelope.new(type="t", source="s", subject="a", sequence=1, data={})
    assert (written.traceparent, written.tracestate) == (incoming, "vendor=1")
    assert spans.get_finished_spans() == (), "no span recorded with tracing off"


@pytest.mark.parametrize(
    "value",
    [None, "", "garbage", "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", f"00-{'0' * 32}-{'1' * 16}-01"],
)
def test_an_unusable_traceparent_is_ignored_not_fatal(value: str | None) -> None:
    assert telemetry.parent_context(value) is None
    assert trace.get_current_span().get_span_context().is_valid is False
