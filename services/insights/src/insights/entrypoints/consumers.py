"""Kafka consumers of insights: the projection (every fact topic) and the notifications
(bookings, waitlists, registrations), in two groups so that neither holds up the other."""

from __future__ import annotations

from insights.adapters.projection import PROJECTED_TOPICS, topics_of
from insights.service_layer.notifications import NOTIFYING_TOPICS, Notifications
from insights.service_layer.projection import Projector
from parkgrid.runtime import ServiceRuntime


def consume_facts(runtime: ServiceRuntime, projector: Projector) -> None:
    runtime.consume(name="projection", topics=topics_of(PROJECTED_TOPICS), handler=projector.on_event)


def consume_notifying_events(runtime: ServiceRuntime, notifications: Notifications) -> None:
    runtime.consume(name="notifications", topics=topics_of(NOTIFYING_TOPICS), handler=notifications.on_event)
