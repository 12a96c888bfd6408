"""What happens to an offering, in the catalogue's own words (never published as is).

Each event carries the offering as it stands afterwards; the service's publication
(`catalogue.service_layer.publication`) decides what subscribers hear of it. Drafts are
the catalogue's own business, so what happens to a draft maps to no public event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from parkgrid.domain import DomainEvent

if TYPE_CHECKING:
    from catalogue.domain.offering import Offering


@dataclass(frozen=True)
class OfferingDrafted(DomainEvent):
    """An administrator wrote a new offering; members cannot see it yet."""

    offering: Offering


@dataclass(frozen=True)
class DraftRevised(DomainEvent):
    """A draft's details changed before anyone could see it."""

    offering: Offering


@dataclass(frozen=True)
class OfferingRevised(DomainEvent):
    """The details of an offering members have seen changed (published, or withdrawn since)."""

    offering: Offering


@dataclass(frozen=True)
class OfferingOpened(DomainEvent):
    """The offering became bookable: a draft for the first time, or a withdrawn one again."""

    offering: Offering


@dataclass(frozen=True)
class OfferingWithdrawn(DomainEvent):
    """Bookings of the offering stopped; its history stays."""

    offering: Offering
