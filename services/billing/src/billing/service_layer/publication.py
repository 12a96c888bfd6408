"""Billing's domain objects → its public events (the contracts in `parkgrid.contracts.billing`)."""

from __future__ import annotations

from billing.domain.charges import Charge
from billing.domain.invoices import Invoice
from billing.domain.payments import Payment
from parkgrid.contracts.billing import (
    ChargeRecorded,
    ChargeVoided,
    CreditNoteIssued,
    DocumentKind,
    InvoiceIssued,
    InvoiceLine,
    InvoiceSettled,
    InvoiceSnapshot,
    LegalEntity,
    PaymentRecorded,
)
from parkgrid.contracts.common import Actor


def _charge_fields(charge: Charge) -> dict[str, object]:
    return {
        "charge_id": charge.charge_id,
        "member_id": charge.member_id,
        "site_id": charge.site_id,
        "cause": charge.cause,
        "cause_id": charge.cause_id,
        "description": charge.description,
        "billable_on": charge.billable_on,
        "quantity": charge.quantity,
        "unit_price_minor": charge.unit_price_minor,
        "discount_percent": charge.discount_percent,
        "net_minor": charge.net_minor,
        "vat_rate_bp": charge.vat_rate_bp,
        "currency": charge.currency,
        "price_list_version": charge.price_list_version,
        "status": charge.status,
        "invoice_id": charge.invoice_id,
    }


def charge_recorded(charge: Charge) -> ChargeRecorded:
    return ChargeRecorded.model_validate(_charge_fields(charge))


def charge_voided(charge: Charge, reason: str) -> ChargeVoided:
    return ChargeVoided.model_validate({**_charge_fields(charge), "reason": reason[:300]})


def invoice_snapshot(invoice: Invoice) -> dict[str, object]:
    entity = invoice.legal_entity
    return InvoiceSnapshot(
        invoice_id=invoice.invoice_id,
        kind=invoice.kind,
        number=str(invoice.number),
        member_id=invoice.customer.member_id,
        member_name=invoice.customer.name,
        member_ice=invoice.customer.ice,
        site_id=invoice.site_id,
        legal_entity=LegalEntity(code=entity.code, name=entity.name, ice=entity.ice, address=entity.address),
        period=invoice.period,
        issued_on=invoice.issued_on,
        due_on=invoice.due_on,
        language=invoice.customer.language,
        currency=invoice.currency,
        lines=[InvoiceLine(**{**line.__dict__, "vat_minor": line.vat_minor}) for line in invoice.lines],
        net_minor=invoice.net_minor,
        vat_minor=invoice.vat_minor,
        total_minor=invoice.total_minor,
        paid_minor=invoice.paid_minor,
        status=invoice.status,
        credits_invoice_id=invoice.credits_invoice_id,
    ).model_dump()


def issued(invoice: Invoice) -> InvoiceIssued | CreditNoteIssued:
    if invoice.kind == DocumentKind.CREDIT_NOTE:
        return CreditNoteIssued.model_validate(invoice_snapshot(invoice))
    return InvoiceIssued.model_validate(invoice_snapshot(invoice))


def settled(invoice: Invoice) -> InvoiceSettled:
    return InvoiceSettled.model_validate(invoice_snapshot(invoice))


def payment_recorded(payment: Payment) -> PaymentRecorded:
    return PaymentRecorded(
        payment_id=payment.payment_id,
        member_id=payment.member_id,
        site_id=payment.site_id,
        amount_minor=payment.amount_minor,
        currency=payment.currency,
        method=payment.method,
        reference=payment.reference,
        received_on=payment.received_on,
        invoice_id=payment.invoice_id,
        recorded_by=Actor(role=payment.recorded_by_role, subject=payment.recorded_by),
        recorded_at=payment.recorded_at,
    )
