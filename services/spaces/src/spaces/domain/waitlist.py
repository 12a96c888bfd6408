"""The office waitlist: member organisations waiting for a private office at a site.

There is one line per site and office size (seats). Each entry takes a ticket when it
joins; the waiting entry with the lowest ticket is first in line. When an office frees up
it is offered to the first in line; staff confirm the offer (a residency starts) or it is
declined and goes to the next. An entry out of the line (accepted, declined, left) never
comes back: joining again takes a new ticket at the end.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from parkgrid.contracts.common import Actor, SpaceKind
from parkgrid.contracts.spaces import SpaceStatus, WaitlistStatus
from spaces.domain.happened import (
    Change,
    Document,
    LineJoined,
    LineLeft,
    OfferLapsed,
    OfferTaken,
    OfferTurnedDown,
    OfficeOffered,
)
from spaces.domain.model import Hold, SpacesRefused

OPEN = (WaitlistStatus.WAITING, WaitlistStatus.OFFERED)
"""Entries still in the line (an offered one keeps its place until it answers)."""


class WaitlistRefused(SpacesRefused, ValueError):
    """Invalid input (422, naming `field`), or a `conflict` with the line's state (409)."""


@dataclass(frozen=True)
class Ticket:
    """An entry's place in its line: its ticket, then its id to break ties."""

    entry_id: str
    ticket: int
    status: WaitlistStatus


@dataclass(frozen=True)
class Offer:
    """An office offered to an entry, its days held until answered: spaces' own record of it
    (stored as `to_document()`, the fields of the contract's `OfficeOffer`)."""

    space_id: str
    space_name: str
    capacity: int
    starts_on: date
    ends_on: date
    residency_id: str
    offered_by: Actor

    def to_document(self) -> Document:
        return {
            "space_id": self.space_id,
            "space_name": self.space_name,
            "capacity": self.capacity,
            "starts_on": self.starts_on.isoformat(),
            "ends_on": self.ends_on.isoformat(),
            "residency_id": self.residency_id,
            "offered_by": {"role": self.offered_by.role, "subject": self.offered_by.subject},
        }

    @classmethod
    def from_document(cls, doc: Document) -> Offer:
        return cls(
            space_id=doc["space_id"],
            space_name=doc["space_name"],
            capacity=int(doc["capacity"]),
            starts_on=date.fromisoformat(doc["starts_on"]),
            ends_on=date.fromisoformat(doc["ends_on"]),
            residency_id=doc["residency_id"],
            offered_by=Actor(role=doc["offered_by"]["role"], subject=doc["offered_by"]["subject"]),
        )


@dataclass(frozen=True)
class Entry:
    """An entry as it joins its line: spaces' own record (stored as `to_document()`, the fields
    of the contract's `OfficeWaitlistEntrySnapshot`, plus its `ticket`)."""

    entry_id: str
    site_id: str
    member_id: str
    seats: int
    joined_at: datetime
    position: int
    ticket: int

    def to_document(self) -> Document:
        return {
            "entry_id": self.entry_id,
            "site_id": self.site_id,
            "member_id": self.member_id,
            "seats": self.seats,
            "joined_at": _instant(self.joined_at),
            "position": self.position,
            "status": WaitlistStatus.WAITING.value,
            "offer": None,
            "residency_id": None,
            "ticket": self.ticket,
        }


def _instant(moment: datetime) -> str:
    """As the contracts write an instant: ISO 8601, `Z` for UTC."""
    text = moment.isoformat()
    return text[: -len("+00:00")] + "Z" if text.endswith("+00:00") else text


def line_order(entries: Iterable[Ticket]) -> list[Ticket]:
    """The open entries, first in line first."""
    return sorted((e for e in entries if e.status in OPEN), key=lambda e: (e.ticket, e.entry_id))


def next_in_line(entries: Iterable[Ticket]) -> Ticket | None:
    """The first entry still waiting (offered entries are being served already)."""
    return next((e for e in line_order(entries) if e.status == WaitlistStatus.WAITING), None)


def position_of(entry_id: str, entries: Iterable[Ticket]) -> int | None:
    """1 for the first in line; None for an entry out of the line."""
    order = [e.entry_id for e in line_order(entries)]
    return order.index(entry_id) + 1 if entry_id in order else None


def entry_id_for(site_id: str, seats: int, member_id: str, earlier_entries: int) -> str:
    """The id of a member's next entry in a line: the same for two joins racing each other,
    so only one of them is created, and a new one after the member left the line."""
    digest = hashlib.sha256(f"{site_id}\n{seats}\n{member_id}\n{earlier_entries}".encode()).hexdigest()
    return f"owl-{digest[:24]}"


def residency_id_for(entry_id: str) -> str:
    """The residency an accepted offer starts: known from the offer on, so a retried accept
    finds the residency it started."""
    return f"res-{entry_id}"


def offer_entry_of(hold_id: str) -> str | None:
    """The waitlist entry whose offer holds days under `hold_id`, if it is an offer's hold."""
    prefix = residency_id_for("")
    return hold_id.removeprefix(prefix) if hold_id.startswith(f"{prefix}owl-") else None


KEEP_FOR_ENTRIES = (WaitlistStatus.OFFERED, WaitlistStatus.ACCEPTED)
"""An offer's days stay held while it can be answered, and once accepted (the residency it starts
may be on its way: a retried accept starts it on those days)."""


def abandoned(hold: Hold, seen_before: datetime, residency_found: bool, entry: WaitlistStatus | None) -> bool:
    """Days held for a residency that never came and will not come: nobody gives them back.

    A crash after an offer lapsed or was declined (or after a residency's or offer's days were
    taken, before it was saved) leaves them held. Such a hold, first seen by the repair sweep
    before `seen_before` (the grace, so a start or an offer under way is never raced), whose
    residency does not exist and whose offer (if it is one) is no longer offered nor accepted,
    is abandoned. `entry`: the offer's entry status, None for no entry or not an offer."""
    if not hold.residency or hold.held_at is None or hold.held_at > seen_before or residency_found:
        return False
    return entry not in KEEP_FOR_ENTRIES


def office_refusal(kind: SpaceKind, status: SpaceStatus, capacity: int, seats: int) -> str | None:
    """Why this space cannot serve a line of `seats`-seat offices, or None."""
    if kind != SpaceKind.PRIVATE_OFFICE:
        return "only private offices are offered from the waitlist"
    if status != SpaceStatus.ACTIVE:
        return "the office is retired"
    if capacity < seats:
        return f"the office has {capacity} seats, the line waits for {seats}"
    return None


def check_transition(status: WaitlistStatus, to: WaitlistStatus) -> None:
    """Waiting → offered → accepted | declined; waiting or offered → left."""
    allowed = {
        WaitlistStatus.OFFERED: (WaitlistStatus.WAITING,),
        WaitlistStatus.ACCEPTED: (WaitlistStatus.OFFERED,),
        WaitlistStatus.DECLINED: (WaitlistStatus.OFFERED,),
        WaitlistStatus.LEFT: OPEN,
    }[to]
    if status not in allowed:
        raise WaitlistRefused(f"the entry is {status.value}: it cannot be {to.value}", conflict=True)


def line_joined(entry: Document) -> Change:
    return entry, [LineJoined(entry)]


def office_offered(entry: Document, offer: Document, position: int | None, at: datetime) -> Change:
    """The entry holds `offer` (an office, as stored) until it answers or the offer lapses; it
    keeps its place meanwhile. `offered_at` is spaces' own (the contract does not carry it)."""
    changes: Document = {"status": WaitlistStatus.OFFERED.value, "offer": offer, "position": position, "offered_at": at}
    return changes, [OfficeOffered({**entry, **changes})]


def offer_lapsed(entry: Document, at: datetime, offered_before: datetime) -> Change | None:
    """An offer made before `offered_before` and not answered lapses at `at`: the entry is
    declined (out of the line), as if it had said no. None when it answered meanwhile, or its
    offer is not that old (made again, or by an older version without `offered_at`)."""
    offered_at = entry.get("offered_at")
    if entry["status"] != WaitlistStatus.OFFERED or not isinstance(offered_at, datetime):
        return None
    if (offered_at if offered_at.tzinfo else offered_at.replace(tzinfo=UTC)) > offered_before:
        return None
    changes: Document = {"status": WaitlistStatus.DECLINED.value, "position": None, "lapsed_at": at}
    return changes, [OfferLapsed({**entry, **changes}, at)]


def offer_taken(entry: Document) -> Change | None:
    """The entry accepted, out of the line, naming the residency its offer starts; None if accepted already."""
    status = WaitlistStatus(entry["status"])
    if status == WaitlistStatus.ACCEPTED:
        return None
    check_transition(status, WaitlistStatus.ACCEPTED)
    changes: Document = {
        "status": WaitlistStatus.ACCEPTED.value,
        "position": None,
        "residency_id": entry["offer"]["residency_id"],
    }
    return changes, [OfferTaken({**entry, **changes})]


def stepped_out(entry: Document, status: WaitlistStatus, reason: str | None) -> Change:
    """The entry out of the line, `status` declined or left."""
    check_transition(WaitlistStatus(entry["status"]), status)
    changes: Document = {"status": status.value, "position": None}
    out = {**entry, **changes}
    happened = OfferTurnedDown(out, reason) if status == WaitlistStatus.DECLINED else LineLeft(out, reason)
    return changes, [happened]
