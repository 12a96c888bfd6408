"""Credit packs sold at the desk: the sale is kept first, its charge recorded from it.

A sale is two writes: the pack with its minutes (`adapters.packs`, unique by sale id), then its
charge (`credit_pack:<sale id>`, with its event). Keeping the pack first means a crash between
the two leaves a pack not yet charged, never a charge without hours: `finish` records the charge
of every such pack, after the command and on every periodic run, and the charge's id makes
that happen once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from billing.adapters.packs import CreditPacks
from billing.domain import charges as rules
from billing.domain import packs
from billing.domain.packs import PackSale
from billing.service_layer.charging import Charging
from parkgrid.logging import get_logger
from parkgrid.refusals import Refusal, Refused

log = get_logger(__name__)


class NoPriceList(Refused):
    def __init__(self, site_id: str) -> None:
        super().__init__(Refusal.INVALID, f"{site_id} has no price list in force", field="site_id")


class UnknownMember(Refused):
    def __init__(self, member_id: str) -> None:
        super().__init__(Refusal.NOT_FOUND, f"billing has not heard of member {member_id}")


@dataclass
class PackSelling:
    charging: Charging

    @property
    def packs(self) -> CreditPacks:
        return self.charging.packs

    async def sell(self, *, sale_id: str, member_id: str, site_id: str, code: str, on: date, by: str) -> PackSale:
        """Sell the site's pack `code` to the member on `on` (the same sale id sells it once)."""
        if await self.charging.member(member_id) is None:
            raise UnknownMember(member_id)
        prices = await self.charging.prices.at(site_id, on)
        if prices is None:
            raise NoPriceList(site_id)
        sale, _ = packs.sell(prices, code, sale_id=sale_id, member_id=member_id, sold_on=on, sold_by=by)
        kept = await self.packs.open(sale)
        await self.charge(kept)
        return kept

    async def charge(self, sale: PackSale) -> None:
        """Record the sale's charge at the price of the list that sold it (once), then mark it charged."""
        prices = await self.charging.prices.version(sale.site_id, sale.price_list_version)
        pack = None if prices is None else prices.pack(sale.code)
        if prices is None or pack is None:
            log.error("billing.pack_without_price", sale_id=sale.sale_id, version=sale.price_list_version)
            return
        member = await self.charging.member(sale.member_id)
        await self.charging.record(rules.for_credit_pack(sale, pack, prices, member))
        await self.packs.mark_charged(sale.sale_id)

    async def finish(self) -> int:
        """Charge every pack a crash left uncharged; how many."""
        unfinished = await self.packs.uncharged()
        for sale in unfinished:
            await self.charge(sale)
        return len(unfinished)
