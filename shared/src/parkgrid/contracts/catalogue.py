"""Events of the catalogue context: the offerings of the service grid.

Versioning example (see README, "Evolving an event"): v1 of the offering events carried
the price as `price_mad`, a float in dirhams, which cannot serve a network of parks in
several countries and rounds badly. v2 carries `price` as `Money` (minor units and a
currency). Producers publish v2; v1 stays registered for the deprecation window, and the
upcaster below lets every reader take a v1 payload as v2.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field

from parkgrid.contracts.common import (
    Closure,
    Contract,
    Eligibility,
    Id,
    LocalizedText,
    Mode,
    Money,
    SpaceRequirement,
    TimeZone,
    WeeklyWindow,
)
from parkgrid.events import IntegrationEvent, registry


class OfferingCategory(StrEnum):
    MENTORING = "mentoring"
    FINANCING = "financing"
    EXPERT_CLINIC = "expert_clinic"
    LEGAL_CLINIC = "legal_clinic"
    MARKET_ACCESS = "market_access"
    NETWORKING = "networking"
    INNOVATION = "innovation"
    TRAINING = "training"
    MEETING_ROOM = "meeting_room"
    COWORKING = "coworking"


class OfferingStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


class Period(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


class Provider(Contract):
    """Who delivers the offering: an expert, a partner organisation, the park's staff."""

    name: str = Field(min_length=1, max_length=200)
    kind: str = Field(pattern=r"^(expert|partner|staff)$")
    organisation: str | None = Field(None, max_length=200)


class PerMemberLimit(Contract):
    """At most `count` bookings per member organisation per `period`."""

    count: int = Field(ge=1, le=1000)
    period: Period


class ApprovalRule(Contract):
    """Bookings of the offering wait for its site's staff to approve or decline them (an expert
    clinic, a hall), holding their seat until a decision or the deadline (issue 25)."""

    required: bool = True
    decide_within_hours: int = Field(
        48,
        ge=1,
        le=24 * 30,
        description="Staff decide within this many hours of the request (and at the latest 2 h before the session).",
    )


class BookingRules(Contract):
    """When and how often an offering may be booked."""

    min_notice_minutes: int = Field(0, ge=0, le=60 * 24 * 60)
    max_advance_days: int = Field(90, ge=1, le=730)
    cancellation_window_minutes: int = Field(
        24 * 60,
        ge=0,
        le=60 * 24 * 60,
        description="Cancelling later than this before the start is a late cancellation.",
    )
    per_member_limit: PerMemberLimit | None = None
    approval: ApprovalRule | None = Field(None, description="None: bookings are confirmed without staff.")


class OfferingCore(Contract):
    """What every version of the offering events carries."""

    offering_id: Id
    site_id: Id | None = Field(None, description="None for an offering of the whole network.")
    category: OfferingCategory
    title: LocalizedText
    description: LocalizedText
    provider: Provider
    mode: Mode
    session_minutes: int = Field(ge=5, le=24 * 60)
    seats_per_session: int = Field(ge=1, le=2000)
    eligibility: Eligibility
    credits: int | None = Field(None, ge=0, description="Credits a booking consumes from an entitlement.")
    rules: BookingRules
    time_zone: TimeZone
    availability: list[WeeklyWindow] = Field(description="Weekly windows in which sessions start and end.")
    closures: list[Closure] = Field(default_factory=list)
    space_requirement: SpaceRequirement | None = Field(None, description="The space each session needs, if any.")
    status: OfferingStatus


class OfferingSnapshot(OfferingCore):
    """An offering of the service grid as it stands after the event (v2)."""

    price: Money | None = Field(None, description="None when free or paid in credits only.")


class OfferingSnapshotV1(OfferingCore):
    """v1, deprecated: the price as a float in dirhams."""

    price_mad: float | None = Field(None, ge=0)


@registry.register
class OfferingPublished(IntegrationEvent, OfferingSnapshot):
    """An offering became bookable (or was re-published)."""

    event_type = "parkgrid.catalogue.offering.published"
    version = 2


@registry.register
class OfferingUpdated(IntegrationEvent, OfferingSnapshot):
    """An offering's details changed."""

    event_type = "parkgrid.catalogue.offering.updated"
    version = 2


@registry.register
class OfferingWithdrawn(IntegrationEvent, OfferingSnapshot):
    """An offering can no longer be booked (its history stays)."""

    event_type = "parkgrid.catalogue.offering.withdrawn"
    version = 2


@registry.register
class OfferingPublishedV1(IntegrationEvent, OfferingSnapshotV1):
    """Deprecated v1 of offering.published (price as `price_mad`)."""

    event_type = "parkgrid.catalogue.offering.published"
    version = 1


@registry.register
class OfferingUpdatedV1(IntegrationEvent, OfferingSnapshotV1):
    """Deprecated v1 of offering.updated (price as `price_mad`)."""

    event_type = "parkgrid.catalogue.offering.updated"
    version = 1


@registry.register
class OfferingWithdrawnV1(IntegrationEvent, OfferingSnapshotV1):
    """Deprecated v1 of offering.withdrawn (price as `price_mad`)."""

    event_type = "parkgrid.catalogue.offering.withdrawn"
    version = 1


def price_mad_to_money(data: dict[str, Any]) -> dict[str, Any]:
    """v1 → v2: a float of dirhams becomes Money in centimes of MAD."""
    upcast = {k: v for k, v in data.items() if k != "price_mad"}
    price_mad = data.get("price_mad")
    upcast["price"] = None if price_mad is None else {"amount_minor": round(price_mad * 100), "currency": "MAD"}
    return upcast


for _event_type in (OfferingPublished.event_type, OfferingUpdated.event_type, OfferingWithdrawn.event_type):
    registry.upcaster(_event_type, from_version=1)(price_mad_to_money)
