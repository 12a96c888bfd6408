"""Kafka consumers of the catalogue: the sites projection from spaces, the members projection
from community."""

from __future__ import annotations

from catalogue.adapters.members import Members
from catalogue.service_layer.handlers import Catalogue, member_handler
from parkgrid.contracts.topics import TOPICS
from parkgrid.runtime import ServiceRuntime

SITES_TOPIC = next(t for t in TOPICS if t.name == "spaces.site")
MEMBERS_TOPIC = next(t for t in TOPICS if t.name == "community.member")


def consume_sites(runtime: ServiceRuntime, catalogue: Catalogue, group: str | None = None) -> None:
    runtime.consume(
        name="sites",
        topics=[SITES_TOPIC],
        handler=catalogue.on_site_event,
        group=group,
        projections=[runtime.db["sites"]],
    )


def consume_members(runtime: ServiceRuntime, members: Members, group: str | None = None) -> None:
    runtime.consume(
        name="members",
        topics=[MEMBERS_TOPIC],
        handler=member_handler(members),
        group=group,
        projections=[members.projection.collection],
        # Each member's events are full-state and guarded by sequence: members are
        # independent, so a catch-up applies several at once (each member in order), and
        # only each member's newest event of a batch (the others would be overwritten).
        concurrency=16,
        newest_per_key=True,
    )
