"""The text fields a person types into community's bodies and queries, with their bounds, and
the strict bodies built from them (an event as scheduled: `EventIn`).

Each is the kit's `Text` (one line, trimmed, no control characters) or `LongText` (line
breaks kept), so that a name of control characters is a 422 naming the field, as is a
date outside the network's calendar (`Day`, `Instant`, used as they are).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, ValidationInfo, field_validator

from parkgrid.contracts.common import Eligibility, Id, Mode, SpaceRequirement, TimeZone
from parkgrid.contracts.community import CommunityEventKind
from parkgrid.http.models import RequestModel, strict
from parkgrid.inputs import Instant, LongText, Text

Name = Annotated[Text, Field(min_length=1, max_length=200)]
"""An organisation's or a person's name (also what a search looks for)."""
Label = Annotated[Text, Field(min_length=1, max_length=100)]
"""A sector, a role in an organisation."""
Cohort = Annotated[Text, Field(min_length=1, max_length=50)]
Reason = Annotated[Text, Field(min_length=1, max_length=500)]


Line = Annotated[Text, Field(min_length=1, max_length=4000)]
Lines = Annotated[LongText, Field(min_length=1, max_length=4000)]


class TitleIn(RequestModel):
    """An event's title in French and English (Arabic welcome), as the contract's `LocalizedText`: one line each."""

    fr: Line
    en: Line
    ar: Annotated[Text, Field(max_length=4000)] | None = None


class DescriptionIn(RequestModel):
    """An event's description in French and English (Arabic welcome): line breaks kept."""

    fr: Lines
    en: Lines
    ar: Annotated[LongText, Field(max_length=4000)] | None = None


EligibilityIn = strict(Eligibility)
RequirementIn = strict(SpaceRequirement)


class TimeRangeIn(RequestModel):
    starts_at: Instant
    ends_at: Instant

    @field_validator("ends_at")
    @classmethod
    def _after_start(cls, ends_at: Instant, info: ValidationInfo) -> Instant:
        starts_at = info.data.get("starts_at")
        if starts_at is not None:
            if ends_at <= starts_at:
                raise ValueError("ends_at must be after starts_at")
            if (ends_at - starts_at).days >= 14:
                raise ValueError("a community event lasts less than 14 days")
        return ends_at


class EventIn(RequestModel):
    event_id: Id | None = None
    site_id: Id | None = None
    kind: CommunityEventKind
    mode: Mode = Mode.IN_PERSON
    title: TitleIn
    description: DescriptionIn
    time: TimeRangeIn
    time_zone: TimeZone | None = Field(None, description="Online events without a site; else the site's.")
    capacity: int = Field(ge=1, le=5000)
    audience: EligibilityIn = Field(default_factory=EligibilityIn)  # type: ignore[valid-type]
    venue_requirement: RequirementIn | None = None  # type: ignore[valid-type]
    publish: bool = False
