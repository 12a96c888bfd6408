"""`parkgrid seed` for billing, in two steps around the other services' seeders.

`billing` runs first: each demo site's price list (version 1, in force since the start of last
year), so the bookings, day passes and residencies the others seed next are charged as they are
published. `billing-invoices` runs last: once billing has heard of the demo's members and
residencies, each organisation gets a billing profile (its ICE), last month is closed (the
invoices a park sends at the start of a month), a believable part of them is paid, and some
organisations bought a pack of room hours this month.
Idempotent: a site with a price list keeps it, a closed month issues nothing twice, a payment
seeded before has the same id.
"""

from __future__ import annotations

import asyncio
import time
from datetime import date, timedelta

from billing.bootstrap import BillingParts, build
from billing.domain.money import previous_month
from billing.domain.payments import Payment
from billing.seed_data import demo_ice, demo_price_lists
from billing.settings import BillingSettings
from parkgrid.clock import utc_now
from parkgrid.contracts.billing import DocumentKind, PaymentMethod
from parkgrid.outbox import pending_count

SETTLE_SECONDS = 3.0
WAIT_SECONDS = 60.0


async def _drain(parts: BillingParts) -> None:
    """Publish what the seeder wrote (the running service's relay would, a moment later)."""
    await parts.runtime.start()
    try:
        collections = (parts.charges.collection, parts.invoices.collection, parts.payments.collection)
        deadline = time.monotonic() + 30
        while any([await pending_count(c) for c in collections]) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
    finally:
        await parts.runtime.stop()


async def seed() -> str:
    parts = build(BillingSettings(), consumers=False)
    today = utc_now().date()
    added = 0
    for prices in demo_price_lists(date(today.year - 1, 1, 1)):
        if await parts.ledger.prices.current(prices.site_id) is None:
            await parts.ledger.publish_prices(prices, 0)
            added += 1
    await parts.runtime.mongo.close()
    return f"billing: {added} price lists published ({8 - added} kept)"


async def _settled(parts: BillingParts) -> None:
    """Until billing's members and residencies stop growing (its consumers caught up), or a minute."""
    db = parts.runtime.db
    deadline, seen, quiet_since = time.monotonic() + WAIT_SECONDS, (-1, -1), time.monotonic()
    while time.monotonic() < deadline:
        now = (await db["members"].count_documents({}), await db["residencies"].count_documents({}))
        if now != seen:
            seen, quiet_since = now, time.monotonic()
        elif now[0] > 0 and time.monotonic() - quiet_since >= SETTLE_SECONDS:
            return
        await asyncio.sleep(0.5)


async def seed_invoices() -> str:
    parts = build(BillingSettings(), consumers=False)
    await _settled(parts)
    ledger = parts.ledger
    members = [doc async for doc in parts.runtime.db["members"].find({}, {"_id": 1, "name": 1})]
    for member in members:
        if await ledger.profiles.get(member["_id"]) is None:
            await ledger.set_profile(member["_id"], {"ice": demo_ice(member["_id"]), "language": "fr"})
    period = previous_month(utc_now().date())
    closed = await parts.closing.close(period)
    paid = await _pay_some(parts, period)
    packs = await _sell_packs(parts)
    await _drain(parts)
    await parts.runtime.mongo.close()
    return (
        f"billing: {closed.count} invoices issued for {period}, {paid} paid; {len(members)} billing profiles; "
        f"{packs} credit packs sold this month"
    )


async def _sell_packs(parts: BillingParts) -> int:
    """One organisation in four bought ten room hours at its home site early this month."""
    today = utc_now().date()
    on = max(today.replace(day=1), today - timedelta(days=4))
    members = [doc async for doc in parts.runtime.db["members"].find({}, {"_id": 1, "home_site_id": 1})]
    sold = 0
    for member in sorted(members, key=lambda m: str(m["_id"]))[::4]:
        prices = await parts.ledger.prices.at(str(member["home_site_id"]), on)
        if prices is None or prices.pack("salle-10h") is None:
            continue  # a site whose list predates packs sells none
        await parts.selling.sell(
            sale_id=f"pack-seed-{member['_id']}",
            member_id=str(member["_id"]),
            site_id=prices.site_id,
            code="salle-10h",
            on=on,
            by="seed",
        )
        sold += 1
    return sold


async def _pay_some(parts: BillingParts, period: str) -> int:
    """Two invoices in three paid by transfer, one in six half by cheque, the rest left due."""
    paid = 0
    invoices = await parts.invoices.find({}, period=period)
    for index, invoice in enumerate(sorted(invoices, key=lambda i: str(i.number))):
        if invoice.kind != DocumentKind.INVOICE or invoice.paid_minor:
            continue
        share = {0: 1.0, 1: 1.0, 2: 0.0, 3: 1.0, 4: 1.0, 5: 0.5}[index % 6]
        amount = int(invoice.total_minor * share)
        if not amount:
            continue
        method = PaymentMethod.BANK_TRANSFER if share == 1.0 else PaymentMethod.CHEQUE
        await parts.ledger.record_payment(
            Payment(
                payment_id=f"pay-seed-{invoice.invoice_id}",
                member_id=invoice.customer.member_id,
                site_id=invoice.site_id,
                amount_minor=amount,
                currency=invoice.currency,
                method=method,
                reference=f"{'VIR' if method == PaymentMethod.BANK_TRANSFER else 'CHQ'}-{invoice.number}",
                received_on=min(invoice.issued_on + timedelta(days=2), utc_now().date()),
                invoice_id=invoice.invoice_id,
                recorded_by_role="front_desk",
                recorded_by="seed",
                recorded_at=utc_now(),
            )
        )
        paid += 1
    return paid
