"""Visitors: a guest a member's person invites to a site for a day, and the front desk's check-in.

    expected ──arrive──▶ arrived ──leave──▶ left
        │
        └──cancel──▶ cancelled

A visit is expected on one local day of its site. The desk checks the guest in on that day
only (an arrival is what the host is told of); a guest who arrived is checked out; a visit
nobody arrived for may be cancelled by its host or the desk. Each transition is decided on
the visit as stored and saved under its version (`parkgrid.aggregates.change`), so two desks
checking the same guest in at once make one arrival. Repeating the transition a visit already
made changes nothing. A transition answers the fields it changes; its event carries the whole
visit as it then stands.

The guest's name and company are personal data: kept only `retention` days after the day
(`erased`), after which the visit is a bare record (who hosted, when, what became of it) that
no transition touches any more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from parkgrid.contracts.common import Actor
from parkgrid.contracts.spaces import VisitStatus
from parkgrid.domain import DomainEvent
from spaces.domain.happened import Change, Document
from spaces.domain.model import SpacesRefused

FURTHEST_AHEAD = timedelta(days=366)
"""How far ahead a guest may be registered: a visit is an appointment, not a standing pass."""


class VisitRefused(SpacesRefused):
    """Invalid input (422, naming `field`), or a `conflict` with the visit's state (409)."""


@dataclass(frozen=True)
class VisitRegistered(DomainEvent):
    """A guest is expected at a site on a day."""

    visit: Document


@dataclass(frozen=True)
class GuestArrived(DomainEvent):
    """The desk checked the guest in."""

    visit: Document


@dataclass(frozen=True)
class GuestLeft(DomainEvent):
    """The desk checked the guest out."""

    visit: Document


@dataclass(frozen=True)
class VisitCalledOff(DomainEvent):
    """The host or the desk cancelled the visit before the guest came."""

    visit: Document
    by: Actor


@dataclass(frozen=True)
class Visit:
    """A visit as it is registered: spaces' own record (stored as `to_document()`, the fields of
    the contract's `VisitSnapshot`, plus `erased`)."""

    visit_id: str
    site_id: str
    day: date
    time_zone: str
    expected_at: str | None
    member_id: str
    host_person_id: str
    guest_name: str
    guest_company: str | None
    registered_by: Actor

    def to_document(self) -> Document:
        return {
            "visit_id": self.visit_id,
            "site_id": self.site_id,
            "day": self.day.isoformat(),
            "time_zone": self.time_zone,
            "expected_at": self.expected_at,
            "member_id": self.member_id,
            "host_person_id": self.host_person_id,
            "guest_name": self.guest_name,
            "guest_company": self.guest_company,
            "status": VisitStatus.EXPECTED.value,
            "registered_by": {"role": self.registered_by.role, "subject": self.registered_by.subject},
            "arrived_at": None,
            "left_at": None,
            "erased": False,
        }


def day_refusal(day: date, today: date) -> str | None:
    """Why a guest cannot be expected on `day` (today on the site's clock), or None."""
    if day < today:
        return f"{day} is past at this site (today is {today})"
    if day > today + FURTHEST_AHEAD:
        return f"a guest is registered at most {FURTHEST_AHEAD.days} days ahead"
    return None


def register(visit: Visit) -> Change:
    state = visit.to_document()
    return state, [VisitRegistered(state)]


def _status(doc: Document) -> VisitStatus:
    if doc.get("erased"):
        raise VisitRefused(f"visit {doc['visit_id']} is past its retention: it can no longer change", conflict=True)
    return VisitStatus(doc["status"])


def arrive(doc: Document, at: datetime, today: date) -> Change | None:
    """Check the guest in, on the visit's day only; arrived already: nothing to change."""
    status = _status(doc)
    if status in (VisitStatus.ARRIVED, VisitStatus.LEFT):
        return None
    if status == VisitStatus.CANCELLED:
        raise VisitRefused("this visit was cancelled", conflict=True)
    if doc["day"] != today.isoformat():
        raise VisitRefused(f"this guest is expected on {doc['day']}, not today ({today})", conflict=True)
    changes = {"status": VisitStatus.ARRIVED.value, "arrived_at": instant(at)}
    return changes, [GuestArrived({**doc, **changes})]


def leave(doc: Document, at: datetime) -> Change | None:
    """Check the guest out; left already: nothing to change."""
    status = _status(doc)
    if status == VisitStatus.LEFT:
        return None
    if status != VisitStatus.ARRIVED:
        raise VisitRefused(f"this guest has not arrived (the visit is {status.value})", conflict=True)
    changes = {"status": VisitStatus.LEFT.value, "left_at": instant(at)}
    return changes, [GuestLeft({**doc, **changes})]


def cancel(doc: Document, by: Actor) -> Change | None:
    """Call the visit off while the guest is still expected; cancelled already: nothing to change."""
    status = _status(doc)
    if status == VisitStatus.CANCELLED:
        return None
    if status != VisitStatus.EXPECTED:
        raise VisitRefused(f"the guest has {status.value}: the visit can no longer be cancelled", conflict=True)
    changes = {"status": VisitStatus.CANCELLED.value}
    return changes, [VisitCalledOff({**doc, **changes}, by)]


def erase(doc: Document) -> Change | None:
    """Forget the guest (name and company); the rest of the record stays. Said to nobody: the events
    published before carried the name, and subscribers keep them under their own limit."""
    if doc.get("erased"):
        return None
    return {"guest_name": None, "guest_company": None, "erased": True}, []


def instant(moment: datetime) -> str:
    """As the contracts write an instant: ISO 8601 in UTC, `Z`."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
