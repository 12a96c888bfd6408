"""Events of the spaces context: sites, spaces, residencies, reservations, day passes, the
office waitlist and visitors; and the commands other services address to it (topic `spaces.commands`).

Reservation commands are keyed by site id, so that spaces decides the requests of one
site one at a time; their replies (`reservation.confirmed` / `refused`) carry the
command's `request_id` and the requester's `reference_id`.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from parkgrid.contracts.common import (
    Actor,
    Closure,
    Contract,
    Feature,
    Id,
    LocalTime,
    SpaceKind,
    SpaceRequirement,
    TimeRange,
    TimeZone,
    WeeklyWindow,
)
from parkgrid.events import IntegrationEvent, registry
from parkgrid.inputs import Day, Instant

# --- the vocabulary of space features ---------------------------------------------------


class SpaceFeature(StrEnum):
    """What a space can offer, in one vocabulary owned by spaces.

    A space declares its features from this list, and an offering's space requirement asks
    for features from the same list, so a requirement can always be met by some room (two
    vocabularies once made "video" rooms unable to satisfy "video_conferencing"). Events
    keep `features` as strings (`Feature`): a subscriber tolerates a feature added here
    later; commands that declare features are validated against this list.
    """

    SCREEN = "screen"
    PROJECTOR = "projector"
    WHITEBOARD = "whiteboard"
    VIDEO_CONFERENCING = "video_conferencing"
    SOUND_SYSTEM = "sound_system"
    WIFI = "wifi"
    ACCESSIBILITY = "accessibility"
    NATURAL_LIGHT = "natural_light"
    LOCKERS = "lockers"
    KITCHENETTE = "kitchenette"


# --- sites ---------------------------------------------------------------------------


class SiteStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class KindBuffers(Contract):
    """A site's preparation and cleaning time around each reservation of a kind of space."""

    before_minutes: int = Field(0, ge=0, le=240, description="Preparation before each reservation.")
    after_minutes: int = Field(0, ge=0, le=240, description="Cleaning after each reservation.")


class SiteSnapshot(Contract):
    """A site of the network as it stands after the event."""

    site_id: Id
    name: str = Field(min_length=1, max_length=200)
    city: str = Field(min_length=1, max_length=100)
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2.")
    time_zone: TimeZone
    opening_hours: list[WeeklyWindow]
    closures: list[Closure] = Field(default_factory=list)
    status: SiteStatus = SiteStatus.OPEN
    buffers: dict[SpaceKind, KindBuffers] = Field(
        default_factory=dict,
        description="Buffers by kind of space, for the spaces that set none of their own (`parkgrid.buffers`).",
    )
    no_show_release_minutes: int | None = Field(
        None,
        ge=5,
        le=240,
        description=(
            "A confirmed booking at the site not checked in this many minutes after its start is released "
            "as a no-show (its seats and room freed); None: held until its session ends."
        ),
    )


@registry.register
class SiteRegistered(IntegrationEvent, SiteSnapshot):
    """A site joined the network."""

    event_type = "parkgrid.spaces.site.registered"


@registry.register
class SiteUpdated(IntegrationEvent, SiteSnapshot):
    """A site's details, opening hours or closures changed."""

    event_type = "parkgrid.spaces.site.updated"


# --- spaces --------------------------------------------------------------------------


class SpaceStatus(StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"


class SpaceSnapshot(Contract):
    """A bookable or allocatable space of a site."""

    space_id: Id
    site_id: Id
    name: str = Field(min_length=1, max_length=200)
    kind: SpaceKind
    capacity: int = Field(ge=1, le=2000, description="Seats, or places of a hot-desk area.")
    floor: str | None = Field(None, max_length=20)
    features: list[Feature] = Field(default_factory=list)
    buffer_minutes: int = Field(
        0,
        ge=0,
        le=240,
        description="Kept free between two reservations: before and after each, unless the fields below say otherwise.",
    )
    status: SpaceStatus = SpaceStatus.ACTIVE
    buffer_before_minutes: int | None = Field(
        None, ge=0, le=240, description="Preparation before each reservation; None: `buffer_minutes`, else the site's."
    )
    buffer_after_minutes: int | None = Field(
        None, ge=0, le=240, description="Cleaning after each reservation; None: `buffer_minutes`, else the site's."
    )


@registry.register
class SpaceAdded(IntegrationEvent, SpaceSnapshot):
    """A space was added to a site."""

    event_type = "parkgrid.spaces.space.added"


@registry.register
class SpaceUpdated(IntegrationEvent, SpaceSnapshot):
    """A space's description, capacity or features changed."""

    event_type = "parkgrid.spaces.space.updated"


@registry.register
class SpaceRetired(IntegrationEvent, SpaceSnapshot):
    """A space is no longer allocated (its history stays)."""

    event_type = "parkgrid.spaces.space.retired"


# --- residencies ---------------------------------------------------------------------


class ResidencyStatus(StrEnum):
    ACTIVE = "active"
    ENDED = "ended"


class ResidencySnapshot(Contract):
    """A member organisation's long-term hold on a private office or dedicated desks."""

    residency_id: Id
    member_id: Id
    site_id: Id
    space_id: Id
    space_kind: SpaceKind
    seats: int = Field(ge=1, le=200)
    starts_on: Day
    ends_on: Day = Field(description="Last day, inclusive.")
    status: ResidencyStatus
    allocated_by: Actor


@registry.register
class ResidencyStarted(IntegrationEvent, ResidencySnapshot):
    """A member organisation got an office or desks for a period."""

    event_type = "parkgrid.spaces.residency.started"


@registry.register
class ResidencyExtended(IntegrationEvent, ResidencySnapshot):
    """A residency's end moved later."""

    event_type = "parkgrid.spaces.residency.extended"
    previous_ends_on: Day


@registry.register
class ResidencyMoved(IntegrationEvent, ResidencySnapshot):
    """A residency moved to another space, of its site or another, from `moved_on` (space fields are the new ones)."""

    event_type = "parkgrid.spaces.residency.moved"
    previous_space_id: Id
    previous_site_id: Id | None = Field(None, description="The site left, when the move changed site.")
    moved_on: Day | None = Field(None, description="First day in the new space.")


@registry.register
class ResidencyEnded(IntegrationEvent, ResidencySnapshot):
    """A residency ended, at its planned end or early."""

    event_type = "parkgrid.spaces.residency.ended"
    ended_early: bool
    reason: str | None = Field(None, max_length=500)


# --- reservations --------------------------------------------------------------------


class Requester(StrEnum):
    BOOKINGS = "bookings"
    COMMUNITY = "community"
    STAFF = "staff"


class ReservationStatus(StrEnum):
    CONFIRMED = "confirmed"
    REFUSED = "refused"
    RELEASED = "released"


class RefusalReason(StrEnum):
    NO_SPACE_FREE = "no_space_free"
    NO_SPACE_FITS = "no_space_fits"
    OUTSIDE_OPENING_HOURS = "outside_opening_hours"
    SITE_CLOSED = "site_closed"
    UNKNOWN_SITE = "unknown_site"
    INVALID_REQUEST = "invalid_request"


class ReservationSnapshot(Contract):
    """A short-term reservation of a space for a time range, and why it exists."""

    reservation_id: Id
    request_id: Id = Field(description="The id of the command (or API call) that asked for it.")
    requested_by: Requester
    reference_id: Id = Field(description="The requester's own id: a booking, a community event.")
    site_id: Id
    requirement: SpaceRequirement
    time: TimeRange
    member_id: Id | None = None
    status: ReservationStatus
    space_id: Id | None = Field(None, description="The space chosen; none when refused.")
    space_name: str | None = None


@registry.register
class ReservationConfirmed(IntegrationEvent, ReservationSnapshot):
    """The best-fitting free space was reserved."""

    event_type = "parkgrid.spaces.reservation.confirmed"


@registry.register
class ReservationRefused(IntegrationEvent, ReservationSnapshot):
    """No space could be reserved; nothing is held."""

    event_type = "parkgrid.spaces.reservation.refused"
    reason: RefusalReason
    detail: str = Field(max_length=500)


@registry.register
class ReservationReleased(IntegrationEvent, ReservationSnapshot):
    """A reservation was given back; its space is free again."""

    event_type = "parkgrid.spaces.reservation.released"
    released_at: Instant


# --- day passes ----------------------------------------------------------------------


@registry.register
class DayPassIssued(IntegrationEvent):
    """A member checked in to a hot-desk area for a day."""

    event_type = "parkgrid.spaces.day_pass.issued"
    day_pass_id: Id
    site_id: Id
    space_id: Id
    member_id: Id
    person_id: Id
    day: Day
    places_taken: int = Field(ge=1, description="Places taken in the area that day, this pass included.")
    capacity: int = Field(ge=1)


# --- office waitlist ------------------------------------------------------------------


class WaitlistStatus(StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    LEFT = "left"


class OfficeOffer(Contract):
    """An office that freed up, offered to the entry first in line, held for it until answered."""

    space_id: Id
    space_name: str = Field(min_length=1, max_length=200)
    capacity: int = Field(ge=1, le=2000)
    starts_on: Day
    ends_on: Day = Field(description="Last day, inclusive.")
    residency_id: Id = Field(description="The residency that starts if the offer is accepted.")
    offered_by: Actor


class OfficeWaitlistEntrySnapshot(Contract):
    """A member organisation waiting for a private office of `seats` seats at a site.

    There is one line per site and office size; entries are served in the order they joined.
    """

    entry_id: Id
    site_id: Id
    member_id: Id
    seats: int = Field(ge=1, le=200, description="The office size waited for.")
    joined_at: Instant
    position: int | None = Field(None, ge=1, description="Place in line when published (1 = next); none once out.")
    status: WaitlistStatus
    offer: OfficeOffer | None = None
    residency_id: Id | None = Field(None, description="The residency started when the offer was accepted.")


@registry.register
class OfficeWaitlistJoined(IntegrationEvent, OfficeWaitlistEntrySnapshot):
    """A member organisation joined the office waitlist of a site."""

    event_type = "parkgrid.spaces.waitlist.joined"


@registry.register
class OfficeWaitlistOffered(IntegrationEvent, OfficeWaitlistEntrySnapshot):
    """An office freed up and was offered to this entry, first in line."""

    event_type = "parkgrid.spaces.waitlist.offered"


@registry.register
class OfficeWaitlistAccepted(IntegrationEvent, OfficeWaitlistEntrySnapshot):
    """Staff confirmed the offer: the residency `residency_id` started."""

    event_type = "parkgrid.spaces.waitlist.accepted"


@registry.register
class OfficeWaitlistDeclined(IntegrationEvent, OfficeWaitlistEntrySnapshot):
    """The offer was declined; the entry is out of the line and the office goes to the next."""

    event_type = "parkgrid.spaces.waitlist.declined"
    reason: str | None = Field(None, max_length=500)


@registry.register
class OfficeWaitlistLeft(IntegrationEvent, OfficeWaitlistEntrySnapshot):
    """The member organisation left the line (an offer it held goes to the next)."""

    event_type = "parkgrid.spaces.waitlist.left"
    reason: str | None = Field(None, max_length=500)


@registry.register
class OfficeWaitlistOfferLapsed(IntegrationEvent, OfficeWaitlistEntrySnapshot):
    """Nobody answered the offer in time: the entry is out of the line and the office goes to the next."""

    event_type = "parkgrid.spaces.waitlist.offer_lapsed"
    lapsed_at: Instant


# --- visitors ------------------------------------------------------------------------


class VisitStatus(StrEnum):
    EXPECTED = "expected"
    ARRIVED = "arrived"
    LEFT = "left"
    CANCELLED = "cancelled"


class VisitSnapshot(Contract):
    """A guest a member's person invited to a site for a day, as the front desk expects them.

    The guest's name and company are personal data: spaces keeps them only for a limited
    time after the visit's day (`SPACES_VISIT_RETENTION_DAYS`); the events carry them, so a
    subscriber that stores them owes the same limit.
    """

    visit_id: Id
    site_id: Id
    day: Day = Field(description="The day of the visit, on the site's clock.")
    time_zone: TimeZone = Field(description="The site's time zone, that `day` and `expected_at` are read in.")
    expected_at: LocalTime | None = Field(None, description="When the guest is expected, if the host said.")
    member_id: Id = Field(description="The host's member organisation.")
    host_person_id: Id = Field(description="The person of the member who invited the guest.")
    guest_name: str = Field(min_length=1, max_length=200)
    guest_company: str | None = Field(None, max_length=200)
    status: VisitStatus
    registered_by: Actor
    arrived_at: Instant | None = None
    left_at: Instant | None = None


@registry.register
class VisitExpected(IntegrationEvent, VisitSnapshot):
    """A guest was registered for a day at a site: the front desk expects them."""

    event_type = "parkgrid.spaces.visit.expected"


@registry.register
class VisitArrived(IntegrationEvent, VisitSnapshot):
    """The front desk checked the guest in: the host is told."""

    event_type = "parkgrid.spaces.visit.arrived"


@registry.register
class VisitLeft(IntegrationEvent, VisitSnapshot):
    """The front desk checked the guest out."""

    event_type = "parkgrid.spaces.visit.left"


@registry.register
class VisitCancelled(IntegrationEvent, VisitSnapshot):
    """The host or the front desk called the visit off before the guest arrived."""

    event_type = "parkgrid.spaces.visit.cancelled"
    cancelled_by: Actor


# --- commands addressed to spaces ----------------------------------------------------


@registry.register
class ReservationRequested(IntegrationEvent):
    """Command: reserve a space that meets `requirement` at `site_id` for `time`."""

    event_type = "parkgrid.spaces.reservation.requested"
    addressed_to = "spaces.commands"
    request_id: Id
    requested_by: Requester
    reference_id: Id
    site_id: Id
    requirement: SpaceRequirement
    time: TimeRange
    member_id: Id | None = None

    def partition_key(self, aggregate_id: str) -> str:
        return self.site_id


@registry.register
class ReleaseRequested(IntegrationEvent):
    """Command: give back what the reservation request `request_id` obtained (if anything)."""

    event_type = "parkgrid.spaces.reservation.release_requested"
    addressed_to = "spaces.commands"
    request_id: Id = Field(description="The reservation request to undo.")
    requested_by: Requester
    reference_id: Id
    site_id: Id
    reason: str = Field(max_length=500)

    def partition_key(self, aggregate_id: str) -> str:
        return self.site_id
