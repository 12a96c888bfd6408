"""The booking aggregate: one member's seat(s) in one session of an offering, and its lifecycle.

    pending ──(space reserved)──> confirmed ──> checked_in ──> completed
       ├──(space reserved, a visit the desk records: `visit`)──────────^
       │  └──(space reserved, the offering requires approval)──> awaiting_approval (domain.approvals)
       │                              │    ├──(end + grace, not checked in)──> no_show
       │                              │    └──(site's N minutes after start, not checked in)──> no_show, released
       │                              └──> cancelled (late inside the cancellation window)
       └──(space refused, or not decided in time: hold expired)──> rejected

Every function is pure: it takes the booking as it stands and the facts it needs and
returns the new booking with the domain events (`domain.happened`) that say what happened;
`service_layer.publication` turns them into the public events and the saga's commands.
Seats and "one booking per member per session" are decided by the adapters' guarded documents, not here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bookings.domain.happened import (
    ApprovalAwaited,
    BookingCalledOff,
    BookingOpened,
    BookingSecured,
    BookingTurnedDown,
    MemberArrived,
    SessionAttended,
    SessionMissed,
    SpaceGivenUp,
    SpaceSought,
)
from parkgrid.contracts.bookings import BookingSnapshot, BookingStatus
from parkgrid.contracts.catalogue import OfferingSnapshot, OfferingStatus, Period
from parkgrid.contracts.common import TimeRange
from parkgrid.domain import DomainEvent
from parkgrid.refusals import Refusal, Refused

NO_SHOW_GRACE = timedelta(minutes=30)
CHECK_IN_OPENS = timedelta(minutes=60)
"""How long before the start check-in opens, unless the service is told otherwise (settings)."""
ACTIVE = (BookingStatus.PENDING, BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN, BookingStatus.AWAITING_APPROVAL)
"""Statuses that hold a seat (one awaiting its staff's approval holds it as a confirmed one does)."""
COUNTED = (*ACTIVE, BookingStatus.COMPLETED, BookingStatus.NO_SHOW)
"""Statuses that count towards a member's per-period limit."""
VISIT_WITHIN = timedelta(hours=24)
"""How long after a session began the front desk may still record it as a visit (`check_rules`)."""


class BookingRefused(Refused):
    """A booking command that the rules refuse; its `refusal` picks the HTTP status at the edge."""

    refusal = Refusal.INVALID

    def __init__(self, detail: str, field: str | None = None) -> None:
        super().__init__(self.refusal, detail, field=field)


class InvalidBooking(BookingRefused):
    """Input that names no bookable thing (unknown offering, not a session, past...): 422."""


class NotEligible(BookingRefused):
    """The member's kind, stage or status excludes them: 403."""

    refusal = Refusal.FORBIDDEN


class Unavailable(BookingRefused):
    """Full, already booked, limit reached, wrong state: 409."""

    refusal = Refusal.CONFLICT


@dataclass(frozen=True)
class MemberFacts:
    """What bookings knows of a member organisation, from community's events."""

    member_id: str
    name: str
    kind: str
    stage: str
    active: bool
    home_site_id: str | None
    people: tuple[str, ...]
    cohort: str | None = None


@dataclass(frozen=True)
class Actor:
    role: str
    subject: str

    def as_dict(self) -> dict[str, str]:
        return {"role": self.role, "subject": self.subject}


@dataclass(frozen=True)
class Booking:
    booking_id: str
    offering_id: str
    offering_title: dict[str, Any]
    category: str
    site_id: str | None
    time_zone: str
    starts_at: datetime
    ends_at: datetime
    member_id: str
    person_id: str
    party_size: int
    booked_by: Actor
    status: BookingStatus
    requested_at: datetime
    credits: int = 0
    requirement: dict[str, Any] | None = None
    attempt: int = 0
    reservation_request_id: str | None = None
    space_id: str | None = None
    confirmed_at: datetime | None = None
    cancelled_at: datetime | None = None
    late: bool | None = None
    checked_in_at: datetime | None = None
    ended_at: datetime | None = None
    released_at: datetime | None = None
    reason: str | None = None
    rejection_detail: str | None = None
    waitlist_entry_id: str | None = None
    replaces: str | None = None
    series_id: str | None = None
    decide_by: datetime | None = None
    """Set when its offering requires approval: staff decide by then (`domain.approvals`)."""
    awaited_at: datetime | None = None
    decided_at: datetime | None = None
    decline_note: str | None = None
    visit: bool = False
    """Recorded by the front desk once its session had begun (someone came without booking, or the
    desk books after the fact): it needs no approval and is checked in as soon as it is secured."""

    @property
    def holds_seat(self) -> bool:
        return self.status in ACTIVE

    def snapshot(self, mode: str = "python") -> dict[str, Any]:
        return BookingSnapshot(
            booking_id=self.booking_id,
            offering_id=self.offering_id,
            offering_title=self.offering_title,  # type: ignore[arg-type]
            category=self.category,  # type: ignore[arg-type]
            site_id=self.site_id,
            time_zone=self.time_zone,
            session=TimeRange(starts_at=self.starts_at, ends_at=self.ends_at),
            member_id=self.member_id,
            person_id=self.person_id,
            party_size=self.party_size,
            booked_by=self.booked_by.as_dict(),  # type: ignore[arg-type]
            status=self.status,
            requested_at=self.requested_at,
            reservation_request_id=self.reservation_request_id,
            space_id=self.space_id,
            credits=self.credits,
            series_id=self.series_id,
        ).model_dump(mode=mode)


# --- checks before a booking is made -------------------------------------------------


def check_eligible(offering: OfferingSnapshot, member: MemberFacts | None, person_id: str | None) -> str:
    """The person who books (the given one, else the organisation's first); raises if not eligible."""
    if member is None:
        raise InvalidBooking("there is no such member organisation", field="member_id")
    if not member.active:
        raise NotEligible(f"{member.name} has left the programme", field="member_id")
    eligibility = offering.eligibility
    unmet = eligibility.unmet(member.kind, member.stage, member.cohort)
    if unmet == "kind":
        kinds = ", ".join(k.value for k in eligibility.member_kinds)
        raise NotEligible(f"this offering is for {kinds}; {member.name} is {member.kind}", field="member_id")
    if unmet == "stage":
        stages = ", ".join(s.value for s in eligibility.stages)
        raise NotEligible(
            f"this offering is for the stages {stages}; {member.name} is at {member.stage}", field="member_id"
        )
    if unmet == "cohort":
        raise NotEligible(
            f"this offering is for the cohorts {', '.join(eligibility.cohorts)}; "
            f"{member.name} is in {member.cohort or 'no cohort'}",
            field="member_id",
        )
    if person_id is not None:
        if member.people and person_id not in member.people:
            raise InvalidBooking(f"{person_id} is not one of {member.name}'s people", field="person_id")
        return person_id
    if not member.people:
        raise InvalidBooking(f"{member.name} has no people to book for; give person_id", field="person_id")
    return member.people[0]


WALK_IN_ROLES = frozenset({"front_desk", "admin"})
"""Who books at the counter: the offering's notice is theirs to waive (see `check_rules`)."""


def is_walk_in(actor: Actor) -> bool:
    """A booking the front desk (or an admin) makes is a walk-in: no notice applies to it."""
    return actor.role in WALK_IN_ROLES


DECIDE_BEFORE_START = timedelta(hours=2)
"""An approval is due at the latest this long before the session, so a member declined (or
expired) still has time to book something else and the desk to prepare the room."""
LEAST_TIME_TO_DECIDE = timedelta(hours=1)
"""The shortest time the site's staff are given to decide a booking that waits for them: a session
sooner than `DECIDE_BEFORE_START` plus this is not offered, to anyone, for an offering that requires
approval (it could only expire on arrival)."""


def notice_of(offering: OfferingSnapshot, *, walk_in: bool = False) -> timedelta:
    """How long before a session it may be booked: the offering's notice, waived for a walk-in; and
    for an offering whose bookings wait for staff, never less than the time a decision needs."""
    notice = timedelta(0) if walk_in else timedelta(minutes=offering.rules.min_notice_minutes)
    approval = offering.rules.approval
    if approval is not None and approval.required:
        return max(notice, DECIDE_BEFORE_START + LEAST_TIME_TO_DECIDE)
    return notice


def check_rules(
    offering: OfferingSnapshot,
    starts_at: datetime,
    party_size: int,
    now: datetime,
    *,
    walk_in: bool = False,
    visit: bool = False,
) -> None:
    """The offering's rules at `now`. The notice (`min_notice_minutes`) is there so the park can
            prepare; a `walk_in` (the front desk booking for someone at the counter) waives it, as a desk
            does for a member who needs a room in ten minutes, except the time staff need to decide a booking
        that waits for them (`notice_of`). A session already begun is refused to all, but as a `visit`:
    the front desk recording, within `VISIT_WITHIN`, someone who came (the seats are still guarded)."""
    if offering.status != OfferingStatus.PUBLISHED:
        raise Unavailable(f"offering {offering.offering_id} is {offering.status.value}", field="offering_id")
    if party_size > offering.seats_per_session:
        raise InvalidBooking(
            f"a session has {offering.seats_per_session} seat(s); party_size {party_size} is too many",
            field="party_size",
        )
    if visit:
        _check_visit(starts_at, now, walk_in=walk_in)
        return
    if starts_at <= now:
        raise InvalidBooking("this session has already started", field="starts_at")
    notice = notice_of(offering, walk_in=walk_in)
    if starts_at < now + notice:
        minutes = int(notice.total_seconds()) // 60
        raise InvalidBooking(f"book at least {minutes} minutes before the session", field="starts_at")
    if starts_at > now + timedelta(days=offering.rules.max_advance_days):
        raise InvalidBooking(
            f"sessions open for booking {offering.rules.max_advance_days} days ahead", field="starts_at"
        )


def _check_visit(starts_at: datetime, now: datetime, *, walk_in: bool) -> None:
    """A visit is the desk's record of a session that has begun, at most `VISIT_WITHIN` ago."""
    if not walk_in:
        raise InvalidBooking("only the front desk records a visit", field="attended")
    if starts_at > now:
        raise InvalidBooking("this session has not begun: book it instead of recording a visit", field="starts_at")
    if starts_at < now - VISIT_WITHIN:
        hours = int(VISIT_WITHIN.total_seconds()) // 3600
        raise InvalidBooking(f"a visit is recorded within {hours} hours of its session's start", field="starts_at")


def period_of(period: Period, day: date) -> tuple[date, date]:
    """The first and last (inclusive) local day of the period that contains `day`."""
    if period == Period.DAY:
        return day, day
    if period == Period.WEEK:
        first = day - timedelta(days=day.isoweekday() - 1)
        return first, first + timedelta(days=6)
    if period == Period.MONTH:
        first = day.replace(day=1)
    elif period == Period.QUARTER:
        first = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    else:
        first = date(day.year, 1, 1)
    months = {Period.MONTH: 1, Period.QUARTER: 3, Period.YEAR: 12}[period]
    month = first.month - 1 + months
    after = date(first.year + month // 12, month % 12 + 1, 1)
    return first, after - timedelta(days=1)


def local_day(moment: datetime, time_zone: str) -> date:
    return moment.astimezone(ZoneInfo(time_zone)).date()


# --- the lifecycle -------------------------------------------------------------------


def request_id_of(booking_id: str, attempt: int) -> str:
    return f"{booking_id}.r{attempt}"


def release(booking: Booking, request_id: str, reason: str) -> SpaceGivenUp:
    """The booking lets go of the space of `request_id` (its own, or one answered too late)."""
    return SpaceGivenUp(booking, request_id, reason)


def open_booking(booking: Booking, now: datetime) -> tuple[Booking, list[DomainEvent]]:
    """A booking whose seat is secured: confirmed at once, or pending while spaces finds a room."""
    if booking.requirement is not None and booking.site_id is not None:
        pending = replace(
            booking,
            status=BookingStatus.PENDING,
            attempt=1,
            reservation_request_id=request_id_of(booking.booking_id, 1),
        )
        return pending, [BookingOpened(pending), SpaceSought(pending)]
    return _secured(booking, booking.space_id, now)


def confirm(booking: Booking, space_id: str | None, now: datetime) -> tuple[Booking, list[DomainEvent]]:
    if booking.status != BookingStatus.PENDING:
        return booking, []
    return _secured(booking, space_id, now)


def _secured(booking: Booking, space_id: str | None, now: datetime) -> tuple[Booking, list[DomainEvent]]:
    """Seat (and space) held: confirmed, or awaiting its site's staff when the offering requires
    approval (`decide_by` was set when it was requested); a visit is confirmed and checked in at
    once, by whoever recorded it, in the same write (no no-show sweep can come between)."""
    if booking.visit:
        confirmed = replace(booking, status=BookingStatus.CONFIRMED, space_id=space_id, confirmed_at=now)
        checked = replace(confirmed, status=BookingStatus.CHECKED_IN, checked_in_at=now)
        return checked, [BookingSecured(confirmed), MemberArrived(checked, booking.booked_by)]
    if booking.decide_by is not None:
        waiting = replace(booking, status=BookingStatus.AWAITING_APPROVAL, space_id=space_id, awaited_at=now)
        return waiting, [ApprovalAwaited(waiting)]
    confirmed = replace(booking, status=BookingStatus.CONFIRMED, space_id=space_id, confirmed_at=now)
    return confirmed, [BookingSecured(confirmed)]


def expire_hold(booking: Booking, hold: timedelta, now: datetime) -> tuple[Booking, list[DomainEvent]]:
    """A booking still pending `hold` after it was requested is rejected (`hold_expired`) and lets
    go of its space request, so a confirmation arriving later is released; nothing otherwise."""
    if booking.status != BookingStatus.PENDING or now < booking.requested_at + hold:
        return booking, []
    minutes = int(hold.total_seconds() // 60)
    rejected, happened = reject(booking, "hold_expired", f"no space was confirmed within {minutes} minutes")
    if booking.reservation_request_id is not None:
        happened.append(release(booking, booking.reservation_request_id, "hold expired"))
    return rejected, happened


def reject(booking: Booking, reason: str, detail: str) -> tuple[Booking, list[DomainEvent]]:
    if booking.status != BookingStatus.PENDING:
        return booking, []
    rejected = replace(booking, status=BookingStatus.REJECTED, reason=reason, rejection_detail=detail)
    return rejected, [BookingTurnedDown(rejected, detail)]


def is_late(booking: Booking, cancellation_window_minutes: int, now: datetime) -> bool:
    return now > booking.starts_at - timedelta(minutes=cancellation_window_minutes)


def cancel(
    booking: Booking, actor: Actor, now: datetime, cancellation_window_minutes: int, *, staff_override: bool = False
) -> tuple[Booking, list[DomainEvent]]:
    """Cancel a booking that holds a seat; inside the window it is late (staff may waive that).
    A booking still awaiting approval is withdrawn, never late: nothing was granted yet."""
    if booking.status not in (BookingStatus.PENDING, BookingStatus.CONFIRMED, BookingStatus.AWAITING_APPROVAL):
        raise Unavailable(f"a {booking.status.value} booking cannot be cancelled")
    if booking.starts_at <= now and not staff_override:
        raise Unavailable("the session has started; ask the front desk")
    waiting = booking.status == BookingStatus.AWAITING_APPROVAL
    late = is_late(booking, cancellation_window_minutes, now) and not staff_override and not waiting
    cancelled = replace(booking, status=BookingStatus.CANCELLED, cancelled_at=now, late=late)
    happened: list[DomainEvent] = [BookingCalledOff(cancelled, actor, booking.status)]
    if booking.reservation_request_id is not None:
        happened.append(release(booking, booking.reservation_request_id, "booking cancelled"))
    return cancelled, happened


def check_in(
    booking: Booking, actor: Actor, now: datetime, opens_before: timedelta = CHECK_IN_OPENS
) -> tuple[Booking, list[DomainEvent]]:
    """Check the member in, from `opens_before` the start until the session ends; once.

    A refusal names the local time (the site's zone) at which check-in opens, closed, or
    happened, so a front desk can say it at the door.
    """
    if booking.status == BookingStatus.CHECKED_IN and booking.checked_in_at is not None:
        raise Unavailable(f"already checked in at {_local_time(booking, booking.checked_in_at)}")
    if booking.released_at is not None:
        raise Unavailable(
            f"released as a no-show at {_local_time(booking, booking.released_at)}: "
            "its seat was given back; ask the front desk"
        )
    if booking.status != BookingStatus.CONFIRMED:
        raise Unavailable(f"a {booking.status.value} booking cannot be checked in")
    opens = booking.starts_at - opens_before
    if now < opens:
        raise Unavailable(f"check-in opens at {_local_time(booking, opens, with_day=True)}")
    if now >= booking.ends_at:
        raise Unavailable(f"check-in closed at {_local_time(booking, booking.ends_at, with_day=True)}")
    checked = replace(booking, status=BookingStatus.CHECKED_IN, checked_in_at=now)
    return checked, [MemberArrived(checked, actor)]


def release_no_show(booking: Booking, after_minutes: int, now: datetime) -> tuple[Booking, list[DomainEvent]]:
    """A confirmed booking not checked in `after_minutes` after its start (its site's setting) is a
    no-show released before its session ends: its seats go back to the session (`Seating.free`)
    and its room to spaces (`SpaceGivenUp`, in the same write). Nothing otherwise: checked in,
    not yet due, or already ended (then `settle` decides, after the grace period).

    Decided on the booking as it stands inside its version-guarded write, so a check-in saved
    first leaves nothing to release, and a release saved first refuses the check-in.
    """
    due = booking.starts_at + timedelta(minutes=after_minutes)
    if booking.status != BookingStatus.CONFIRMED or now < due or now >= booking.ends_at:
        return booking, []
    released = replace(booking, status=BookingStatus.NO_SHOW, ended_at=now, released_at=now)
    happened: list[DomainEvent] = [SessionMissed(released)]
    if booking.reservation_request_id is not None:
        happened.append(release(booking, booking.reservation_request_id, "no-show released"))
    return released, happened


def _local_time(booking: Booking, moment: datetime, *, with_day: bool = False) -> str:
    """`HH:MM` (and the day, when asked) of `moment` in the booking's zone, the site's."""
    local = moment.astimezone(ZoneInfo(booking.time_zone))
    return f"{local:%H:%M} on {local:%Y-%m-%d}" if with_day else f"{local:%H:%M}"


def settle(booking: Booking, now: datetime) -> tuple[Booking, list[DomainEvent]]:
    """After the session: checked in → completed; confirmed and past the grace period → no-show."""
    if booking.status == BookingStatus.CHECKED_IN and now >= booking.ends_at:
        done = replace(booking, status=BookingStatus.COMPLETED, ended_at=now)
        return done, [SessionAttended(done)]
    if booking.status == BookingStatus.CONFIRMED and now >= booking.ends_at + NO_SHOW_GRACE:
        missed = replace(booking, status=BookingStatus.NO_SHOW, ended_at=now)
        return missed, [SessionMissed(missed)]
    return booking, []
