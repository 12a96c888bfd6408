"""What insights' export routes take and answer (issue 22, item 2), for its routes and the web app alike.

An export is asked for a member organisation (or one person of it); its progress is each
service's parts received of the parts it announced; once every service answered, the archive
(`GET /v1/exports/{export_id}/archive`) is one JSON document of everything ParkGrid holds on the
subject, by service and collection.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from parkgrid.contracts.common import Actor, Id
from parkgrid.http.models import ReadModel, RequestModel
from parkgrid.inputs import Instant


class ExportIn(RequestModel):
    """Whose data: a member organisation, or one person of it."""

    member_id: Id
    person_id: Id | None = Field(None, description="One person of the organisation; absent: the whole organisation.")


class ServiceProgress(ReadModel):
    service: str
    received: int = Field(description="Parts received from this service.")
    parts: int | None = Field(None, description="Parts the service announced; unknown until its first part.")
    done: bool


class ExportRead(ReadModel):
    """An export and how far it has come."""

    export_id: str
    member_id: str
    person_id: str | None = None
    requested_by: Actor
    requested_at: Instant
    status: Literal["gathering", "ready"]
    progress: float = Field(ge=0, le=1, description="The share of the services that have answered in full.")
    services: list[ServiceProgress]
    ready_at: Instant | None = None
    expires_at: Instant = Field(description="When the export and its archive are forgotten.")


class ExportArchive(ReadModel):
    """Everything ParkGrid holds on the subject: `services[service][collection]` is a list of records."""

    export_id: str
    member_id: str
    person_id: str | None = None
    generated_at: Instant
    services: dict[str, dict[str, list[dict[str, Any]]]]
