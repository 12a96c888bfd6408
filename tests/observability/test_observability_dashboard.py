"""The Grafana dashboard queries only what the services export: a real service process, after it
placed, relayed, confirmed and projected orders and dead-lettered a malformed message, is
scraped over HTTP, and every metric name in the dashboard's queries is in what it answered."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import socket
import sys
from pathlib import Path

import httpx
from observability_samples import ORDERS
from prometheus_client.parser import text_string_to_metric_families

from parkgrid.kafka import make_producer
from parkgrid.store import Database
from parkgrid.testing.plugin import CreateTopics

HERE = Path(__file__).parent
DASHBOARD = HERE.parents[1] / "deploy" / "grafana" / "parkgrid-event-flow.json"
HISTOGRAM_SUFFIXES = ("_bucket", "_count", "_sum")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _queried_names() -> set[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    exprs += [v["query"] for v in dashboard["templating"]["list"] if v["type"] == "query"]
    return {name for expr in exprs for name in re.findall(r"\b(parkgrid_[a-z0-9_]+)", expr)}


def _exported(text: str) -> tuple[set[str], dict[str, list[tuple[dict[str, str], float]]]]:
    """Queryable names (counters with `_total`, histograms' series) and each sample's values."""
    names: set[str] = set()
    samples: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        if family.type == "counter":
            names.add(family.name + "_total")
        elif family.type == "histogram":
            names.update(family.name + suffix for suffix in HISTOGRAM_SUFFIXES)
        else:
            names.add(family.name)
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((sample.labels, sample.value))
    return names, samples


def _total(samples: dict[str, list[tuple[dict[str, str], float]]], name: str, **labels: str) -> float:
    return sum(v for found, v in samples.get(name, []) if all(found.get(k) == w for k, w in labels.items()))


async def test_every_metric_the_dashboard_queries_is_exported_by_a_running_service(
    kafka_bootstrap: str, mongodb_uri: str, topic_prefix: str, database: Database, create_topics: CreateTopics
) -> None:
    [order_topic] = await create_topics([ORDERS])
    service = f"obstest-{topic_prefix.strip('.')}"
    port = _free_port()
    env = {
        **os.environ,
        "PARKGRID_SERVICE_NAME": service,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "MONGODB_URI": mongodb_uri,
        "PARKGRID_DATABASE": database.name,
        "PARKGRID_TOPIC_PREFIX": topic_prefix,
        "PYTHONPATH": str(HERE),
        "OTEL_TRACES_EXPORTER": "none",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "uvicorn", "observability_samples:app", "--port", str(port), cwd=HERE, env=env
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            async with asyncio.timeout(90):
                while True:
                    with contextlib.suppress(httpx.TransportError):
                        if (await client.get("/readyz")).status_code == 200:
                            break
                    await asyncio.sleep(0.2)
                for i in range(3):
                    assert (await client.post(f"/v1/orders/order-{i}")).status_code == 201
                producer = make_producer(kafka_bootstrap)
                await producer.start()
                try:
                    await producer.send_and_wait(order_topic, key=b"order-bad", value=b"{", headers=[])
                finally:
                    await producer.stop()
                group = f"{topic_prefix}{service}"
                while True:
                    names, samples = _exported((await client.get("/metrics")).text)
                    projected = _total(samples, "parkgrid_consumer_handled_messages_total", group=f"{group}.order-view")
                    dead = _total(samples, "parkgrid_consumer_dead_lettered_messages_total", group=f"{group}.confirmer")
                    lag = [
                        v for labels, v in samples.get("parkgrid_consumer_lag_messages", []) if group in labels["group"]
                    ]
                    if projected == 3 and dead == 1 and len(lag) == 2 and not any(lag):
                        break
                    await asyncio.sleep(0.3)
    finally:
        process.terminate()
        await process.wait()

    missing = _queried_names() - names
    assert not missing, f"the dashboard queries metrics no service exports: {sorted(missing)}"
    assert _total(samples, "parkgrid_consumer_dead_lettered_messages_total", type="unknown") >= 1
    assert _total(samples, "parkgrid_outbox_published_events_total", service=service) == 6
    assert _total(samples, "parkgrid_outbox_relay_publish_seconds_count", service=service) >= 1
    assert _total(samples, "parkgrid_http_requests_total", service=service, route="/v1/orders/{order_id}") == 3
    backlog = [v for labels, v in samples["parkgrid_outbox_backlog_events"] if labels["service"] == service]
    assert sorted(backlog) == [0, 0], "both outboxes measured, and empty once relayed"


def test_the_dashboard_queries_the_flow_metrics_an_operator_needs() -> None:
    needed = {
        "parkgrid_consumer_lag_messages",
        "parkgrid_consumer_handled_messages_total",
        "parkgrid_consumer_retried_messages_total",
        "parkgrid_consumer_dead_lettered_messages_total",
        "parkgrid_outbox_backlog_events",
        "parkgrid_outbox_oldest_event_age_seconds",
        "parkgrid_outbox_relay_publish_seconds_bucket",
        "parkgrid_outbox_published_events_total",
        "parkgrid_mail_messages_total",
    }
    assert needed <= _queried_names()
