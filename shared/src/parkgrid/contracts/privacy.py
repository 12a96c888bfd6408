"""Members' data under their control (issue 22): an export gathered from every service through events.

An admin, or a person of the member organisation itself, asks insights for an export of what
ParkGrid holds on a member organisation (or on one person of it). Insights publishes
`insights.export.requested` on `insights.export`; each service that holds members' data answers on
its own `<service>.export` topic with `<service>.export.answered` parts (its records, collection by
collection, at most `PART_RECORDS` records a part, so no message outgrows the broker's limit), and
insights assembles the archive as parts arrive: its progress is the parts received of the parts
each service announced. A service answers an export once, whatever the redelivery: its answer is an
aggregate created once by export id, with the parts in its outbox.

These topics carry personal data on its way to one archive, not history: they keep it
`EXPORT_RETENTION_DAYS` days (`contracts.topics`), and so does insights.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from parkgrid.contracts.common import Actor, Contract, Id
from parkgrid.events import IntegrationEvent, registry
from parkgrid.inputs import Instant

EXPORTING_SERVICES = ("bookings", "community", "spaces")
"""The services that hold members' data and answer an export (catalogue holds none; insights
adds its own part as it assembles the archive)."""
PART_RECORDS = 100
EXPORT_RETENTION_DAYS = 7


class ExportSubject(Contract):
    """Whose data: a member organisation, or one person of it."""

    member_id: Id
    person_id: Id | None = Field(None, description="One person of the organisation; absent: the whole organisation.")


@registry.register
class ExportRequested(IntegrationEvent):
    """Insights asks every service in `services` for what it holds on `subject`."""

    event_type = "parkgrid.insights.export.requested"
    export_id: Id
    subject: ExportSubject
    requested_by: Actor
    requested_at: Instant
    services: list[str] = Field(min_length=1)


class ExportAnswered(IntegrationEvent):
    """One part of a service's answer: `records` by collection (JSON documents as the service keeps
    them). A service with nothing on the subject answers one part with no records."""

    export_id: Id
    service: str
    part: int = Field(ge=1)
    parts: int = Field(ge=1, description="How many parts this service's answer has.")
    records: dict[str, list[dict[str, Any]]]


@registry.register
class BookingsExportAnswered(ExportAnswered):
    """Bookings's part of an export: its bookings, waitlist places and allowances."""

    event_type = "parkgrid.bookings.export.answered"


@registry.register
class CommunityExportAnswered(ExportAnswered):
    """Community's part of an export: the organisation with its people, and registrations to events."""

    event_type = "parkgrid.community.export.answered"


@registry.register
class SpacesExportAnswered(ExportAnswered):
    """Spaces's part of an export: residencies, office waitlist places, day passes and expected visitors."""

    event_type = "parkgrid.spaces.export.answered"


ANSWERS: dict[str, type[ExportAnswered]] = {
    "bookings": BookingsExportAnswered,
    "community": CommunityExportAnswered,
    "spaces": SpacesExportAnswered,
}
"""Each exporting service's answer event."""
