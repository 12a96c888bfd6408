"""Value types shared by the contracts of several contexts.

These are the park's words as every subscriber reads them: member kinds, programme
stages, kinds of space, localized text, money, weekly windows in a site's local time.
They are contract types (what is published), not any service's domain model.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from parkgrid.inputs import Day, Instant
from parkgrid.zones import NETWORK_TIME_ZONE as NETWORK_TIME_ZONE
from parkgrid.zones import TimeZone as TimeZone
from parkgrid.zones import iana_zone as iana_zone

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]*$"
Id = Annotated[str, Field(min_length=1, max_length=100, pattern=ID_PATTERN)]
LocalTime = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="Local wall-clock time, HH:MM.")]
Email = Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Feature = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")]


class Contract(BaseModel):
    """Base of every value published in an event: immutable, tolerant of added fields."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class MemberKind(StrEnum):
    PROJECT_HOLDER = "project_holder"
    STARTUP = "startup"
    TPE = "tpe"
    PARTNER = "partner"


class ProgrammeStage(StrEnum):
    PRE_INCUBATION = "pre_incubation"
    INCUBATION = "incubation"
    ACCELERATION = "acceleration"
    RESIDENT = "resident"
    ALUMNI = "alumni"


class SpaceKind(StrEnum):
    HOT_DESK_AREA = "hot_desk_area"
    DEDICATED_DESK = "dedicated_desk"
    PRIVATE_OFFICE = "private_office"
    MEETING_ROOM = "meeting_room"
    EVENT_HALL = "event_hall"


class Mode(StrEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"
    HYBRID = "hybrid"


class Language(StrEnum):
    FR = "fr"
    EN = "en"
    AR = "ar"


class LocalizedText(Contract):
    """Text in French and English (Arabic welcome)."""

    fr: str = Field(min_length=1, max_length=4000)
    en: str = Field(min_length=1, max_length=4000)
    ar: str | None = Field(None, max_length=4000)


class Money(Contract):
    """An amount in minor units (centimes) of an ISO 4217 currency: no floats for money."""

    amount_minor: int = Field(ge=0)
    currency: str = Field(pattern=r"^[A-Z]{3}$", examples=["MAD"])


class WeeklyWindow(Contract):
    """A recurring window in the local time of the site (ISO weekday: 1 = Monday)."""

    weekday: int = Field(ge=1, le=7)
    opens: LocalTime
    closes: LocalTime

    @model_validator(mode="after")
    def _ordered(self) -> WeeklyWindow:
        if self.closes <= self.opens:
            raise ValueError("closes must be after opens")
        return self


class Closure(Contract):
    """Days when something is closed (holidays, works), inclusive, in local dates."""

    first_day: Day
    last_day: Day
    reason: str = Field(max_length=200)

    @model_validator(mode="after")
    def _ordered(self) -> Closure:
        if self.last_day < self.first_day:
            raise ValueError("last_day must not be before first_day")
        return self


class Eligibility(Contract):
    """Who may use something: member kinds, programme stages and cohorts (empty = anyone)."""

    member_kinds: list[MemberKind] = Field(default_factory=list)
    stages: list[ProgrammeStage] = Field(default_factory=list)
    cohorts: list[Annotated[str, Field(min_length=1, max_length=50)]] = Field(
        default_factory=list, description="Programme cohorts (e.g. `2026-A`) admitted; empty = any cohort."
    )

    def unmet(self, kind: str | None, stage: str | None, cohort: str | None) -> str | None:
        """The first criterion a member organisation does not meet: `kind`, `stage`, `cohort`; None if it may.

        The one rule of eligibility (bookings, community and the front desk each phrase the
        answer in their own words): an empty list admits anyone, a member whose kind, stage or
        cohort is not known is not admitted by a list that names some.
        """
        if self.member_kinds and kind not in {k.value for k in self.member_kinds}:
            return "kind"
        if self.stages and stage not in {s.value for s in self.stages}:
            return "stage"
        if self.cohorts and cohort not in self.cohorts:
            return "cohort"
        return None


class SpaceRequirement(Contract):
    """The space something needs: a kind, at least so many seats, these features."""

    kind: SpaceKind
    seats: int = Field(ge=1, le=2000)
    features: list[Feature] = Field(default_factory=list)


class TimeRange(Contract):
    """A span of time with offsets (RFC 3339); ends after it starts."""

    starts_at: Instant
    ends_at: Instant

    @model_validator(mode="after")
    def _ordered(self) -> TimeRange:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class Actor(Contract):
    """Who did something: a role and the token's subject (a person, staff or a service)."""

    role: str = Field(pattern=r"^(member|front_desk|admin|service|system)$")
    subject: str = Field(min_length=1, max_length=200)
