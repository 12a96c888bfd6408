"""Billing's reads as the HTTP read models of `parkgrid.api.billing`."""

from __future__ import annotations

from datetime import date

from billing.adapters.documents import price_list_state
from billing.domain import charges as rules
from billing.domain.charges import Charge
from billing.domain.invoices import Invoice
from billing.domain.packs import PackSale
from billing.domain.payments import Balance, Payment
from billing.domain.prices import PriceList
from billing.service_layer.publication import charge_recorded, invoice_snapshot, payment_recorded
from parkgrid.api.billing import BalanceRead, ChargeRead, InvoiceRead, PackSaleRead, PaymentRead, PriceListRead
from parkgrid.contracts.billing import ChargeCause


def price_list_read(prices: PriceList) -> PriceListRead:
    return PriceListRead.model_validate(price_list_state(prices))


def charge_read(charge: Charge) -> ChargeRead:
    fields = charge_recorded(charge).model_dump()
    return ChargeRead.model_validate({k: v for k, v in fields.items() if k in ChargeRead.model_fields})


def invoice_read(invoice: Invoice, today: date) -> InvoiceRead:
    return InvoiceRead.model_validate(
        {
            **invoice_snapshot(invoice),
            "due_minor": invoice.due_minor,
            "credited_minor": invoice.credited_minor,
            "overdue": invoice.overdue(today),
        }
    )


def payment_read(payment: Payment) -> PaymentRead:
    fields = payment_recorded(payment).model_dump()
    return PaymentRead.model_validate({k: v for k, v in fields.items() if k in PaymentRead.model_fields})


def balance_read(member_id: str, site_id: str | None, balance: Balance) -> BalanceRead:
    return BalanceRead(
        member_id=member_id,
        site_id=site_id,
        currency="MAD",
        invoiced_minor=balance.invoiced_minor,
        credited_minor=balance.credited_minor,
        paid_minor=balance.paid_minor,
        owed_minor=balance.owed_minor,
        overdue_minor=balance.overdue_minor,
    )


def pack_sale_read(sale: PackSale, used: int) -> PackSaleRead:
    return PackSaleRead(
        sale_id=sale.sale_id,
        member_id=sale.member_id,
        site_id=sale.site_id,
        code=sale.code,
        label=sale.label,
        minutes=sale.minutes,
        minutes_left=max(0, sale.minutes - used),
        sold_on=sale.sold_on,
        expires_on=sale.expires_on,
        charge_id=rules.charge_id_of(ChargeCause.CREDIT_PACK, sale.sale_id),
    )
