"""Bookings' HTTP read models: what `/v1/bookings`, slots, a site's day, entitlements and
waitlists answer.

Some members repeat others for clients written against the first API (`id` is
`booking_id`, `starts_at` is `session.starts_at`, `version` is the ETag): they stay, marked
deprecated, and new clients should read the canonical member. Instants that bookings writes
itself are RFC 3339 strings with their offset, as they always were.
"""

from __future__ import annotations

import datetime as dt

from pydantic import AwareDatetime, Field

from parkgrid.contracts.bookings import BookingStatus
from parkgrid.contracts.catalogue import OfferingCategory
from parkgrid.contracts.common import Actor, LocalizedText, TimeRange
from parkgrid.http.models import ReadModel

Instant = str
"""An RFC 3339 date-time with its offset, as bookings formats it."""


class BookingRead(ReadModel):
    """A booking of one session of an offering; its version is also the response's ETag."""

    booking_id: str
    id: str = Field(description="Deprecated: the same as `booking_id`.", deprecated=True)
    offering_id: str
    offering_title: LocalizedText
    category: OfferingCategory
    site_id: str | None
    time_zone: str = Field(description="The IANA zone of the session's site.")
    session: TimeRange
    starts_at: Instant = Field(description="Deprecated: `session.starts_at`.", deprecated=True)
    ends_at: Instant = Field(description="Deprecated: `session.ends_at`.", deprecated=True)
    member_id: str
    person_id: str
    party_size: int
    booked_by: Actor
    status: BookingStatus
    requested_at: AwareDatetime
    reservation_request_id: str | None = Field(None, description="Set when the session needs a space.")
    space_id: str | None = None
    credits: int = Field(0, description="Credits this booking consumes.")
    version: int = Field(description="Deprecated: the ETag says it.", deprecated=True)
    late: bool | None = Field(None, description="Cancelled inside the cancellation window.")
    confirmed_at: Instant | None = None
    cancelled_at: Instant | None = None
    checked_in_at: Instant | None = None
    released_at: Instant | None = Field(
        None, description="A no-show released before its session ended (its site's `no_show_release_minutes`)."
    )
    reason: str | None = None
    rejection_detail: str | None = Field(
        None, description="Why, in bookings' words, when rejected (the `detail` of its `BookingRejected`)."
    )
    replaces: str | None = Field(None, description="The booking this one moves (reschedule).")
    series_id: str | None = Field(None, description="The recurring series this booking is an occurrence of.")
    decide_by: Instant | None = Field(
        None,
        description="Set when its offering requires staff approval: staff decide by then (`awaiting_approval`).",
    )
    decline_note: str | None = Field(None, description="When declined by staff: their words to the member.")


class BookingPage(ReadModel):
    items: list[BookingRead]
    next_cursor: str | None = Field(None, description="Opaque; pass it as `cursor` for the next page.")


class WaitlistEntryRead(ReadModel):
    """A member waiting for a seat in a full session; `booking_id` is the booking it becomes."""

    entry_id: str
    id: str = Field(description="Deprecated: the same as `entry_id`.", deprecated=True)
    booking_id: str
    offering_id: str
    session: TimeRange
    starts_at: AwareDatetime = Field(description="Deprecated: `session.starts_at`.", deprecated=True)
    ends_at: AwareDatetime = Field(description="Deprecated: `session.ends_at`.", deprecated=True)
    member_id: str
    person_id: str
    party_size: int
    position: int
    joined_at: AwareDatetime
    status: str = Field(description="waiting, promoted or left.")


class WaitlistPlaceRead(WaitlistEntryRead):
    """The answer to a booking command that found the session full and joined its waitlist."""

    status: str = Field(description="`waitlisted`: a place in line, not a booking.")
    waitlist_status: str = Field(description="The entry's own status: waiting, promoted or left.")


class WaitlistPage(ReadModel):
    items: list[WaitlistEntryRead]
    next_cursor: str | None = None


class SlotRead(ReadModel):
    """A bookable session, in the site's time zone, with the seats left."""

    starts_at: Instant
    ends_at: Instant
    seats: int
    remaining: int


class SlotPage(ReadModel):
    items: list[SlotRead]
    next_cursor: str | None = None
    time_zone: str
    offering_id: str


class SiteDayBooking(ReadModel):
    booking_id: str
    offering_id: str
    title: LocalizedText
    starts_at: Instant = Field(description="In the site's time zone.")
    ends_at: Instant
    member_id: str
    member_name: str | None
    person_id: str
    party_size: int
    status: BookingStatus
    space_id: str | None
    released_at: Instant | None = Field(
        None, description="A no-show released before its session ended: its seats and room were freed."
    )


class SiteHour(ReadModel):
    hour: str = Field(description="Local hour, `HH:00`.")
    bookings: list[SiteDayBooking]


class SiteDay(ReadModel):
    """Every booking at a site on one local day, by hour."""

    site_id: str
    date: dt.date
    time_zone: str
    hours: list[SiteHour]
    total: int


class EntitlementRead(ReadModel):
    """A member's credits of one category for one period."""

    entitlement_id: str
    member_id: str
    category: str
    period_start: dt.date
    period_end: dt.date
    allowance: int
    used: int
    remaining: int


class EntitlementPage(ReadModel):
    items: list[EntitlementRead]
    next_cursor: str | None = None


class CalendarFeedLink(ReadModel):
    """The secret URL of a member organisation's iCalendar feed: whoever has it can read the feed."""

    url: str
    path: str


__all__ = [
    "BookingPage",
    "BookingRead",
    "CalendarFeedLink",
    "EntitlementPage",
    "EntitlementRead",
    "SiteDay",
    "SiteDayBooking",
    "SiteHour",
    "SlotPage",
    "SlotRead",
    "WaitlistEntryRead",
    "WaitlistPage",
    "WaitlistPlaceRead",
]
