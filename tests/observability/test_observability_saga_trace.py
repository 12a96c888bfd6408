"""One booking's saga is one trace, across real service processes: the POST to bookings, the
reservation asked of spaces over Kafka, spaces' answer, and the confirmation bookings
publishes. The services run as the stack runs them (separate processes, the real broker and
store) with `OTEL_TRACES_EXPORTER=otlp`, exporting to an OTLP/HTTP receiver in this test, which
decodes what they send: nothing here is in-process or faked.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio
import uvicorn
from fastapi import FastAPI, Request, Response
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from parkgrid.testing.infrastructure import Infrastructure
from parkgrid.testing.stack import Stack, running_stack
from tests.scaling.scaling_workload import admin, set_up

pytestmark = pytest.mark.asyncio(loop_scope="module")

CONFIRMED = "parkgrid.bookings.booking.confirmed"


@dataclass(frozen=True)
class Span:
    service: str
    name: str
    kind: int
    trace_id: str
    span_id: str
    parent_id: str


class Receiver:
    """What an OpenTelemetry collector would receive on /v1/traces (protobuf), kept in order."""

    def __init__(self) -> None:
        self.spans: list[Span] = []
        self.app = FastAPI()
        self.app.post("/v1/traces")(self.take)

    async def take(self, request: Request) -> Response:
        sent = ExportTraceServiceRequest()
        sent.ParseFromString(await request.body())
        for resource_spans in sent.resource_spans:
            attributes = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                self.spans.extend(
                    Span(
                        attributes.get("service.name", "?"),
                        s.name,
                        s.kind,
                        s.trace_id.hex(),
                        s.span_id.hex(),
                        s.parent_span_id.hex(),
                    )
                    for s in scope_spans.spans
                )
        return Response(status_code=200, media_type="application/x-protobuf")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    collector = Receiver()
    server = uvicorn.Server(uvicorn.Config(collector.app, host="127.0.0.1", port=0, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield collector, f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture(scope="module")
def stack(infrastructure: Infrastructure, receiver: tuple[Receiver, str]) -> Iterator[Stack]:
    _, endpoint = receiver
    tracing = {
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_BSP_SCHEDULE_DELAY": "200",  # export every 0.2 s, not every 5 s
    }
    with running_stack(
        infrastructure.kafka_bootstrap_servers,
        infrastructure.mongodb_uri,
        services=["spaces", "community", "catalogue", "bookings"],
        extra_env=tracing,
    ) as stack:
        yield stack


def chain_up(spans: dict[str, Span], span: Span) -> list[Span]:
    """The span and its ancestors, nearest first, as far as the receiver has them."""
    chain = [span]
    while chain[-1].parent_id and chain[-1].parent_id in spans:
        chain.append(spans[chain[-1].parent_id])
    return chain


async def test_a_booking_from_its_post_through_spaces_to_its_confirmation_is_one_trace(
    stack: Stack, receiver: tuple[Receiver, str]
) -> None:
    collector, _ = receiver
    plan = await set_up(stack, members=2, plain_offerings=0, room_offerings=1, seats=2, rooms=1, days=3)
    room_offering = plan.offerings[0]
    body = {
        "offering_id": room_offering.offering_id,
        "member_id": plan.members[0],
        "starts_at": room_offering.sessions[0],
    }
    headers = {**admin(stack), "Idempotency-Key": "trace-one-saga"}
    async with httpx.AsyncClient(base_url=stack.url("bookings"), timeout=20) as http:
        answer = await http.post("/v1/bookings", json=body, headers=headers)
        assert answer.status_code in (201, 202), answer.text
        booking_id = answer.json()["id"]
        deadline = time.monotonic() + 60
        while (status := (await http.get(f"/v1/bookings/{booking_id}", headers=headers)).json()["status"]) == "pending":
            assert time.monotonic() < deadline, "the saga did not settle within 60 s"
            await asyncio.sleep(0.2)
    assert status == "confirmed"

    def posted() -> Span | None:
        return next(
            (
                s
                for s in collector.spans
                if s.service == "bookings" and s.name == "POST /v1/bookings" and not s.parent_id
            ),
            None,
        )

    def confirmation(trace_id: str) -> Span | None:
        return next((s for s in collector.spans if s.trace_id == trace_id and s.name == f"publish {CONFIRMED}"), None)

    def whole(root: Span | None) -> bool:
        """Every span from the confirmation up to a root has arrived: each process exports on its
        own schedule, so spaces' spans may land after bookings' confirmation."""
        if root is None or (confirmed := confirmation(root.trace_id)) is None:
            return False
        trace = {s.span_id: s for s in collector.spans if s.trace_id == root.trace_id}
        return not chain_up(trace, confirmed)[-1].parent_id

    deadline = time.monotonic() + 30
    while not whole(root := posted()):
        assert time.monotonic() < deadline, f"spans received: {sorted({(s.service, s.name) for s in collector.spans})}"
        await asyncio.sleep(0.2)
    assert root is not None
    trace = {s.span_id: s for s in collector.spans if s.trace_id == root.trace_id}
    confirmed = confirmation(root.trace_id)
    assert confirmed is not None

    # Parent to child, across both processes and two trips over Kafka:
    # POST (bookings) ... publish (bookings) -> process (spaces) ... publish (spaces)
    # -> process (bookings) ... publish booking.confirmed (bookings).
    path = list(reversed(chain_up(trace, confirmed)))
    assert path[0] == root, [(s.service, s.name) for s in path]
    services_on_the_way = [s.service for s in path if s.name.startswith("process ")]
    assert services_on_the_way[:1] == ["spaces"], [(s.service, s.name) for s in path]
    assert services_on_the_way[-1] == "bookings", [(s.service, s.name) for s in path]
    assert {s.service for s in trace.values()} >= {"bookings", "spaces"}
    # Nothing of another request leaked into this trace: its one root is the POST.
    assert [s for s in trace.values() if not s.parent_id] == [root]
