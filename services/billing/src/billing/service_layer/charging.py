"""Charges from the other contexts' events, each exactly once whatever the redelivery.

A charge is created by an insert under the id its cause gives (`booking:<id>`, ...), with its
`charge.recorded` event in the same write (the embedded outbox): a redelivered event finds it
there and does nothing. A void or a fee is a version-guarded change of that charge, and the
fee's own id derives from the booking too, so a crash between the two steps is finished by
the redelivery and never done twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from billing.adapters.allowances import Allowances, allowance_key
from billing.adapters.charges import Charges
from billing.adapters.documents import charge_of, charge_state, member_facts_of
from billing.adapters.facts import OfferingPrices, Residencies, SpaceNames
from billing.adapters.packs import CreditPacks
from billing.adapters.prices import PriceLists
from billing.domain import charges as rules
from billing.domain import packs
from billing.domain.charges import BookedSession, Charge, DayPass, OfferingPrice, Residency, Stay
from billing.domain.money import month_bounds, month_of
from billing.domain.prices import MemberFacts, PriceList
from billing.service_layer.publication import charge_recorded, charge_voided
from parkgrid.aggregates import change
from parkgrid.clock import utc_now
from parkgrid.consumer import Delivery, TransientError
from parkgrid.contracts.billing import ChargeCause
from parkgrid.contracts.bookings import BookingCancelled, BookingConfirmed, BookingNoShow, BookingSnapshot
from parkgrid.contracts.catalogue import OfferingSnapshot
from parkgrid.contracts.community import MemberSnapshot
from parkgrid.contracts.spaces import (
    DayPassIssued,
    ResidencyEnded,
    ResidencyExtended,
    ResidencyMoved,
    ResidencySnapshot,
    ResidencyStarted,
    SpaceSnapshot,
)
from parkgrid.events import IntegrationEvent
from parkgrid.known import KnownMembers
from parkgrid.logging import get_logger
from parkgrid.outbox import AlreadyExists
from parkgrid.refusals import Refusal, Refused
from parkgrid.store import Document

log = get_logger(__name__)

Handler = Callable[[Delivery], Awaitable[None]]


@dataclass
class Charging:
    """What turns events into charges: the charges' store and what pricing reads."""

    charges: Charges
    prices: PriceLists
    offerings: OfferingPrices
    members: KnownMembers
    spaces: SpaceNames
    residencies: Residencies
    allowances: Allowances
    packs: CreditPacks
    written: Callable[[], None] = lambda: None
    member_patience: timedelta = timedelta(minutes=5)
    """Far longer than one consumer lags another, far shorter than a stalled partition is bearable
    (`BILLING_MEMBER_PATIENCE_SECONDS`)."""
    clock: Callable[[], datetime] = utc_now

    async def member(self, member_id: str) -> MemberFacts | None:
        return member_facts_of(await self.members.get(member_id))

    async def payer(self, member_id: str, sent_at: datetime) -> MemberFacts | None:
        """The member a charge is priced for (its programme rate), waited for while community's
        word on it may still be on its way: events of different topics arrive in no set order.
        Past `member_patience` (a member erased meanwhile, say) the charge is priced without it."""
        found = await self.member(member_id)
        if found is None and self.clock() - sent_at < self.member_patience:
            raise TransientError(f"member {member_id} not known yet")
        return found

    async def record(self, charge: Charge | None) -> bool:
        """Insert the charge with its event; False when its cause was charged already."""
        if charge is None:
            return False
        try:
            await self.charges.store.create(charge.charge_id, charge_state(charge), [charge_recorded(charge)])
        except AlreadyExists:
            return False
        self.written()
        return True

    async def void(self, charge_id: str, reason: str) -> None:
        """Void the charge if it is still open; one already invoiced stays (a credit note corrects it)."""

        def rule(doc: Document) -> tuple[Document, list[IntegrationEvent]] | None:
            charge = charge_of(doc)
            if charge.status.value == "voided":
                return None
            try:
                voided = rules.void(charge)
            except Refused:
                log.warning("billing.void_after_invoice", charge_id=charge_id, invoice_id=charge.invoice_id)
                return None
            return charge_state(voided), [charge_voided(voided, reason)]

        try:
            await change(self.charges.store, charge_id, rule, what="charge")
        except Refused as exc:
            if exc.kind != Refusal.NOT_FOUND:
                raise
            return  # nothing was charged for that cause
        self.written()

    # --- bookings ---------------------------------------------------------------------

    async def on_booking_confirmed(self, booking: BookingSnapshot, sent_at: datetime) -> None:
        if booking.site_id is None:
            return  # an online session of the whole network: nobody to invoice it
        session = booked_session(booking)
        prices = await self.prices.at(booking.site_id, session.day)
        if prices is None:
            log.info("billing.no_price_list", site_id=booking.site_id, booking_id=booking.booking_id)
            return
        if not await self.offerings.known(booking.offering_id):
            raise TransientError(f"offering {booking.offering_id} not known yet")
        price = await self.offerings.price(booking.offering_id)
        member = await self.payer(booking.member_id, sent_at)
        if not rules.hourly(session, price, prices):
            await self.record(rules.for_booking(session, price, prices, member))
            return
        included = await self.included_minutes(session, prices)
        prepaid = await self.prepaid_minutes(session, session.minutes - included)
        await self.record(rules.for_booking(session, price, prices, member, included, prepaid))

    async def included_minutes(self, session: BookedSession, prices: PriceList) -> int:
        """The minutes of an hourly room booking its member's offices include this month (taken now)."""
        if not prices.included_room_hours:
            return 0
        first, last = month_bounds(month_of(session.day))
        offices = await self.residencies.offices_of(session.member_id, session.site_id, first, last)
        if not offices:
            return 0
        key = allowance_key(session.member_id, session.site_id, month_of(session.day))
        return await self.allowances.take(
            key, session.booking_id, session.minutes, 60 * prices.included_room_hours * offices
        )

    async def prepaid_minutes(self, session: BookedSession, wanted: int) -> int:
        """Up to `wanted` minutes of the booking taken from its member's credit packs at the site,
        the pack expiring first first (each take is the packs' own compare-and-set, once per booking)."""
        taken = 0
        if wanted <= 0:
            return 0
        sales = await self.packs.of_member(session.member_id, session.site_id)
        for sale in packs.spending_order((sale for sale, _ in sales), session.day):
            taken += await self.packs.minutes.take(sale.sale_id, session.booking_id, wanted - taken, sale.minutes)
            if taken >= wanted:
                break
        return taken

    async def on_booking_undone(self, booking: BookingSnapshot, cause: ChargeCause | None, what: str) -> None:
        """A cancellation (`cause` LATE_CANCELLATION when late, None in time) or a no-show released early."""
        booked_id = rules.charge_id_of(ChargeCause.BOOKING, booking.booking_id)
        booked = await self.charges.get(booked_id)
        if booked is None:
            return  # nothing was charged (free, credits, or never confirmed)
        if cause is not None and booking.site_id is not None:
            prices = await self.prices.at(booking.site_id, booked.billable_on)
            percent = (
                100
                if prices is None
                else (
                    prices.late_cancellation_percent
                    if cause == ChargeCause.LATE_CANCELLATION
                    else prices.no_show_percent
                )
            )
            if percent == 100:
                return  # the booking's charge stands as it is
            await self.record(rules.fee(booked, cause, percent, what))
        await self.void(booked_id, what)
        if cause is None:  # cancelled in time: the included and prepaid hours it used are free again
            key = allowance_key(booked.member_id, booked.site_id, month_of(booked.billable_on))
            await self.allowances.give_back(key, booking.booking_id)
            for sale_id in await self.packs.taken_by(booking.booking_id):
                await self.packs.minutes.give_back(sale_id, booking.booking_id)

    # --- spaces ---------------------------------------------------------------------------

    async def on_day_pass(self, issued: DayPassIssued, sent_at: datetime) -> None:
        prices = await self.prices.at(issued.site_id, issued.day)
        if prices is None:
            return
        day_pass = DayPass(
            issued.day_pass_id, issued.member_id, issued.site_id, await self.spaces.name(issued.space_id), issued.day
        )
        await self.record(rules.for_day_pass(day_pass, prices, await self.payer(issued.member_id, sent_at)))

    async def on_residency(self, delivery: Delivery, event: ResidencySnapshot) -> None:
        """Keep the residency's stays: charged month by month at each period close."""
        known = await self.residencies.get(event.residency_id)
        seen = None if known is None else known[1]
        if seen is not None and seen >= delivery.envelope.sequence:
            return
        current = known[0] if known else Residency(event.residency_id, event.member_id, ())
        stay = Stay(event.space_id, event.site_id, event.space_kind, event.seats, event.starts_on, event.ends_on)
        if isinstance(event, ResidencyStarted) or not current.stays:
            changed = current.started(stay)
        elif isinstance(event, ResidencyMoved):
            moved_on = event.moved_on or delivery.envelope.time.date()
            changed = current.moved(
                Stay(
                    event.space_id,
                    event.site_id,
                    event.space_kind,
                    event.seats,
                    max(moved_on, event.starts_on),
                    event.ends_on,
                )
            )
        elif isinstance(event, ResidencyExtended):
            changed = current.extended_to(event.ends_on)
        elif isinstance(event, ResidencyEnded):
            changed = current.ended_on(event.ends_on)
        else:
            return
        await self.residencies.save(changed, delivery.envelope.sequence, seen)


def booked_session(booking: BookingSnapshot) -> BookedSession:
    starts = booking.session.starts_at.astimezone(ZoneInfo(booking.time_zone))
    minutes = int((booking.session.ends_at - booking.session.starts_at).total_seconds() // 60)
    return BookedSession(
        booking_id=booking.booking_id,
        member_id=booking.member_id,
        site_id=str(booking.site_id),
        title=booking.offering_title.fr,
        day=starts.date(),
        minutes=minutes,
        party_size=booking.party_size,
        category=booking.category,
        credits=booking.credits,
    )


def booking_handler(charging: Charging) -> Handler:
    async def on_booking(delivery: Delivery) -> None:
        event = delivery.event
        if isinstance(event, BookingConfirmed):
            await charging.on_booking_confirmed(event, delivery.envelope.time)
        elif isinstance(event, BookingCancelled):
            cause = ChargeCause.LATE_CANCELLATION if event.late else None
            await charging.on_booking_undone(event, cause, "Late cancellation" if event.late else "Cancelled")
        elif isinstance(event, BookingNoShow):
            await charging.on_booking_undone(event, ChargeCause.NO_SHOW, "No-show")

    return on_booking


def offering_handler(offerings: OfferingPrices) -> Handler:
    async def on_offering(delivery: Delivery) -> None:
        event = delivery.event
        if isinstance(event, OfferingSnapshot):
            price = OfferingPrice(event.price.amount_minor, event.price.currency) if event.price else None
            await offerings.apply(delivery.envelope, event.offering_id, price)

    return on_offering


def space_handler(spaces: SpaceNames) -> Handler:
    async def on_space(delivery: Delivery) -> None:
        if isinstance(delivery.event, SpaceSnapshot):
            space = delivery.event
            await spaces.apply(
                delivery.envelope, {"name": space.name, "kind": space.kind.value, "site_id": space.site_id}
            )

    return on_space


def member_handler(members: KnownMembers) -> Handler:
    async def on_member(delivery: Delivery) -> None:
        if isinstance(delivery.event, MemberSnapshot):
            await members.apply(delivery.envelope, delivery.event)

    return on_member


def stays_handler(charging: Charging) -> Handler:
    async def on_spaces_fact(delivery: Delivery) -> None:
        event = delivery.event
        if isinstance(event, DayPassIssued):
            await charging.on_day_pass(event, delivery.envelope.time)
        elif isinstance(event, ResidencySnapshot):
            await charging.on_residency(delivery, event)

    return on_spaces_fact
