"""Calendars, reservations and day passes, and the rules that decide a reservation.

A space's calendar is the list of ranges held on it; a new range must keep the space's
preparation and cleaning time free around every held one, and its own clear of them (the kit's
one rule, `parkgrid.buffers`, which bookings' slot search applies too). Sites and spaces
themselves (opening hours, what a space offers, its buffers) are `spaces.domain.sites`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from parkgrid.buffers import Buffers
from parkgrid.contracts.common import SpaceKind, SpaceRequirement
from parkgrid.contracts.spaces import RefusalReason, Requester, ReservationStatus
from parkgrid.inputs import LATEST
from parkgrid.refusals import Refused
from spaces.domain.happened import (
    Change,
    DayPassGranted,
    Document,
    ReservationGivenBack,
    ReservationHeld,
    ReservationTurnedDown,
)

if TYPE_CHECKING:  # sites.py builds holds and refusals of this module; here a space is only read
    from spaces.domain.sites import Space

NO_BUFFERS = Buffers()
LONGEST_RESERVATION = timedelta(days=31)
"""A reservation is short-term; anything longer is a residency."""


class SpacesRefused(Refused):
    """Invalid input (422, naming `field`), or a `conflict` with what the spaces hold (409)."""

    def __init__(self, detail: str, field: str | None = None, *, conflict: bool = False) -> None:
        super().__init__("conflict" if conflict else "invalid", detail, field=None if conflict else field)


@dataclass(frozen=True)
class Refusal:
    """Why a reservation request is answered no (published with the refusal)."""

    reason: RefusalReason
    detail: str


@dataclass(frozen=True)
class Hold:
    """A range held on a space's calendar: a reservation's, or a residency's whole days.

    `reservation_id` is the holder's id (a reservation, or a residency's stay or offer).
    Residencies and reservations hold on the same calendar, so one version-guarded write
    decides between them; a residency's holds are never pruned (a handful per office).
    """

    reservation_id: str
    starts_at: datetime
    ends_at: datetime
    residency: bool = False
    places: int | None = None
    """Places of a shared area it takes (a day pass: 1, a reservation: its seats); None: the whole space."""
    held_at: datetime | None = None
    """When the repair sweep first saw this residency hold (its grace period runs from then)."""

    def places_of(self, capacity: int) -> int:
        return capacity if self.places is None else self.places


@dataclass
class Calendar:
    """The held ranges of one space, at a version that guards concurrent changes.

    Holds that ended long ago are pruned so the document does not grow forever; what was
    pruned is summed up by `closed_before`: nothing may be held any more that would reach
    (buffer included) before that instant, since a pruned hold could be there.
    """

    space_id: str
    version: int
    holds: list[Hold] = field(default_factory=list)
    closed_before: datetime | None = None

    def held_by(self, reservation_id: str) -> Hold | None:
        return next((h for h in self.holds if h.reservation_id == reservation_id), None)

    def is_history(self, starts_at: datetime, buffers: Buffers = NO_BUFFERS) -> bool:
        """The range (with the gap its buffers keep from an earlier hold) reaches back into the pruned past."""
        return self.closed_before is not None and starts_at - buffers.widest < self.closed_before

    def is_free(
        self, starts_at: datetime, ends_at: datetime, buffers: Buffers = NO_BUFFERS, *, ignoring: str | None = None
    ) -> bool:
        """No held range (but `ignoring`'s own) falls in the range, its preparation or its cleaning,
        nor the range in theirs (`Buffers.keeps_clear`)."""
        if self.is_history(starts_at, buffers):
            return False
        return all(
            buffers.keeps_clear(starts_at, ends_at, h.starts_at, h.ends_at)
            for h in self.holds
            if h.reservation_id != ignoring
        )

    def days_free(self, starts_at: datetime, ends_at: datetime, *, ignoring: str | None = None) -> bool:
        """No held range (reservation or residency, but `ignoring`'s own) overlaps [starts_at, ends_at).

        The residencies' rule: unlike `is_free`, a range reaching before `closed_before` is not
        refused for that: residency holds are never pruned, so between residencies it is exact;
        what pruning forgot are reservations that ended, which days taken now cannot undo.
        """
        return all(
            not (h.starts_at < ends_at and starts_at < h.ends_at) for h in self.holds if h.reservation_id != ignoring
        )

    def peak(self, starts_at: datetime, ends_at: datetime, capacity: int) -> int:
        """The most places held at any instant of [starts_at, ends_at) of an area of `capacity`.

        The load only rises where a hold starts, so it is enough to look at `starts_at` and at
        the starts of the holds within the range."""
        overlapping = [h for h in self.holds if h.starts_at < ends_at and starts_at < h.ends_at]
        instants = [starts_at, *(h.starts_at for h in overlapping if h.starts_at > starts_at)]
        return max(
            (sum(h.places_of(capacity) for h in overlapping if h.starts_at <= t < h.ends_at) for t in instants),
            default=0,
        )

    def places_free(self, starts_at: datetime, ends_at: datetime, places: int, capacity: int) -> bool:
        """`places` more fit in an area of `capacity` over [starts_at, ends_at): day passes and
        reservations of the area counted together (a hold without places takes the whole area)."""
        if self.is_history(starts_at):
            return False
        return self.peak(starts_at, ends_at, capacity) + places <= capacity

    def admits(self, space: Space, buffers: Buffers, starts_at: datetime, ends_at: datetime, seats: int) -> bool:
        """The one availability rule of a space for a reservation of `seats`: a shared area (hot
        desks) by its places left, no buffers; any other space only if nothing else holds it,
        with its `buffers` (`Space.buffers_at` its site) kept."""
        if space.shares_places:
            return self.places_free(starts_at, ends_at, seats, space.capacity)
        return self.is_free(starts_at, ends_at, buffers)

    def past_holds(self, cut: datetime) -> list[Hold]:
        """The reservation holds that ended before `cut`: what pruning at `cut` removes."""
        return [h for h in self.holds if h.ends_at < cut and not h.residency]


def day_range(first_day: date, last_day: date) -> tuple[datetime, datetime]:
    """Whole days as a range on a calendar: midnight UTC to the midnight after the last day."""
    return (
        datetime.combine(first_day, time(0), UTC),
        datetime.combine(last_day + timedelta(days=1), time(0), UTC),
    )


def local_day(day: date, time_zone: str) -> tuple[datetime, datetime]:
    """A site's local day as a range on a calendar: its midnight to the next, in UTC."""
    zone = ZoneInfo(time_zone)
    return (
        datetime.combine(day, time(0), zone).astimezone(UTC),
        datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC),
    )


RESIDENCY_KINDS = (SpaceKind.PRIVATE_OFFICE, SpaceKind.DEDICATED_DESK)
INCUBATION = 18
"""Months of a residency unless said otherwise."""


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


LONGEST_RESIDENCY = timedelta(days=366 * 5)


def residency_term(starts_on: date, ends_on: date | None) -> tuple[date, str | None]:
    """A residency's last day (18 months from `starts_on` unless `ends_on`), and what is wrong with it, if anything.

    Within the network's calendar: a default end past its last day is refused, not published."""
    last_day = ends_on or add_months(starts_on, INCUBATION) - timedelta(days=1)
    if last_day < starts_on:
        return last_day, "ends_on must not be before starts_on"
    if last_day - starts_on > LONGEST_RESIDENCY:
        return last_day, "a residency lasts at most 5 years"
    if last_day > LATEST:
        return last_day, f"a residency ends by {LATEST.isoformat()}: give its ends_on"
    return last_day, None


BACKDATING = timedelta(days=31)
"""How far back staff may start a residency: the paperwork may follow the move-in by a month."""
HORIZON_MONTHS = 24
"""How far ahead a residency may start, or a reservation be made."""


def horizon(today: date) -> date:
    """The last day a residency may start or a reservation take place, seen from `today`."""
    return add_months(today, HORIZON_MONTHS)


def residency_start_refusal(starts_on: date, today: date) -> str | None:
    """What is wrong with a residency starting on `starts_on`, `today` being the site's local day."""
    if starts_on < today - BACKDATING:
        return f"a residency starts on or after {today - BACKDATING} (at most {BACKDATING.days} days back)"
    if starts_on > horizon(today):
        return f"a residency starts by {horizon(today)} (at most {HORIZON_MONTHS // 12} years ahead)"
    return None


def reservation_horizon_refusal(starts_at: datetime, now: datetime) -> str | None:
    """A reservation more than two years ahead is refused (no calendar is planned that far)."""
    last = horizon(now.astimezone(UTC).date())
    if starts_at.astimezone(UTC).date() > last:
        return f"a reservation starts by {last} (at most {HORIZON_MONTHS // 12} years ahead)"
    return None


def best_fits(spaces: Iterable[Space], requirement: SpaceRequirement) -> list[Space]:
    """The spaces that meet the requirement, the smallest first (ties by name, then id)."""
    return sorted((s for s in spaces if s.meets(requirement)), key=lambda s: (s.capacity, s.name, s.space_id))


def invalid_range(starts_at: datetime, ends_at: datetime) -> str | None:
    if ends_at <= starts_at:
        return "ends_at must be after starts_at"
    if ends_at - starts_at > LONGEST_RESERVATION:
        return f"a reservation lasts at most {LONGEST_RESERVATION.days} days"
    return None


@dataclass(frozen=True)
class Reservation:
    """A reservation as answered: spaces' own record of it, stored as `to_document()` (the fields
    of the contract's `ReservationSnapshot`; its times stay dates, so the store can compare them)."""

    reservation_id: str
    request_id: str
    requested_by: Requester
    reference_id: str
    site_id: str
    requirement: SpaceRequirement
    starts_at: datetime
    ends_at: datetime
    status: ReservationStatus
    member_id: str | None = None
    space_id: str | None = None
    space_name: str | None = None

    def to_document(self) -> Document:
        return {
            "reservation_id": self.reservation_id,
            "request_id": self.request_id,
            "requested_by": self.requested_by.value,
            "reference_id": self.reference_id,
            "site_id": self.site_id,
            "requirement": self.requirement.model_dump(mode="json"),
            "time": {"starts_at": self.starts_at, "ends_at": self.ends_at},
            "member_id": self.member_id,
            "status": self.status.value,
            "space_id": self.space_id,
            "space_name": self.space_name,
        }


def reservation_held(reservation: Document) -> Change:
    return reservation, [ReservationHeld(reservation)]


def reservation_turned_down(reservation: Document, refusal: Refusal) -> Change:
    """The refused reservation keeps why (its detail cut to what the contract carries)."""
    refused = {**reservation, "reason": refusal.reason.value, "detail": refusal.detail[:500]}
    return refused, [ReservationTurnedDown(refused)]


def reservation_given_back(reservation: Document, at: datetime) -> Change | None:
    """Only a confirmed reservation has a range to give back; None for a refused or released one."""
    if reservation["status"] != ReservationStatus.CONFIRMED:
        return None
    changes: Document = {"status": ReservationStatus.RELEASED.value}
    return changes, [ReservationGivenBack({**reservation, **changes}, at)]


def day_pass_granted(day_pass: Document) -> Change:
    return day_pass, [DayPassGranted(day_pass)]
