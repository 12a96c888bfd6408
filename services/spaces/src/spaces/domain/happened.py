"""What happens to spaces' aggregates, in its own words (never published as is).

Each event carries the aggregate's document as it stands afterwards (spaces keeps its
aggregates as raw documents) and what else the fact needs; the service's publication
(`spaces.service_layer.publication`) decides what subscribers hear of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from parkgrid.domain import DomainEvent

if TYPE_CHECKING:
    from spaces.domain.stays import Stay

Document = dict[str, Any]
"""An aggregate as stored: spaces' domain reads and writes raw documents."""

Change = tuple[Document, list[DomainEvent]]
"""A transition's answer: the fields to save and what happened."""

# --- sites and spaces -------------------------------------------------------------------


@dataclass(frozen=True)
class SiteJoined(DomainEvent):
    """A site joined the network."""

    site: Document


@dataclass(frozen=True)
class SiteRevised(DomainEvent):
    """A site's details, opening hours or closures changed."""

    site: Document


@dataclass(frozen=True)
class SpaceOpened(DomainEvent):
    """A space was added to a site."""

    space: Document


@dataclass(frozen=True)
class SpaceRevised(DomainEvent):
    """A space's description, capacity or features changed (it is still allocated)."""

    space: Document


@dataclass(frozen=True)
class SpaceWithdrawn(DomainEvent):
    """A space is no longer allocated; its history stays."""

    space: Document


# --- reservations -----------------------------------------------------------------------


@dataclass(frozen=True)
class ReservationHeld(DomainEvent):
    """The best-fitting free space holds the requested range."""

    reservation: Document


@dataclass(frozen=True)
class ReservationTurnedDown(DomainEvent):
    """Nothing could be held; the document says why (`reason`, `detail`)."""

    reservation: Document


@dataclass(frozen=True)
class ReservationGivenBack(DomainEvent):
    """The range a reservation held is free again."""

    reservation: Document
    released_at: datetime


# --- residencies ------------------------------------------------------------------------


@dataclass(frozen=True)
class ResidencyBegun(DomainEvent):
    """A member organisation holds an office or desks for a term."""

    residency: Document


@dataclass(frozen=True)
class ResidencyProlonged(DomainEvent):
    """The residency's last day moved later."""

    residency: Document
    previous_ends_on: date


@dataclass(frozen=True)
class ResidencyRelocated(DomainEvent):
    """The residency left `left` (its stay there as it was) for another space from `moved_on`."""

    residency: Document
    left: Stay
    moved_on: date


@dataclass(frozen=True)
class ResidencyClosed(DomainEvent):
    """The residency ended, on its planned last day or before (`ended_early`)."""

    residency: Document
    ended_early: bool
    reason: str | None


# --- day passes -------------------------------------------------------------------------


@dataclass(frozen=True)
class DayPassGranted(DomainEvent):
    """A person took a place in a hot-desk area for a day."""

    day_pass: Document


# --- the office waitlist ----------------------------------------------------------------


@dataclass(frozen=True)
class LineJoined(DomainEvent):
    """A member organisation took a ticket in a site's line for an office of its size."""

    entry: Document


@dataclass(frozen=True)
class OfficeOffered(DomainEvent):
    """A freed office is held for the entry first in line until it answers."""

    entry: Document


@dataclass(frozen=True)
class OfferTaken(DomainEvent):
    """Staff confirmed the offer: the residency it held starts."""

    entry: Document


@dataclass(frozen=True)
class OfferTurnedDown(DomainEvent):
    """The entry declined its offer and is out of the line."""

    entry: Document
    reason: str | None


@dataclass(frozen=True)
class OfferLapsed(DomainEvent):
    """Nobody answered the offer in time: the entry is out of the line (declined) as of `at`."""

    entry: Document
    at: datetime


@dataclass(frozen=True)
class LineLeft(DomainEvent):
    """The entry left the line (an offer it held goes to the next)."""

    entry: Document
    reason: str | None
