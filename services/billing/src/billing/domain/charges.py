"""Charges: what a member organisation owes for one cause, priced once by the site's price list.

A charge's id derives from its cause (`booking:<id>`, `day_pass:<id>`, `residency:<id>:<month>:<stay>`,
`credit_pack:<sale id>`),
so however often the causing event is delivered, there is one charge. A charge stays open
until its month is invoiced; a booking cancelled in time voids its charge before that, a
late cancellation or a no-show turns it into the fee the site's policy says.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta

from billing.domain.money import discounted, month_bounds, pro_rata, share
from billing.domain.packs import PackSale
from billing.domain.prices import CreditPack, MemberFacts, PriceList
from parkgrid.contracts.billing import ChargeCause, ChargeStatus
from parkgrid.contracts.catalogue import OfferingCategory
from parkgrid.contracts.common import SpaceKind
from parkgrid.refusals import Refusal, Refused


@dataclass(frozen=True)
class Charge:
    charge_id: str
    member_id: str
    site_id: str
    cause: ChargeCause
    cause_id: str
    description: str
    billable_on: date
    quantity: int
    unit_price_minor: int
    discount_percent: int
    net_minor: int
    vat_rate_bp: int
    currency: str
    price_list_version: int
    status: ChargeStatus = ChargeStatus.OPEN
    invoice_id: str | None = None


class CurrencyMismatch(ValueError):
    """An offering priced in another currency than its site invoices in: no charge can say what is owed."""


class AlreadyInvoiced(Refused):
    def __init__(self, charge: Charge) -> None:
        super().__init__(Refusal.CONFLICT, f"charge {charge.charge_id} is on invoice {charge.invoice_id}")


def charge_id_of(cause: ChargeCause, cause_id: str) -> str:
    return f"{cause.value}:{cause_id}"


def priced(
    cause: ChargeCause,
    cause_id: str,
    *,
    member: MemberFacts | None,
    member_id: str,
    site_id: str,
    description: str,
    billable_on: date,
    quantity: int,
    unit_price_minor: int,
    prices: PriceList,
) -> Charge:
    """A charge at the list's VAT rate, less the member's largest discount on that day."""
    discount = prices.discount_for(member, billable_on)
    percent = discount.percent if discount else 0
    return Charge(
        charge_id=charge_id_of(cause, cause_id),
        member_id=member_id,
        site_id=site_id,
        cause=cause,
        cause_id=cause_id,
        description=description,
        billable_on=billable_on,
        quantity=quantity,
        unit_price_minor=unit_price_minor,
        discount_percent=percent,
        net_minor=discounted(quantity * unit_price_minor, percent),
        vat_rate_bp=prices.vat_rate_bp,
        currency=prices.currency,
        price_list_version=prices.version,
    )


@dataclass(frozen=True)
class BookedSession:
    """A booking as billing sees it (from `bookings.booking` events)."""

    booking_id: str
    member_id: str
    site_id: str
    title: str
    day: date
    minutes: int
    party_size: int
    category: OfferingCategory
    credits: int


@dataclass(frozen=True)
class OfferingPrice:
    amount_minor: int
    currency: str


def hourly(booking: BookedSession, price: OfferingPrice | None, prices: PriceList) -> bool:
    """A meeting room booked without a price of its own nor credits: charged by the hour at the site's
    rate, after the hours its residents' offices include (`PriceList.included_room_hours`)."""
    return (
        price is None
        and booking.category == OfferingCategory.MEETING_ROOM
        and booking.credits == 0
        and prices.room_hour > 0
    )


def for_booking(
    booking: BookedSession,
    price: OfferingPrice | None,
    prices: PriceList,
    member: MemberFacts | None,
    included_minutes: int = 0,
    prepaid_minutes: int = 0,
) -> Charge | None:
    """A confirmed booking's charge: its offering's price per place; a meeting room without one by
    the hour at the site's rate, less the `included_minutes` its office's allowance covers and the
    `prepaid_minutes` its credit packs pay for (a line of nothing to pay when they cover all: the
    invoice shows the hours used); nothing for what is free or paid in programme credits."""
    included = ""
    if price is not None:
        if price.currency != prices.currency:
            raise CurrencyMismatch(
                f"booking {booking.booking_id}: priced in {price.currency}, "
                f"{booking.site_id} invoices in {prices.currency}"
            )
        unit, quantity = price.amount_minor, booking.party_size
        if unit == 0:
            return None
    elif hourly(booking, price, prices):
        unit, quantity = pro_rata(prices.room_hour, booking.minutes - included_minutes - prepaid_minutes, 60), 1
        if included_minutes:
            included = f", {included_minutes} min included"
        if prepaid_minutes:
            included += f", {prepaid_minutes} min from credit packs"
    else:
        return None
    places = f" ({booking.party_size} places)" if quantity > 1 else ""
    return priced(
        ChargeCause.BOOKING,
        booking.booking_id,
        member=member,
        member_id=booking.member_id,
        site_id=booking.site_id,
        description=f"{booking.title}: {booking.day.isoformat()}{places}{included}",
        billable_on=booking.day,
        quantity=quantity,
        unit_price_minor=unit,
        prices=prices,
    )


def for_credit_pack(sale: PackSale, pack: CreditPack, prices: PriceList, member: MemberFacts | None) -> Charge:
    """A credit pack's charge, on the month of its sale, at the price (and discount) of the list that sold it."""
    return priced(
        ChargeCause.CREDIT_PACK,
        sale.sale_id,
        member=member,
        member_id=sale.member_id,
        site_id=sale.site_id,
        description=f"{pack.label}: {pack.room_hours} h, until {sale.expires_on.isoformat()}",
        billable_on=sale.sold_on,
        quantity=1,
        unit_price_minor=pack.price,
        prices=prices,
    )


def void(charge: Charge) -> Charge:
    """The charge withdrawn before invoicing; one already on an invoice is corrected by a credit note instead."""
    if charge.invoice_id is not None or charge.status == ChargeStatus.INVOICED:
        raise AlreadyInvoiced(charge)
    return replace(charge, status=ChargeStatus.VOIDED)


def fee(charge: Charge, cause: ChargeCause, percent: int, what: str) -> Charge | None:
    """A late cancellation's or no-show's fee: `percent` of what the booking's charge came to."""
    amount = share(charge.net_minor, percent)
    if amount == 0:
        return None
    return replace(
        charge,
        charge_id=charge_id_of(cause, charge.cause_id),
        cause=cause,
        description=f"{what}: {charge.description}",
        quantity=1,
        unit_price_minor=amount,
        discount_percent=0,
        net_minor=amount,
        status=ChargeStatus.OPEN,
        invoice_id=None,
    )


@dataclass(frozen=True)
class DayPass:
    day_pass_id: str
    member_id: str
    site_id: str
    space_name: str
    day: date


def for_day_pass(day_pass: DayPass, prices: PriceList, member: MemberFacts | None) -> Charge | None:
    if prices.day_pass == 0:
        return None
    return priced(
        ChargeCause.DAY_PASS,
        day_pass.day_pass_id,
        member=member,
        member_id=day_pass.member_id,
        site_id=day_pass.site_id,
        description=f"Day pass, {day_pass.space_name}: {day_pass.day.isoformat()}",
        billable_on=day_pass.day,
        quantity=1,
        unit_price_minor=prices.day_pass,
        prices=prices,
    )


# --- residencies ---------------------------------------------------------------------


@dataclass(frozen=True)
class Stay:
    """A stretch of a residency in one space, first and last day inclusive."""

    space_id: str
    site_id: str
    kind: SpaceKind
    seats: int
    first_day: date
    last_day: date


@dataclass(frozen=True)
class Residency:
    """A member organisation's hold on an office or desks, as the stays it made up (moves start a new one)."""

    residency_id: str
    member_id: str
    stays: tuple[Stay, ...]

    def started(self, stay: Stay) -> Residency:
        return replace(self, stays=(stay,))

    def extended_to(self, last_day: date) -> Residency:
        *before, current = self.stays
        return replace(self, stays=(*before, replace(current, last_day=last_day)))

    def moved(self, stay: Stay) -> Residency:
        """From `stay.first_day` on in another space; the stays before end the day before."""
        kept = [s for s in self.stays if s.first_day < stay.first_day]
        if kept:
            kept[-1] = replace(kept[-1], last_day=min(kept[-1].last_day, stay.first_day - timedelta(days=1)))
        return replace(self, stays=(*kept, stay))

    def ended_on(self, last_day: date) -> Residency:
        kept = tuple(replace(s, last_day=min(s.last_day, last_day)) for s in self.stays if s.first_day <= last_day)
        return replace(self, stays=kept)


KIND_NAMES = {
    SpaceKind.PRIVATE_OFFICE: "Private office",
    SpaceKind.DEDICATED_DESK: "Dedicated desks",
    SpaceKind.HOT_DESK_AREA: "Hot desks",
    SpaceKind.MEETING_ROOM: "Meeting room",
    SpaceKind.EVENT_HALL: "Event hall",
}


def for_residency_month(
    residency: Residency,
    period: str,
    prices_at: Callable[[str, date], PriceList | None],
    member: MemberFacts | None,
    space_names: Callable[[str], str],
) -> list[Charge]:
    """One charge per stay of the residency in `period`, pro rata of the days it held the space.

    A private office is priced per office, desks per seat; a space the site has no monthly
    price for is not charged (the park lends it)."""
    first, last = month_bounds(period)
    days_in_month = last.day
    charges = []
    for index, stay in enumerate(residency.stays):
        start, end = max(first, stay.first_day), min(last, stay.last_day)
        if end < start:
            continue
        prices = prices_at(stay.site_id, start)
        monthly = prices.month_of_space(stay.space_id, stay.kind) if prices else None
        if prices is None or not monthly:
            continue
        days = (end - start).days + 1
        per_seat = stay.kind == SpaceKind.DEDICATED_DESK
        unit = pro_rata(monthly, days, days_in_month)
        part = "" if days == days_in_month else f" ({days}/{days_in_month} days)"
        charges.append(
            priced(
                ChargeCause.RESIDENCY,
                f"{residency.residency_id}:{period}:{index}",
                member=member,
                member_id=residency.member_id,
                site_id=stay.site_id,
                description=f"{KIND_NAMES[stay.kind]}, {space_names(stay.space_id)}: {period}{part}",
                billable_on=start,
                quantity=stay.seats if per_seat else 1,
                unit_price_minor=unit,
                prices=prices,
            )
        )
    return charges
