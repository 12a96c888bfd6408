"""The entitlements ledger: credits consumed by confirmed bookings, restored by timely cancellations.

What a booking may use is decided when it is requested, by reserving its allowances
(`admission`); this ledger is the published account of what was consumed and restored,
and keeps the meaning of its events (`entitlement.consumed` / `restored`).

It is derived from bookings' own events (`bookings.booking`), so it can be rebuilt
(`parkgrid rebuild bookings entitlements`) and a redelivered event changes nothing: each
entitlement records which booking consumed and which restored, and the pure rules of
`domain.entitlements` say "nothing to do" for a booking already counted. Its store is a
plain `AggregateStore`, so these rules are tested on the kit's in-memory fake.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Protocol

from bookings.adapters.ledgers import entitlement_of, entitlement_state
from bookings.domain import booking as rules
from bookings.domain import entitlements as credits
from bookings.domain.booking import MemberFacts
from bookings.service_layer.ports import Allowances
from bookings.service_layer.publication import publication
from parkgrid.aggregates import AggregateStore, Decision, change
from parkgrid.consumer import Delivery
from parkgrid.contracts.bookings import BookingCancelled, BookingConfirmed, BookingRejected
from parkgrid.domain import DomainEvent
from parkgrid.outbox import AlreadyExists
from parkgrid.store import Document


class Entitlements(Protocol):
    """What the ledger needs of its store: the aggregate store, a member's entitlements, and the
    allowances bookings reserve (given back here too, after a crash between a booking's end and
    its `Seating.free`)."""

    @property
    def store(self) -> AggregateStore: ...

    @property
    def allowances(self) -> Allowances: ...

    async def of_member(self, member_id: str) -> list[credits.Entitlement]: ...


class Credits:
    def __init__(
        self,
        entitlements: Entitlements,
        member: Callable[[str], Awaitable[MemberFacts | None]],
        written: Callable[[], None] = lambda: None,
    ) -> None:
        self.entitlements = entitlements
        self.member = member
        self.written = written

    async def on_booking_event(self, delivery: Delivery) -> None:
        event = delivery.event
        if isinstance(event, (BookingRejected, BookingCancelled)):
            # Idempotent: what the booking still holds of its allowances goes back, once.
            late = event.late if isinstance(event, BookingCancelled) else None
            kinds = credits.given_back(event.status, late)
            await self.entitlements.allowances.give_back(event.member_id, event.booking_id, kinds)
        if isinstance(event, BookingConfirmed) and event.credits > 0:
            await self.consume(event)
        elif isinstance(event, BookingCancelled) and not event.late and event.credits > 0:
            await self.restore(event.booking_id, event.member_id)

    async def consume(self, event: BookingConfirmed) -> None:
        """Take the booking's credits from the member's allowance of its session's period (once)."""
        member = await self.member(event.member_id)
        if member is None:
            return
        category, booking_id, amount = event.category.value, event.booking_id, event.credits
        day = rules.local_day(event.session.starts_at, event.time_zone)
        granted = credits.grant(event.member_id, member.stage, category, day)
        if granted is None:
            return
        store = self.entitlements.store
        if await store.get(granted.entitlement_id) is None:
            used = credits.consume(granted, booking_id, amount)
            if used is None:
                return
            after, happened = used
            events = publication([credits.opened(granted, member.stage), *happened])
            with contextlib.suppress(AlreadyExists):  # granted meanwhile: consume from what is there
                await store.create(after.entitlement_id, entitlement_state(after), events)
                self.written()
                return

        def rule(doc: Document) -> Decision | None:
            return _decision(credits.consume(entitlement_of(doc), booking_id, amount))

        await change(store, granted.entitlement_id, rule, what="entitlement")
        self.written()

    async def restore(self, booking_id: str, member_id: str) -> None:
        """Give back what the booking consumed (once), to the entitlement it was taken from."""
        for entitlement in await self.entitlements.of_member(member_id):
            if not entitlement.consumed_by(booking_id):
                continue

            def rule(doc: Document) -> Decision | None:
                return _decision(credits.restore(entitlement_of(doc), booking_id))

            await change(self.entitlements.store, entitlement.entitlement_id, rule, what="entitlement")
            self.written()
            return


def _decision(done: tuple[credits.Entitlement, list[DomainEvent]] | None) -> Decision | None:
    """A ledger rule's answer as the store takes it: the new state and its public events."""
    if done is None:
        return None
    after, happened = done
    return entitlement_state(after), publication(happened)
