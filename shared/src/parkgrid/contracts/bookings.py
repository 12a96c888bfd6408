"""Events of the bookings context: bookings of offerings, waitlists, entitlements."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from parkgrid.contracts.catalogue import OfferingCategory
from parkgrid.contracts.common import (
    Actor,
    Contract,
    Id,
    LocalizedText,
    MemberKind,
    ProgrammeStage,
    TimeRange,
    TimeZone,
)
from parkgrid.events import IntegrationEvent, registry
from parkgrid.inputs import Day, Instant

# --- bookings ------------------------------------------------------------------------


class BookingStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    CHECKED_IN = "checked_in"
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    AWAITING_APPROVAL = "awaiting_approval"
    """Its seat (and room) held, waiting for its site's staff to approve or decline (issue 25)."""


class BookingSnapshot(Contract):
    """A booking of one session of an offering, as it stands after the event."""

    booking_id: Id
    offering_id: Id
    offering_title: LocalizedText
    category: OfferingCategory
    site_id: Id | None
    time_zone: TimeZone
    session: TimeRange
    member_id: Id
    person_id: Id
    party_size: int = Field(ge=1, le=500)
    booked_by: Actor
    status: BookingStatus
    requested_at: Instant
    reservation_request_id: Id | None = Field(None, description="Set when the session needs a space.")
    space_id: Id | None = None
    credits: int = Field(0, ge=0, description="Credits this booking consumes.")
    series_id: Id | None = Field(None, description="Set when the booking is an occurrence of a recurring series.")


@registry.register
class BookingRequested(IntegrationEvent, BookingSnapshot):
    """A booking was accepted and waits for its space (pending)."""

    event_type = "parkgrid.bookings.booking.requested"


@registry.register
class BookingConfirmed(IntegrationEvent, BookingSnapshot):
    """The member has the seat (and its space, if any)."""

    event_type = "parkgrid.bookings.booking.confirmed"
    confirmed_at: Instant


@registry.register
class BookingAwaitingApproval(IntegrationEvent, BookingSnapshot):
    """The seat (and room) is held until its site's staff approve or decline it, at the latest by `decide_by`."""

    event_type = "parkgrid.bookings.booking.awaiting_approval"
    decide_by: Instant = Field(description="Staff decide by then; undecided, the booking is rejected.")


@registry.register
class BookingRejected(IntegrationEvent, BookingSnapshot):
    """The booking could not be honoured; nothing is held (v3: also declined by staff, or not approved in time)."""

    # v3 adds the reasons `declined` (with the staff's `decline_note`) and `approval_expired`:
    # a consumer that knows v2's reasons only would misread them. v1 and v2 payloads read as v3.

    event_type = "parkgrid.bookings.booking.rejected"
    version = 3
    reason: str = Field(
        pattern=r"^(no_space|full|not_eligible|rules|offering_withdrawn|hold_expired|declined|approval_expired)$"
    )
    detail: str = Field(max_length=500)
    decline_note: str | None = Field(
        None, max_length=500, description="Set when declined: the staff's words to the member."
    )


@registry.register
class BookingRejectedV2(IntegrationEvent, BookingSnapshot):
    """Deprecated v2 of booking.rejected (no `declined` nor `approval_expired` reason)."""

    # v2 added the reason `hold_expired`: a pending booking nobody decided in time (spaces never
    # answered, or its request was dead-lettered) is rejected instead of holding its seat forever.

    event_type = "parkgrid.bookings.booking.rejected"
    version = 2
    reason: str = Field(pattern=r"^(no_space|full|not_eligible|rules|offering_withdrawn|hold_expired)$")
    detail: str = Field(max_length=500)


@registry.register
class BookingRejectedV1(IntegrationEvent, BookingSnapshot):
    """Deprecated v1 of booking.rejected (no `hold_expired` reason)."""

    event_type = "parkgrid.bookings.booking.rejected"
    version = 1
    reason: str = Field(pattern=r"^(no_space|full|not_eligible|rules|offering_withdrawn)$")
    detail: str = Field(max_length=500)


registry.upcaster(BookingRejected.event_type, from_version=1)(dict)
registry.upcaster(BookingRejected.event_type, from_version=2)(dict)


@registry.register
class BookingCancelled(IntegrationEvent, BookingSnapshot):
    """The booking was cancelled; its seat and space are released (v2: also a withdrawn request)."""

    # v2 lets `previous_status` be `awaiting_approval` (a member withdrawing a request staff had
    # not decided yet): a consumer that knows v1's statuses only would misread it. v1 reads as v2.

    event_type = "parkgrid.bookings.booking.cancelled"
    version = 2
    cancelled_by: Actor
    late: bool = Field(description="Cancelled inside the offering's cancellation window.")
    previous_status: BookingStatus


class StatusBeforeApprovals(StrEnum):
    """The statuses a booking could be cancelled from before approvals existed (booking.cancelled v1)."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    CHECKED_IN = "checked_in"
    COMPLETED = "completed"
    NO_SHOW = "no_show"


@registry.register
class BookingCancelledV1(IntegrationEvent, BookingSnapshot):
    """Deprecated v1 of booking.cancelled (`previous_status` never `awaiting_approval`)."""

    event_type = "parkgrid.bookings.booking.cancelled"
    version = 1
    cancelled_by: Actor
    late: bool = Field(description="Cancelled inside the offering's cancellation window.")
    previous_status: StatusBeforeApprovals


registry.upcaster(BookingCancelled.event_type, from_version=1)(dict)


@registry.register
class BookingCheckedIn(IntegrationEvent, BookingSnapshot):
    """The member arrived and was checked in."""

    event_type = "parkgrid.bookings.booking.checked_in"
    checked_in_at: Instant
    checked_in_by: Actor


@registry.register
class BookingCompleted(IntegrationEvent, BookingSnapshot):
    """The session took place with the member."""

    event_type = "parkgrid.bookings.booking.completed"


@registry.register
class BookingNoShow(IntegrationEvent, BookingSnapshot):
    """The member did not come: not checked in by the end plus grace, or released early (`released_at`)."""

    event_type = "parkgrid.bookings.booking.no_show"
    released_at: Instant | None = Field(
        None,
        description=(
            "Set when the booking was released before its session ended (the site's "
            "`no_show_release_minutes`): its seats went back to the session and its room to spaces."
        ),
    )


# --- waitlists -----------------------------------------------------------------------


class WaitlistEntrySnapshot(Contract):
    """A member waiting for a seat in a full session."""

    entry_id: Id
    offering_id: Id
    session: TimeRange
    member_id: Id
    person_id: Id
    party_size: int = Field(ge=1, le=500)
    position: int = Field(ge=1)
    joined_at: Instant
    status: str = Field(pattern=r"^(waiting|promoted|left)$")


@registry.register
class WaitlistJoined(IntegrationEvent, WaitlistEntrySnapshot):
    """A member joined the waitlist of a full session."""

    event_type = "parkgrid.bookings.waitlist.joined"


@registry.register
class WaitlistPromoted(IntegrationEvent, WaitlistEntrySnapshot):
    """A seat freed up and went to this member, first in line; a booking was made."""

    event_type = "parkgrid.bookings.waitlist.promoted"
    booking_id: Id


@registry.register
class WaitlistLeft(IntegrationEvent, WaitlistEntrySnapshot):
    """A member is out of a session's waitlist without a seat: they left, or the session began."""

    event_type = "parkgrid.bookings.waitlist.left"
    reason: str = Field(pattern=r"^(left|session_started|no_longer_eligible)$")


# --- series --------------------------------------------------------------------------


class SeriesOccurrence(Contract):
    """One occurrence of a series and what became of it: never silently dropped."""

    starts_at: Instant
    outcome: str = Field(pattern=r"^(due|booked|waitlisted|refused|cancelled)$")
    booking_id: Id | None = Field(
        None, description="The occurrence's booking (or the booking its waitlist place becomes)."
    )
    reason: str | None = Field(
        None,
        pattern=r"^(no_such_session|full|unavailable|not_eligible|not_bookable)$",
        description="Why a refused occurrence was refused.",
    )
    detail: str | None = Field(None, max_length=500)


class SeriesSnapshot(Contract):
    """A recurring booking: every N weeks on given weekdays from a first session, until a day or a count."""

    series_id: Id
    offering_id: Id
    site_id: Id | None = Field(description="The offering's site; an online offering's: the member's home site.")
    member_id: Id
    person_id: Id | None
    every_weeks: int = Field(ge=1, le=4)
    weekdays: list[int] = Field(min_length=1, max_length=7, description="ISO weekdays, 1 = Monday.")
    until: Day | None = None
    count: int | None = Field(None, ge=1, le=26)
    time_zone: TimeZone
    requested_by: Actor
    requested_at: Instant
    occurrences: list[SeriesOccurrence] = Field(max_length=26)


@registry.register
class SeriesRequested(IntegrationEvent, SeriesSnapshot):
    """Every occurrence of a series was tried: each says booked, waitlisted or refused and why."""

    event_type = "parkgrid.bookings.series.requested"


@registry.register
class SeriesCancelled(IntegrationEvent, SeriesSnapshot):
    """The series' occurrences from `cancelled_from` on (all its future ones if none) were cancelled."""

    event_type = "parkgrid.bookings.series.cancelled"
    cancelled_from: Instant | None = None
    cancelled_by: Actor


# --- per-period limits per plan ------------------------------------------------------


class LimitMeasure(StrEnum):
    """What a limit counts: hours of the sessions booked, or the sessions themselves."""

    ROOM_HOURS = "room_hours"
    SESSIONS = "sessions"


class LimitPeriod(StrEnum):
    """The period a limit is counted over, in the site's zone (weeks from Monday)."""

    WEEK = "week"
    MONTH = "month"


class LimitRule(Contract):
    """At most `max` of `measure` per `period` of one category of offering, for the members of one
    kind and/or programme stage (none: every member)."""

    rule_id: Id
    member_kind: MemberKind | None = Field(None, description="Only members of this kind; none: any kind.")
    stage: ProgrammeStage | None = Field(None, description="Only members at this programme stage; none: any stage.")
    measure: LimitMeasure
    category: OfferingCategory = Field(description="The category of offering the limit counts.")
    period: LimitPeriod
    max: int = Field(ge=1, le=1000, description="Hours (room_hours) or sessions (sessions) per period.")


class LimitPolicySnapshot(Contract):
    """A site's per-period limits per plan, as an admin last set them (the whole list each time)."""

    site_id: Id
    rules: list[LimitRule] = Field(max_length=50)
    changed_by: Actor
    changed_at: Instant


@registry.register
class LimitsChanged(IntegrationEvent, LimitPolicySnapshot):
    """An admin set the site's limits; bookings from now on are admitted under these rules."""

    event_type = "parkgrid.bookings.limits.changed"


# --- entitlements --------------------------------------------------------------------


class EntitlementSnapshot(Contract):
    """A member organisation's allowance of credits for a category over a period."""

    entitlement_id: Id
    member_id: Id
    category: OfferingCategory
    period_start: Day
    period_end: Day = Field(description="Last day, inclusive.")
    allowance: int = Field(ge=0)
    used: int = Field(ge=0)
    remaining: int = Field(ge=0)


@registry.register
class EntitlementGranted(IntegrationEvent, EntitlementSnapshot):
    """An allowance was granted (programme-aware: by stage, per period)."""

    event_type = "parkgrid.bookings.entitlement.granted"
    reason: str = Field(max_length=200)


@registry.register
class EntitlementConsumed(IntegrationEvent, EntitlementSnapshot):
    """A booking used credits."""

    event_type = "parkgrid.bookings.entitlement.consumed"
    booking_id: Id
    amount: int = Field(ge=1)


@registry.register
class EntitlementRestored(IntegrationEvent, EntitlementSnapshot):
    """A timely cancellation gave credits back."""

    event_type = "parkgrid.bookings.entitlement.restored"
    booking_id: Id
    amount: int = Field(ge=1)
