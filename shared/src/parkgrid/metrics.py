"""The Prometheus metrics of the event flow, served by every service on `/metrics`.

One module so the names an operator's dashboard queries (`deploy/grafana/parkgrid.json`)
are declared in one place. Named by Prometheus conventions: the unit as a suffix,
`_total` for counters. The HTTP metrics live beside their middleware
(`parkgrid.http.middleware`).

Labels stay bounded: a consumer's name and group, a topic and partition, an event type
(from the registry's closed set, or `unknown` for a record that is not an envelope).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram
from pymongo import monitoring

CONSUMER_LABELS = ("consumer", "group", "type")

HANDLED = Counter(
    "parkgrid_consumer_handled_messages_total",
    "Messages a consumer's handler processed (its effect stored, offset committable)",
    CONSUMER_LABELS,
)
RETRIED = Counter(
    "parkgrid_consumer_retried_messages_total",
    "Handler attempts that failed and were retried (reason: transient or error)",
    (*CONSUMER_LABELS, "reason"),
)
DEAD_LETTERED = Counter(
    "parkgrid_consumer_dead_lettered_messages_total",
    "Messages a consumer sent to <topic>.dlq (malformed, or failing past its attempts)",
    CONSUMER_LABELS,
)
HANDLE_SECONDS = Histogram(
    "parkgrid_consumer_handle_seconds",
    "Time to handle one message, retries included",
    ("consumer", "group"),
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
)
LAG = Gauge(
    "parkgrid_consumer_lag_messages",
    "Messages in a partition not yet handled by this group: high watermark minus the group's position",
    ("group", "topic", "partition"),
)

OUTBOX_BACKLOG = Gauge(
    "parkgrid_outbox_backlog_events",
    "Events written to an outbox and not yet published to Kafka",
    ("service", "collection"),
)
OUTBOX_OLDEST_AGE = Gauge(
    "parkgrid_outbox_oldest_event_age_seconds",
    "Age of the oldest event still waiting in an outbox (0 when empty)",
    ("service", "collection"),
)
RELAY_PUBLISH_SECONDS = Histogram(
    "parkgrid_outbox_relay_publish_seconds",
    "Time for the relay to publish one batch and get every ack (acks=all)",
    ("service",),
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
PUBLISHED = Counter(
    "parkgrid_outbox_published_events_total",
    "Events the relay published, by type: saga outcomes are the booking.confirmed / booking.rejected series",
    ("service", "type"),
)

MAIL = Counter(
    "parkgrid_mail_messages_total",
    "Mails handed to the SMTP relay, by outcome (sent, failed: retried later, given_up)",
    ("service", "outcome"),
)


STORE_COMMANDS = Counter(
    "parkgrid_store_commands_total",
    "Commands the service's working client sent its store (find, insert, update, delete, …), "
    "health probes aside: round trips per request show how near a path runs to the store's floor",
    ("command",),
)


class StoreCommands(monitoring.CommandListener):
    """Counts each command the driver starts (PyMongo's command monitoring), by its name."""

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        STORE_COMMANDS.labels(event.command_name).inc()

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        """Counted when started: a failed command was a round trip too."""

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        """Counted when started."""


def count_mail(service: str, outcome: str) -> None:
    """What a mailer calls once per attempt: outcome is `sent`, `failed` or `given_up`."""
    MAIL.labels(service, outcome).inc()


__all__ = [
    "DEAD_LETTERED",
    "HANDLED",
    "HANDLE_SECONDS",
    "LAG",
    "MAIL",
    "OUTBOX_BACKLOG",
    "OUTBOX_OLDEST_AGE",
    "PUBLISHED",
    "RELAY_PUBLISH_SECONDS",
    "RETRIED",
    "STORE_COMMANDS",
    "StoreCommands",
    "count_mail",
]
