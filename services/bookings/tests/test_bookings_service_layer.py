"""Bookings' ledger rules through the service layer, on the kit's in-memory aggregate store.

No broker, no store: `Credits` takes its entitlements through the `AggregateStore` port, so
consuming once, restoring once, and two confirmations racing for a new allowance are
checked in milliseconds (`make test-unit`). The same rules over the real store and topics
are covered by `test_bookings_lifecycle`.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bookings_fakes import InMemoryLedger
from bookings_support import a_booking

from bookings.domain import booking as rules
from bookings.domain.booking import Actor, Booking, MemberFacts
from bookings.service_layer.ledger import Credits
from bookings.service_layer.publication import publication
from parkgrid.consumer import Delivery
from parkgrid.contracts.bookings import BookingConfirmed
from parkgrid.events import IntegrationEvent, registry

NOW = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
MEMBER = MemberFacts("m-1", "Acme", "startup", "incubation", True, "site-test", ("p-1",))
ALLOWANCE = 6  # incubation, mentoring, per quarter


async def known(member_id: str) -> MemberFacts | None:
    return MEMBER if member_id == MEMBER.member_id else None


def ledger() -> tuple[Credits, InMemoryLedger]:
    entitlements = InMemoryLedger()
    return Credits(entitlements, known), entitlements


def booking(booking_id: str = "b-1", credits: int = 2, **changes: object) -> Booking:
    fields = {"booking_id": booking_id, "credits": credits, "member_id": MEMBER.member_id, **changes}
    return a_booking(NOW + timedelta(days=3), NOW, **fields)


def delivered(event: IntegrationEvent, subject: str) -> Delivery:
    return Delivery(registry.envelope(event, source="bookings", subject=subject, sequence=1), event, "t", 0, 0)


def confirmed(made: Booking) -> tuple[Booking, IntegrationEvent]:
    done, happened = rules.open_booking(made, NOW)
    events = publication(happened)
    assert isinstance(events[0], BookingConfirmed)
    return done, events[0]


def cancelled(made: Booking, at: datetime) -> IntegrationEvent:
    _, happened = rules.cancel(made, Actor("member", "p-1"), at, 24 * 60)
    return publication(happened)[0]


async def test_a_confirmed_booking_consumes_its_credits_once() -> None:
    credits, entitlements = ledger()
    made, event = confirmed(booking())
    await credits.on_booking_event(delivered(event, made.booking_id))
    await credits.on_booking_event(delivered(event, made.booking_id))  # redelivered: nothing more

    [held] = await entitlements.of_member(MEMBER.member_id)
    assert (held.allowance, held.used, held.remaining) == (ALLOWANCE, 2, ALLOWANCE - 2)
    kinds = [e["envelope"]["type"] for e in await entitlements.store.outbox(held.entitlement_id)]
    assert [k.rsplit(".", 1)[-1] for k in kinds] == ["granted", "consumed"]


async def test_a_timely_cancellation_restores_once_and_a_late_one_does_not() -> None:
    credits, entitlements = ledger()
    early, early_confirmed = confirmed(booking("b-early"))
    late, late_confirmed = confirmed(booking("b-late"))
    for made, event in ((early, early_confirmed), (late, late_confirmed)):
        await credits.on_booking_event(delivered(event, made.booking_id))

    timely = cancelled(early, NOW)
    await credits.on_booking_event(delivered(timely, early.booking_id))
    await credits.on_booking_event(delivered(timely, early.booking_id))  # redelivered
    too_late = cancelled(late, late.starts_at - timedelta(hours=1))
    await credits.on_booking_event(delivered(too_late, late.booking_id))

    [held] = await entitlements.of_member(MEMBER.member_id)
    assert (held.used, held.remaining) == (2, ALLOWANCE - 2)
    assert held.restored == ("b-early",)


async def test_two_confirmations_racing_for_a_new_allowance_both_count() -> None:
    credits, entitlements = ledger()
    events = [confirmed(booking(f"b-{n}")) for n in range(3)]
    await asyncio.gather(*(credits.on_booking_event(delivered(e, b.booking_id)) for b, e in events))

    [held] = await entitlements.of_member(MEMBER.member_id)
    assert (held.used, held.remaining) == (6, 0)
    assert all(held.consumed_by(f"b-{n}") for n in range(3))


async def test_a_member_not_known_or_a_free_booking_touches_no_ledger() -> None:
    credits, entitlements = ledger()
    stranger, event = confirmed(booking(member_id="m-unknown"))
    free, free_event = confirmed(booking("b-free", credits=0))
    await credits.on_booking_event(delivered(event, stranger.booking_id))
    await credits.on_booking_event(delivered(free_event, free.booking_id))
    assert entitlements.store.documents == {}
