"""The period close: a month's charges become one numbered invoice per member organisation and site.

Every step can be run again and a crash between any two of them loses and doubles nothing:

1. residencies are charged for the month (charge ids derive from residency, month and stay);
2. each member's open charges up to the month's end are claimed by the invoice whose id
   derives from site, member and month (the claim moves the charges' versions);
3. the invoice is created as a draft of the claimed charges (an insert under that id);
4. it takes the next number of its series (gapless: `adapters.invoices.Numbers`);
5. it is issued (a version-guarded change with its `invoice.issued` event) and its charges
   are marked invoiced.

A close finds the drafts a crashed close left and finishes them first, so the number a
draft took is always used. Charges that arrive for a closed month go on the next one.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date

from billing.adapters.charges import Charges
from billing.adapters.documents import invoice_of, invoice_state, member_facts_of
from billing.adapters.facts import Profiles, Residencies, SpaceNames
from billing.adapters.invoices import Invoices, Numbers
from billing.adapters.prices import PriceLists
from billing.domain import invoices as rules
from billing.domain.charges import for_residency_month
from billing.domain.invoices import Customer
from billing.domain.money import month_bounds, month_of, months_between, previous_month
from billing.domain.prices import PriceList, in_force
from billing.service_layer.charging import Charging
from billing.service_layer.publication import issued
from parkgrid.aggregates import change
from parkgrid.clock import utc_now
from parkgrid.contracts.common import Language
from parkgrid.events import IntegrationEvent
from parkgrid.known import KnownMembers
from parkgrid.logging import get_logger
from parkgrid.outbox import AlreadyExists
from parkgrid.store import Document

log = get_logger(__name__)


@dataclass(frozen=True)
class Closed:
    """What one close did: the invoices it issued (numbers) per site."""

    period: str
    issued: dict[str, list[str]] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return sum(len(numbers) for numbers in self.issued.values())


@dataclass
class Closing:
    charging: Charging
    charges: Charges
    invoices: Invoices
    numbers: Numbers
    prices: PriceLists
    residencies: Residencies
    spaces: SpaceNames
    members: KnownMembers
    profiles: Profiles
    today: Callable[[], date] = lambda: utc_now().date()
    written: Callable[[], None] = lambda: None

    async def close(self, period: str, sites: list[str] | None = None) -> Closed:
        """Invoice `period` at `sites` (every site with a price list by default)."""
        await self.finish_drafts()
        closed = Closed(period)
        for site_id in sites or await self.prices.sites():
            prices = await self.prices.at(site_id, month_bounds(period)[1])
            if prices is None:
                continue
            await self.charge_residencies(site_id, period)
            for member_id in await self.charges.members_owing(site_id, month_bounds(period)[1]):
                number = await self.invoice(site_id, member_id, period, prices)
                if number:
                    closed.issued.setdefault(site_id, []).append(number)
        return closed

    async def close_ended_months(self) -> list[Closed]:
        """Last month, and every older month that still has open charges: what the periodic job runs.

        Last month is closed again on every run (it charges its residencies; what is invoiced
        stays); an older month is one whose close never ran (billing was down), and is closed
        on its own so its invoices say their own month."""
        today = self.today()
        periods = {previous_month(today)}
        oldest = await self.charges.collection.find_one({"status": "open"}, sort=[("billable_on", 1)])
        if oldest is not None:
            first = date.fromisoformat(str(oldest["billable_on"]))
            periods.update(p for p in months_between(first, today) if p != month_of(today))
        return [await self.close(period) for period in sorted(periods)]

    async def charge_residencies(self, site_id: str, period: str) -> int:
        first, last = month_bounds(period)
        names = await self.spaces.names()
        versions: dict[str, list[PriceList]] = {}
        charged = 0
        for residency in await self.residencies.at_site_during(site_id, first, last):
            for stay in residency.stays:
                if stay.site_id not in versions:
                    versions[stay.site_id] = await self.prices.versions(stay.site_id)
            member = member_facts_of(await self.members.get(residency.member_id))
            for charge in for_residency_month(
                residency,
                period,
                lambda site, day: in_force(versions.get(site, []), day),
                member,
                lambda space_id: names.get(space_id, space_id),
            ):
                if charge.site_id == site_id:
                    charged += await self.charging.record(charge)
        return charged

    async def customer(self, member_id: str) -> Customer:
        member = await self.members.get(member_id)
        profile = await self.profiles.get(member_id) or {}
        return Customer(
            member_id=member_id,
            name=str(profile.get("legal_name") or (member or {}).get("name") or member_id),
            ice=profile.get("ice"),
            language=Language(profile.get("language", "fr")),
            address=profile.get("address"),
        )

    async def invoice(self, site_id: str, member_id: str, period: str, prices: PriceList) -> str | None:
        """The member's invoice of `period` at the site, issued now (its number); None when there is
        nothing to invoice or it was issued before."""
        invoice_id = rules.invoice_id_for(site_id, member_id, period)
        existing = await self.invoices.get(invoice_id)
        if existing is not None and existing[0].issued:
            # Issued by an earlier close (which may have stopped before marking its charges):
            # what is open now goes on the next month's.
            await self.charges.mark_invoiced(invoice_id)
            return None
        if existing is None:
            await self.charges.claim(invoice_id, site_id, member_id, month_bounds(period)[1])
            claimed = await self.charges.on_invoice(invoice_id)
            if not claimed:
                return None
            invoice = rules.draft(
                site_id=site_id,
                customer=await self.customer(member_id),
                legal_entity=prices.legal_entity,
                period=period,
                charges=claimed,
                issued_on=max(self.today(), month_bounds(period)[1]),
                payment_terms_days=prices.payment_terms_days,
            )
            with suppress(AlreadyExists):
                await self.invoices.store.create(invoice_id, invoice_state(invoice), [])
        return await self.issue(invoice_id)

    async def issue(self, invoice_id: str) -> str | None:
        found = await self.invoices.get(invoice_id)
        if found is None:
            return None
        draft, _ = found
        if draft.issued:
            return draft.number
        sequence = await self.numbers.take(rules.series_of(draft), invoice_id)

        def rule(doc: Document) -> tuple[Document, list[IntegrationEvent]] | None:
            current = invoice_of(doc)
            if current.issued:
                return None
            numbered = rules.issue(current, sequence)
            return invoice_state(numbered), [issued(numbered)]

        doc, _ = await change(self.invoices.store, invoice_id, rule, what="invoice")
        self.written()
        await self.charges.mark_invoiced(invoice_id)
        number = invoice_of(doc).number
        log.info("billing.invoice_issued", invoice_id=invoice_id, number=number)
        return number

    async def finish_drafts(self) -> None:
        for invoice_id in await self.invoices.drafts():
            await self.issue(invoice_id)
