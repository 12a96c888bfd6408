"""Kafka consumers of the catalogue: the sites projection from spaces."""

from __future__ import annotations

from catalogue.service_layer.handlers import Catalogue
from parkgrid.contracts.topics import TOPICS
from parkgrid.runtime import ServiceRuntime

SITES_TOPIC = next(t for t in TOPICS if t.name == "spaces.site")


def consume_sites(runtime: ServiceRuntime, catalogue: Catalogue, group: str | None = None) -> None:
    runtime.consume(name="sites", topics=[SITES_TOPIC], handler=catalogue.on_site_event, group=group)
