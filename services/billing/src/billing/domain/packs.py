"""Credit packs sold: prepaid meeting-room hours a member uses before any hour is charged.

A sale is priced once by the site's price list (its charge, `credit_pack:<sale id>`, goes on the
month's invoice like any other) and keeps its minutes for the member at that site from the day
it is sold until it expires. An hourly room booking then takes what it needs, in this order:
the hours the member's offices include this month, then its packs, the one expiring first
first, and pays for the rest by the hour (`charging.Charging.included_minutes`, `prepaid_minutes`).
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from billing.domain.prices import CreditPack, PriceList
from parkgrid.refusals import Refusal, Refused


class UnknownPack(Refused):
    def __init__(self, site_id: str, code: str) -> None:
        super().__init__(Refusal.INVALID, f"{site_id} sells no credit pack {code!r}", field="code")


@dataclass(frozen=True)
class PackSale:
    """One pack sold to a member organisation at a site: what it holds, from when, until when."""

    sale_id: str
    member_id: str
    site_id: str
    code: str
    label: str
    minutes: int
    sold_on: date
    expires_on: date
    price_list_version: int
    sold_by: str

    def usable_on(self, day: date) -> bool:
        """Its hours pay for sessions from the day it was sold to the day it expires, inclusive."""
        return self.sold_on <= day <= self.expires_on


def expiry(sold_on: date, valid_months: int) -> date:
    """The last day a pack sold on `sold_on` is good for: the day before the same day
    `valid_months` later, or that month's last day when it has no such day (31 January + 1 → 28 February)."""
    months = sold_on.month - 1 + valid_months
    year, month = sold_on.year + months // 12, months % 12 + 1
    last = monthrange(year, month)[1]
    if sold_on.day > last:
        return date(year, month, last)
    return date(year, month, sold_on.day) - timedelta(days=1)


def sell(
    prices: PriceList, code: str, *, sale_id: str, member_id: str, sold_on: date, sold_by: str
) -> tuple[PackSale, CreditPack]:
    """The sale of the pack `code` at the list's site on `sold_on`; refused when the list has none."""
    pack = prices.pack(code)
    if pack is None:
        raise UnknownPack(prices.site_id, code)
    sale = PackSale(
        sale_id=sale_id,
        member_id=member_id,
        site_id=prices.site_id,
        code=pack.code,
        label=pack.label,
        minutes=60 * pack.room_hours,
        sold_on=sold_on,
        expires_on=expiry(sold_on, pack.valid_months),
        price_list_version=prices.version,
        sold_by=sold_by,
    )
    return sale, pack


def spending_order(sales: Iterable[PackSale], day: date) -> list[PackSale]:
    """The packs a session on `day` may use, the one expiring first first (then the oldest)."""
    return sorted((s for s in sales if s.usable_on(day)), key=lambda s: (s.expires_on, s.sold_on, s.sale_id))
