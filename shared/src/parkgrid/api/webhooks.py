"""What insights' webhook routes take and answer, for its routes and the web app's admin page alike.

An endpoint's secret is answered once, when it is made or rotated (`EndpointWithSecret`); every
other read leaves it out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from parkgrid.http.models import ReadModel, RequestModel
from parkgrid.inputs import SINGLE_LINE, Instant

OwnerLanguage = Literal["fr", "en", "ar"]
EventType = Annotated[str, StringConstraints(max_length=200, pattern=r"^parkgrid(\.[a-z_]+){1,3}(\.\*)?$")]
"""A CloudEvents type (`parkgrid.bookings.booking.confirmed`) or a dotted prefix (`parkgrid.bookings`, `….*`)."""


class EndpointIn(RequestModel):
    """An endpoint to register: where, which events (types or dotted prefixes), and whom to tell."""

    url: str = Field(min_length=8, max_length=2000, description="https://…; http only to this machine in development.")
    event_types: list[EventType] = Field(
        min_length=1,
        max_length=50,
        description="CloudEvents types (`parkgrid.bookings.booking.confirmed`) or prefixes (`parkgrid.bookings`).",
    )
    site_id: str | None = Field(None, min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")
    description: str = Field("", max_length=500, pattern=SINGLE_LINE)
    owner_email: str = Field(
        min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$", description="Mailed if the endpoint is disabled."
    )
    owner_language: OwnerLanguage = "fr"


class EndpointChange(RequestModel):
    """Enable or disable, rotate the secret (answered once), or change what the endpoint says of itself."""

    enabled: bool | None = None
    rotate_secret: bool = False
    description: str | None = Field(None, max_length=500, pattern=SINGLE_LINE)
    event_types: list[EventType] | None = Field(None, min_length=1, max_length=50)


class Endpoint(ReadModel):
    id: str
    url: str
    event_types: list[str]
    site_id: str | None = None
    description: str
    owner_email: str
    owner_language: OwnerLanguage
    enabled: bool
    disabled_reason: str | None = None
    consecutive_failed: int = 0
    created_at: datetime
    updated_at: datetime


class EndpointWithSecret(Endpoint):
    secret: str = Field(description="The `whsec_` signing secret: shown now, never again.")


class EndpointPage(ReadModel):
    items: list[Endpoint]
    next_cursor: str | None = None


class Attempt(ReadModel):
    at: datetime
    status_code: int | None = None
    latency_ms: float | None = None
    error: str | None = None


class DeliverySummary(ReadModel):
    id: str
    endpoint_id: str
    event_id: str
    event_type: str
    subject: str
    status: Literal["pending", "sending", "delivered", "failed"]
    replay_id: str | None = None
    attempt_count: int
    last_status_code: int | None = None
    created_at: datetime
    due_at: datetime | None = None
    delivered_at: datetime | None = None


class DeliveryDetail(DeliverySummary):
    attempts: list[Attempt]


class DeliveryPage(ReadModel):
    items: list[DeliverySummary]
    next_cursor: str | None = None


class ReplayIn(RequestModel):
    since: Instant = Field(
        description=(
            "Re-send every event the endpoint wants from this moment on "
            "(any time in the network's calendar, with its offset)."
        )
    )


class Replay(ReadModel):
    replay_id: str
    enqueued: int
