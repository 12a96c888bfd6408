"""Bookings' read models of recurring series: what `/v1/series` answers, each occurrence with its
outcome as recorded when the series was booked and its booking's status now."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from parkgrid.http.models import ReadModel


class OccurrenceRead(ReadModel):
    starts_at: datetime
    outcome: str = Field(description="due, booked, waitlisted, refused or cancelled.")
    booking_id: str | None
    reason: str | None = Field(
        description="Why refused: no_such_session, full, unavailable, not_eligible, not_bookable."
    )
    detail: str | None
    status: str | None = Field(None, description="Its booking's status now, or its waitlist place's (waitlisted).")


class SeriesRead(ReadModel):
    series_id: str
    offering_id: str
    site_id: str | None
    member_id: str
    person_id: str | None
    every_weeks: int
    weekdays: list[int]
    until: str | None
    count: int | None
    time_zone: str
    requested_at: datetime
    occurrences: list[OccurrenceRead]
    moved_from: str | None = Field(None, description="The series this one reschedules.")
    moved_to: str | None = Field(None, description="The series its occurrences were moved to.")
    booked: int = Field(description="Occurrences booked or waitlisted.")
    refused: int


class SeriesPage(ReadModel):
    items: list[SeriesRead]
