"""Traces across the event flow: W3C trace context from the HTTP request, through the outbox and
Kafka, to the consumer that handles the event and the events it writes in turn.

The hop through Kafka is ours, not a library's: an event leaves its process long after the
request that wrote it (the relay publishes it, maybe from another process), so the trace
context travels *in the envelope*, as the CloudEvents distributed-tracing extension's
`traceparent` / `tracestate` attributes, stamped when the command writes its outbox
(`Envelope.new`). The relay's publish span and the consumer's handling span are both children
of that context, and the handler's store writes and outbox events are children of the
handling span: one trace from the POST to the last consumer.

Off by default, and then nearly free: without `OTEL_TRACES_EXPORTER=otlp|console` the
OpenTelemetry API stays a no-op, no span is started, and an envelope carries no trace context
unless one came in (which is passed on unchanged). The standard variables configure it:
`OTEL_TRACES_EXPORTER` (none | otlp | console; ParkGrid's default is none),
`OTEL_SERVICE_NAME` (default: the service's name), `OTEL_EXPORTER_OTLP_ENDPOINT` and the
other `OTEL_EXPORTER_OTLP_*` variables (read by the exporter itself), `OTEL_SDK_DISABLED`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags, TraceState

from parkgrid.logging import get_logger

if TYPE_CHECKING:
    from fastapi import FastAPI
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter

log = get_logger(__name__)

EXPORTERS = ("none", "otlp", "console")
_TRACEPARENT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$")

tracer = trace.get_tracer("parkgrid")


class _State:
    enabled = False
    instrumented = False


_state = _State()


def enabled() -> bool:
    """Whether this process records spans (a tracer provider was set up here)."""
    return _state.enabled


def configure_tracing(service_name: str, *, exporter: SpanExporter | None = None) -> bool:
    """Set up tracing for this process once, from the OTEL_* variables; whether it is on.

    `exporter` overrides the variables (tests pass an in-memory exporter). Instruments
    PyMongo and httpx for the whole process; FastAPI apps are instrumented by
    `instrument_app`. A second call does nothing.
    """
    if _state.enabled:
        return True
    chosen = os.environ.get("OTEL_TRACES_EXPORTER", "none").strip().lower() or "none"
    if exporter is None and (chosen == "none" or os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true"):
        return False
    if exporter is None and chosen not in EXPORTERS:
        raise ValueError(f"OTEL_TRACES_EXPORTER={chosen!r}: ParkGrid supports {', '.join(EXPORTERS)}")
    provider = _provider(os.environ.get("OTEL_SERVICE_NAME") or service_name, exporter, chosen)
    trace.set_tracer_provider(provider)
    _instrument_libraries()
    _state.enabled = True
    log.info("tracing.on", service=service_name, exporter="custom" if exporter is not None else chosen)
    return True


def _provider(service_name: str, exporter: SpanExporter | None, chosen: str) -> TracerProvider:
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor

    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service_name}))
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    elif chosen == "console":
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider


def _instrument_libraries() -> None:
    if _state.instrumented:
        return
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.pymongo import PymongoInstrumentor

    PymongoInstrumentor().instrument()
    HTTPXClientInstrumentor().instrument()
    _state.instrumented = True


def instrument_app(app: FastAPI) -> None:
    """Server spans for every request of a FastAPI app (not the probes and /metrics)."""
    if not _state.enabled:
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz,metrics")


# --- the envelope's trace context -------------------------------------------------------------


def current_trace_context() -> tuple[str | None, str | None]:
    """`traceparent` and `tracestate` of the current span, or (None, None) outside any trace."""
    span_context = trace.get_current_span().get_span_context()
    if not span_context.is_valid:
        return None, None
    traceparent = f"00-{span_context.trace_id:032x}-{span_context.span_id:016x}-{span_context.trace_flags:02x}"
    tracestate = span_context.trace_state.to_header() if span_context.trace_state else None
    return traceparent, tracestate or None


def parent_context(traceparent: str | None, tracestate: str | None = None) -> otel_context.Context | None:
    """The context an envelope's `traceparent` names, as a remote parent; None if absent or invalid."""
    if not traceparent:
        return None
    match = _TRACEPARENT.match(traceparent.strip())
    if match is None or match.group(1) == "ff":
        return None
    trace_id, span_id = int(match.group(2), 16), int(match.group(3), 16)
    if not trace_id or not span_id:
        return None
    span_context = SpanContext(
        trace_id=trace_id,
        span_id=span_id,
        is_remote=True,
        trace_flags=TraceFlags(int(match.group(4), 16)),
        trace_state=TraceState.from_header([tracestate]) if tracestate else TraceState(),
    )
    return trace.set_span_in_context(NonRecordingSpan(span_context))


@contextmanager
def handling(name: str, traceparent: str | None, tracestate: str | None, attributes: dict[str, Any]) -> Iterator[None]:
    """Around a consumer's handling of one message: a CONSUMER span child of the envelope's context.

    With tracing off, the envelope's context (if any) is still made current, so the events the
    handler writes carry it on: a process that does not trace does not break the trace.
    """
    parent = parent_context(traceparent, tracestate)
    if not _state.enabled:
        if parent is None:
            yield
            return
        token = otel_context.attach(parent)
        try:
            yield
        finally:
            otel_context.detach(token)
        return
    with tracer.start_as_current_span(name, context=parent, kind=SpanKind.CONSUMER, attributes=attributes):
        yield


def publishing_span(name: str, traceparent: str | None, tracestate: str | None, attributes: dict[str, Any]) -> Any:
    """A PRODUCER span for the relay's publication of one event, child of the event's context;
    None with tracing off. The caller ends it once the broker acknowledged."""
    if not _state.enabled:
        return None
    return tracer.start_span(
        name, context=parent_context(traceparent, tracestate), kind=SpanKind.PRODUCER, attributes=attributes
    )


__all__ = [
    "configure_tracing",
    "current_trace_context",
    "enabled",
    "handling",
    "instrument_app",
    "parent_context",
    "publishing_span",
]
