"""The offering aggregate: what a park offers, and its lifecycle draft → published → withdrawn.

Every transition here is pure: it takes the offering as it stands and the facts it needs
(such as what the sites projection knows about a site) and returns the new offering with
what happened to it (`catalogue.domain.happened`). A draft is the catalogue's own: what
happens to it is a `OfferingDrafted` or `DraftRevised`, which subscribers never hear of;
once opened, every change (revisions included, also while withdrawn) is an event about an
offering members have seen. Which public events those become is the publication's
business (`catalogue.service_layer.publication`), not the domain's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from itertools import pairwise

from pydantic import BaseModel, ConfigDict, Field

from catalogue.domain.happened import DraftRevised, OfferingDrafted, OfferingOpened, OfferingRevised, OfferingWithdrawn
from catalogue.domain.spaces import SpaceFacts, unknown_features, unmet
from parkgrid.contracts.catalogue import BookingRules, OfferingCategory, OfferingStatus, Provider
from parkgrid.contracts.common import (
    NETWORK_TIME_ZONE,
    Closure,
    Eligibility,
    Id,
    LocalizedText,
    Mode,
    Money,
    SpaceRequirement,
    TimeZone,
    WeeklyWindow,
)
from parkgrid.domain import DomainEvent
from parkgrid.refusals import Refusal, Refused

TITLE_MAX = 200
DESCRIPTION_MAX = 4000


class OfferingRuleBroken(Refused):
    """Details that break a rule of the catalogue (invalid input); `field` names the offending one."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(Refusal.INVALID, message, field=field)
        self.message = message


class WrongState(Refused):
    """The lifecycle step does not apply to the offering's current status (a conflict)."""

    def __init__(self, detail: str) -> None:
        super().__init__(Refusal.CONFLICT, detail)


class NoSpaceFor(Refused):
    """No active space of the offering's site can host its space requirement (a conflict with the site)."""

    def __init__(self, detail: str) -> None:
        super().__init__(Refusal.CONFLICT, detail, field="space_requirement")


@dataclass(frozen=True)
class SiteFacts:
    """What the catalogue knows about a site, from the spaces events.

    `spaces` are its active spaces; None when the catalogue knows no space of the site at
    all (its events may not have arrived yet: the requirement is then not refused here,
    as the kit's `KnownSites.refusal_for` does not refuse a site it does not know)."""

    site_id: str
    time_zone: str
    open: bool = True
    name: str = ""
    spaces: tuple[SpaceFacts, ...] | None = None


class OfferingDetails(BaseModel):
    """What an administrator writes about an offering (everything but its identity and status)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    site_id: Id | None = Field(None, description="None for an offering of the whole network (or online).")
    category: OfferingCategory
    title: LocalizedText
    description: LocalizedText
    provider: Provider
    mode: Mode
    session_minutes: int = Field(ge=5, le=24 * 60)
    seats_per_session: int = Field(ge=1, le=2000)
    eligibility: Eligibility = Field(default_factory=Eligibility)
    price: Money | None = None
    credits: int | None = Field(None, ge=0)
    rules: BookingRules = Field(default_factory=BookingRules)
    time_zone: TimeZone | None = Field(None, description="Only for network-wide offerings; else the site's.")
    availability: list[WeeklyWindow] = Field(default_factory=list, max_length=70)
    closures: list[Closure] = Field(default_factory=list, max_length=400)
    space_requirement: SpaceRequirement | None = None


@dataclass(frozen=True)
class Offering:
    """An offering as the catalogue keeps it: what was written, where it stands, in which zone it runs."""

    offering_id: str
    details: OfferingDetails
    status: OfferingStatus
    time_zone: str
    created_at: datetime
    updated_at: datetime


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def check(details: OfferingDetails, site: SiteFacts | None) -> str:
    """Check the rules that span several fields; returns the offering's time zone.

    `site` is what the sites projection holds for `details.site_id` (None when unknown).
    """
    for language in ("fr", "en", "ar"):
        title = getattr(details.title, language)
        if title is not None and len(title) > TITLE_MAX:
            raise OfferingRuleBroken(f"title.{language}", f"a title has at most {TITLE_MAX} characters")
        text = getattr(details.description, language)
        if text is not None and len(text) > DESCRIPTION_MAX:
            raise OfferingRuleBroken(
                f"description.{language}", f"a description has at most {DESCRIPTION_MAX} characters"
            )
    if details.site_id is not None:
        if site is None:
            raise OfferingRuleBroken("site_id", f"there is no site {details.site_id} in the network")
        if details.time_zone is not None and details.time_zone != site.time_zone:
            raise OfferingRuleBroken("time_zone", f"the offering keeps its site's time zone, {site.time_zone}")
        time_zone = site.time_zone
    else:
        time_zone = details.time_zone or NETWORK_TIME_ZONE
    if details.mode == Mode.ONLINE and details.space_requirement is not None:
        raise OfferingRuleBroken("space_requirement", "an online offering needs no space")
    if details.space_requirement is not None:
        unknown = unknown_features(details.space_requirement.features)
        if unknown:
            index, feature = unknown[0]
            raise OfferingRuleBroken(
                f"space_requirement.features.{index}", f"{feature!r} is not a feature a space can offer"
            )
    if details.space_requirement is not None and details.space_requirement.seats < details.seats_per_session:
        raise OfferingRuleBroken("space_requirement.seats", "the space must seat every seat of a session")
    by_day: dict[int, list[tuple[int, int, int]]] = {}
    for index, window in enumerate(details.availability):
        opens, closes = _minutes(window.opens), _minutes(window.closes)
        if closes - opens < details.session_minutes:
            raise OfferingRuleBroken(f"availability.{index}", "the window is shorter than one session")
        by_day.setdefault(window.weekday, []).append((opens, closes, index))
    for windows in by_day.values():
        windows.sort()
        for (_, closes, _), (opens, _, index) in pairwise(windows):
            if opens < closes:
                raise OfferingRuleBroken(f"availability.{index}", "windows of the same day overlap")
    return time_zone


def hosted(details: OfferingDetails, site: SiteFacts | None) -> None:
    """Refuse a bookable offering whose space requirement no active space of its site can meet."""
    if details.space_requirement is None or site is None or site.spaces is None:
        return
    why = unmet(details.space_requirement, site.name or site.site_id, site.spaces)
    if why is not None:
        raise NoSpaceFor(why)


def draft(
    offering_id: str, details: OfferingDetails, site: SiteFacts | None, now: datetime
) -> tuple[Offering, list[DomainEvent]]:
    """A new offering, not yet visible to members."""
    time_zone = check(details, site)
    drafted = Offering(offering_id, details, OfferingStatus.DRAFT, time_zone, now, now)
    return drafted, [OfferingDrafted(drafted)]


def revise(
    offering: Offering, details: OfferingDetails, site: SiteFacts | None, now: datetime
) -> tuple[Offering, list[DomainEvent]]:
    """New details; revising a draft stays the catalogue's own, revising a seen offering does not."""
    time_zone = check(details, site)
    revised = replace(offering, details=details, time_zone=time_zone, updated_at=now)
    if offering.status == OfferingStatus.DRAFT:
        return revised, [DraftRevised(revised)]
    if offering.status == OfferingStatus.PUBLISHED:
        hosted(details, site)
    return revised, [OfferingRevised(revised)]


def publish(offering: Offering, site: SiteFacts | None, now: datetime) -> tuple[Offering, list[DomainEvent]]:
    """Make the offering bookable (also a withdrawn one again). Its site must still be known and open."""
    if offering.status == OfferingStatus.PUBLISHED:
        raise WrongState(f"offering {offering.offering_id} is already published")
    check(offering.details, site)
    if site is not None and not site.open:
        raise WrongState(f"site {site.site_id} is closed: its offerings cannot be published")
    hosted(offering.details, site)
    published = replace(offering, status=OfferingStatus.PUBLISHED, updated_at=now)
    return published, [OfferingOpened(published)]


def withdraw(offering: Offering, now: datetime) -> tuple[Offering, list[DomainEvent]]:
    """Stop bookings of a published offering; its history stays."""
    if offering.status != OfferingStatus.PUBLISHED:
        raise WrongState(f"only a published offering can be withdrawn; {offering.offering_id} is {offering.status}")
    withdrawn = replace(offering, status=OfferingStatus.WITHDRAWN, updated_at=now)
    return withdrawn, [OfferingWithdrawn(withdrawn)]
