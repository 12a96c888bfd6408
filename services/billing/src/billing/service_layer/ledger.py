"""Staff's commands on the books: price lists, billing profiles, payments and credit notes.

A payment on an invoice and a credit note are decided on the invoice, in one version-guarded
write: the rule (never more paid than is due, a line credited at most once) holds however
many desks record at once. That write also keeps the payment or credit note to come in the
invoice (`pending`), so a crash right after it loses nothing: `finish_pending` creates what is
pending (ids from the Idempotency-Key: once) and takes it off, after the command and on every
periodic run.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import date, datetime

from billing.adapters.documents import invoice_of, invoice_state, payment_of, payment_state
from billing.adapters.facts import Profiles
from billing.adapters.gateway import GatewayPayment
from billing.adapters.invoices import Invoices
from billing.adapters.payments import Payments
from billing.adapters.prices import PriceLists
from billing.domain import invoices as rules
from billing.domain.invoices import Invoice
from billing.domain.payments import Balance, Payment, balance
from billing.domain.prices import PriceList
from billing.service_layer.closing import Closing
from billing.service_layer.publication import payment_recorded, settled
from parkgrid.aggregates import change
from parkgrid.clock import utc_now
from parkgrid.contracts.billing import InvoiceStatus, PaymentMethod
from parkgrid.events import IntegrationEvent
from parkgrid.http.idempotency import command_id
from parkgrid.outbox import AlreadyExists
from parkgrid.refusals import Refused
from parkgrid.store import Document

PENDING = "pending"


class UnknownInvoice(Refused):
    def __init__(self, invoice_id: str) -> None:
        super().__init__("not_found", f"there is no invoice {invoice_id}")


@dataclass
class Ledger:
    invoices: Invoices
    payments: Payments
    prices: PriceLists
    profiles: Profiles
    closing: Closing
    clock: Callable[[], datetime] = utc_now
    written: Callable[[], None] = lambda: None

    async def invoice(self, invoice_id: str) -> Invoice:
        found = await self.invoices.get(invoice_id)
        if found is None or not found[0].issued:
            raise UnknownInvoice(invoice_id)
        return found[0]

    async def publish_prices(self, prices: PriceList, expected_version: int | None) -> PriceList:
        return await self.prices.publish(prices, expected_version)

    async def set_profile(self, member_id: str, profile: Document) -> Document:
        return await self.profiles.put(member_id, profile)

    async def record_payment(self, payment: Payment) -> Payment:
        """A payment; on an invoice it is decided there first (never more than is due)."""
        existing = await self.payments.get(payment.payment_id)
        if existing is not None:
            return existing
        if payment.invoice_id is None:
            with suppress(AlreadyExists):
                await self.payments.store.create(
                    payment.payment_id, payment_state(payment), [payment_recorded(payment)]
                )
            self.written()
            return await self._payment(payment.payment_id)
        invoice = await self.invoice(payment.invoice_id)
        if invoice.site_id != payment.site_id or invoice.customer.member_id != payment.member_id:
            raise Refused.invalid(
                f"{invoice.number} is not {payment.member_id}'s at {payment.site_id}", field="invoice_id"
            )

        def rule(doc: Document) -> tuple[Document, list[IntegrationEvent]] | None:
            if any(p["id"] == payment.payment_id for p in doc.get(PENDING, [])) or payment.payment_id in doc.get(
                "payment_ids", []
            ):
                return None  # this payment is on the invoice already
            before = invoice_of(doc)
            paid = rules.pay(before, payment.amount_minor)
            entry = {"kind": "payment", "id": payment.payment_id, "state": payment_state(payment)}
            state = {
                **invoice_state(paid),
                "payment_ids": [*doc.get("payment_ids", []), payment.payment_id],
                PENDING: [*doc.get(PENDING, []), entry],
            }
            return state, [settled(paid)] if paid.status == InvoiceStatus.PAID else []

        await change(self.invoices.store, payment.invoice_id, rule, what="invoice")
        self.written()
        await self.finish_pending(payment.invoice_id)
        return await self._payment(payment.payment_id)

    async def record_gateway_payment(self, paid: GatewayPayment) -> Payment:
        """A payment an online gateway took: on its invoice, or on the account when the invoice has
        less left to pay by now (the money was taken: it is the organisation's credit, never lost)."""
        invoice = await self.invoice(paid.invoice_id)
        payment = Payment(
            payment_id="gw-" + command_id(f"billing.gateway:{paid.gateway}", paid.reference),
            member_id=invoice.customer.member_id,
            site_id=invoice.site_id,
            amount_minor=paid.amount_minor,
            currency=paid.currency,
            method=PaymentMethod.CARD,
            reference=paid.reference,
            received_on=paid.paid_on,
            invoice_id=invoice.invoice_id,
            recorded_by_role="service",
            recorded_by=paid.gateway,
            recorded_at=self.clock(),
        )
        try:
            return await self.record_payment(payment)
        except Refused:
            return await self.record_payment(replace(payment, invoice_id=None))

    async def _payment(self, payment_id: str) -> Payment:
        found = await self.payments.get(payment_id)
        assert found is not None, payment_id
        return found

    async def credit(self, invoice_id: str, note_id: str, charge_ids: list[str] | None) -> Invoice:
        """A credit note taking back lines of an issued invoice (all when `charge_ids` is None)."""
        existing = await self.invoices.get(note_id)
        if existing is not None and existing[0].issued:
            return existing[0]

        def rule(doc: Document) -> tuple[Document, list[IntegrationEvent]] | None:
            if note_id in doc.get("credit_note_ids", []):
                return None
            before = invoice_of(doc)
            note = rules.credit_note(before, note_id, charge_ids, self.clock().date(), doc.get("credited_charges", []))
            after = rules.credited(before, note)
            entry = {"kind": "credit_note", "id": note_id, "state": invoice_state(note)}
            state = {
                **invoice_state(after),
                "credit_note_ids": [*doc.get("credit_note_ids", []), note_id],
                "credited_charges": [*doc.get("credited_charges", []), *(line.charge_id for line in note.lines)],
                PENDING: [*doc.get(PENDING, []), entry],
            }
            newly_paid = after.status == InvoiceStatus.PAID and before.status != InvoiceStatus.PAID
            return state, [settled(after)] if newly_paid else []

        await self.invoice(invoice_id)
        await change(self.invoices.store, invoice_id, rule, what="invoice")
        self.written()
        await self.finish_pending(invoice_id)
        return await self.invoice(note_id)

    async def finish_pending(self, invoice_id: str) -> None:
        """Create the payments and credit notes the invoice decided, then take them off it."""
        doc = await self.invoices.store.get(invoice_id)
        for entry in (doc or {}).get(PENDING, []):
            if entry["kind"] == "payment":
                payment = payment_of(entry["state"])
                with suppress(AlreadyExists):
                    await self.payments.store.create(payment.payment_id, entry["state"], [payment_recorded(payment)])
            else:
                with suppress(AlreadyExists):
                    await self.invoices.store.create(entry["id"], entry["state"], [])
                await self.closing.issue(entry["id"])
            await self.invoices.collection.update_one({"_id": invoice_id}, {"$pull": {PENDING: {"id": entry["id"]}}})
        self.written()

    async def finish_every_pending(self) -> None:
        async for doc in self.invoices.collection.find({f"{PENDING}.0": {"$exists": True}}, {"_id": 1}):
            await self.finish_pending(str(doc["_id"]))

    async def balance(self, member_id: str, site_id: str | None, today: date) -> Balance:
        invoices = await self.invoices.of_member(member_id, site_id)
        payments = await self.payments.of_member(member_id, site_id)
        return balance(invoices, payments, today)
