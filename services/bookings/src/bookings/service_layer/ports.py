"""What the service layer needs of its stores, as ports: the adapters are one implementation,
in-memory fakes (tests) another, so booking, cancelling and checking in are tested without
a broker or a store. The seat guards' port is `adapters.guards.SeatGuards`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from bookings.domain.booking import Booking, MemberFacts
from bookings.domain.entitlements import Allowance, Entitlement
from parkgrid.aggregates import AggregateStore
from parkgrid.contracts.catalogue import OfferingSnapshot
from parkgrid.events import IntegrationEvent
from parkgrid.outbox import Answer
from parkgrid.store import Document

Already = Callable[[], Awaitable[Mapping[str, int]]]


class BookingRecords(Protocol):
    """The bookings aggregate (`adapters.bookings.Bookings`), and the queries the commands and sweepers make."""

    @property
    def store(self) -> AggregateStore: ...

    async def get(self, booking_id: str) -> tuple[Booking, int] | None: ...

    async def add(self, booking: Booking, events: Sequence[IntegrationEvent], *, answer: Answer | None = None) -> int:
        """Store a new booking (and `answer`, kept with it: `kept_answer`)."""
        ...

    async def kept_answer(self, booking_id: str) -> Document | None: ...

    async def save(self, booking: Booking, expected_version: int, events: Sequence[IntegrationEvent]) -> int: ...

    async def stored(self, booking_ids: Sequence[str]) -> set[str]: ...

    async def of_member(self, member_id: str, first: datetime, last: datetime) -> list[Booking]:
        """The member's bookings whose session starts in [`first`, `last`) (what an allowance counts
        when it is first created)."""
        ...

    async def due(
        self, statuses: Sequence[str], ended_before: datetime, limit: int = 200
    ) -> list[tuple[Booking, int]]: ...

    async def pending_since(self, moment: datetime, limit: int = 200) -> list[tuple[Booking, int]]:
        """Bookings pending since before `moment`, oldest first (the holds that expire)."""
        ...

    async def not_checked_in(
        self, site_id: str, started_before: datetime, ending_after: datetime, limit: int = 200
    ) -> list[tuple[Booking, int]]:
        """The site's confirmed bookings and no-shows whose session started before `started_before`
        and ends after `ending_after` (the ones a site's no-show rule releases, or released)."""
        ...


class WaitingLines(Protocol):
    """Waitlist places (`adapters.waitlists.WaitingLines`): the aggregate and who waits for which session."""

    @property
    def store(self) -> AggregateStore: ...

    async def get(self, entry_id: str) -> Document | None: ...

    async def waiting(self, session_key: str) -> list[Document]:
        """The session's waiting places in line order (`position`, then id)."""
        ...

    async def sessions_waiting(self, cursor: str | None = None, limit: int = 100) -> tuple[list[str], str | None]:
        """Sessions with someone waiting, soonest first, from one bounded batch of waiting places
        after `cursor`; and the cursor of the next batch (None at the end)."""
        ...

    async def started(self, before: datetime, limit: int = 200) -> list[Document]:
        """Waiting places whose session began before `before`, oldest session first."""
        ...


class Allowances(Protocol):
    """A member's allowances (per-member limits, credits), reserved by a booking when it is requested.

    `reserve` is one conditional write that names the booking: it succeeds only while the
    allowance has room for the amount (the booking `replaces` names lends its own) and counts a
    booking once, whatever the retries; `give_back` returns what the booking holds, once. The
    real one is `adapters.sessions.MemberAllowances`, the in-memory one `bookings_fakes`'s;
    `tests/test_bookings_allowances_contract.py` runs one suite against both.
    """

    async def reserve(
        self, allowance: Allowance, booking_id: str, replaces: str | None = None, already: Already | None = None
    ) -> bool:
        """`already`: what bookings made before the allowance existed hold of it, asked only when
        this reservation is the one that creates it (the unique insert decides)."""
        ...

    async def give_back(self, member_id: str, booking_id: str, kinds: Sequence[str]) -> int: ...

    async def give_back_lost(self, booking_id: str) -> int:
        """Give back everything `booking_id` holds, whoever its member (a booking never stored)."""
        ...

    async def get(self, allowance_id: str) -> Document | None: ...


class CreditsHeld(Protocol):
    """The entitlements ledger (`adapters.ledgers.Ledger`) and the allowances a booking reserves."""

    @property
    def allowances(self) -> Allowances: ...

    async def get(self, entitlement_id: str) -> tuple[Entitlement, int] | None: ...


class KnownOfferings(Protocol):
    async def get(self, offering_id: str) -> OfferingSnapshot | None: ...


class KnownZones(Protocol):
    """Sites' zones and calendars (the kit's `KnownSites`)."""

    async def time_zone(self, site_id: str | None) -> str | None: ...

    async def refusal_for(self, site_id: str, starts_at: datetime, ends_at: datetime) -> str | None: ...

    async def releasing_no_shows(self) -> dict[str, int]:
        """The sites that release a booking not checked in N minutes after its start: {site: N}."""
        ...


class Known(Protocol):
    """What bookings knows of the other contexts (`adapters.projections.Projections`)."""

    @property
    def offerings(self) -> KnownOfferings: ...

    @property
    def sites(self) -> KnownZones: ...

    async def member(self, member_id: str) -> MemberFacts | None: ...

    async def member_lately(self, member_id: str) -> MemberFacts | None:
        """The member as read a moment ago at most (`parkgrid.known.RECENT_SECONDS`): the booking path's read."""
        ...


__all__ = [
    "Allowances",
    "Already",
    "BookingRecords",
    "CreditsHeld",
    "Known",
    "KnownOfferings",
    "KnownZones",
    "WaitingLines",
]
