"""Bookings' read models of approvals (issue 25 part 2): what `GET /v1/approvals?site_id=` answers,
a site's bookings still waiting for its staff to approve or decline them, the nearest deadline first.

A decision (`POST /v1/approvals/{booking_id}/approve` or `/decline`) answers the booking itself
(`parkgrid.api.bookings.BookingRead`), so a client reads the outcome as it reads any booking."""

from __future__ import annotations

from pydantic import AwareDatetime, Field

from parkgrid.contracts.common import LocalizedText
from parkgrid.http.models import ReadModel


class ApprovalRead(ReadModel):
    """A booking holding its seat until staff decide, or until `decide_by` (then it is rejected)."""

    booking_id: str
    offering_id: str
    offering_title: LocalizedText
    member_id: str
    person_id: str
    site_id: str
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    requested_at: AwareDatetime
    decide_by: AwareDatetime = Field(description="Undecided by then, the booking is rejected (`approval_expired`).")


class ApprovalPage(ReadModel):
    items: list[ApprovalRead]
    next_cursor: str | None = Field(None, description="Opaque; pass it as `cursor` for the next page.")


__all__ = ["ApprovalPage", "ApprovalRead"]
