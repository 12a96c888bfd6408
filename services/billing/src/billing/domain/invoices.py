"""Invoices and credit notes: a month's charges of one member at one site, numbered, never edited.

An invoice's totals are not stored apart from its lines: they are sums of the lines (each
line's VAT rounded on its own), so they cannot disagree. Once issued an invoice changes
only by what is paid on it; a correction is a credit note, a document of its own with a
number of its own series, that names the invoice and the lines it takes back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from billing.domain.charges import Charge
from billing.domain.money import vat_of
from billing.domain.prices import LegalEntity
from parkgrid.contracts.billing import DocumentKind, InvoiceStatus
from parkgrid.contracts.common import Language
from parkgrid.refusals import Refused


@dataclass(frozen=True)
class Line:
    charge_id: str | None
    description: str
    quantity: int
    unit_price_minor: int
    discount_percent: int
    net_minor: int
    vat_rate_bp: int

    @property
    def vat_minor(self) -> int:
        return vat_of(self.net_minor, self.vat_rate_bp)

    @classmethod
    def of(cls, charge: Charge) -> Line:
        return cls(
            charge_id=charge.charge_id,
            description=charge.description,
            quantity=charge.quantity,
            unit_price_minor=charge.unit_price_minor,
            discount_percent=charge.discount_percent,
            net_minor=charge.net_minor,
            vat_rate_bp=charge.vat_rate_bp,
        )


@dataclass(frozen=True)
class Customer:
    """Who the invoice is addressed to: the organisation, its ICE and the language it reads."""

    member_id: str
    name: str
    ice: str | None = None
    language: Language = Language.FR
    address: str | None = None


@dataclass(frozen=True)
class Invoice:
    invoice_id: str
    kind: DocumentKind
    customer: Customer
    site_id: str
    legal_entity: LegalEntity
    period: str
    issued_on: date
    due_on: date
    currency: str
    lines: tuple[Line, ...]
    number: str | None = None
    """None while a draft: the number is given when it is issued, never before."""
    paid_minor: int = 0
    credited_minor: int = 0
    """What credit notes took back of it."""
    credits_invoice_id: str | None = None

    @property
    def net_minor(self) -> int:
        return sum(line.net_minor for line in self.lines)

    @property
    def vat_minor(self) -> int:
        return sum(line.vat_minor for line in self.lines)

    @property
    def total_minor(self) -> int:
        return self.net_minor + self.vat_minor

    @property
    def due_minor(self) -> int:
        """What is still to pay on it: its total less payments and credit notes."""
        if self.kind == DocumentKind.CREDIT_NOTE:
            return 0
        return max(self.total_minor - self.paid_minor - self.credited_minor, 0)

    @property
    def status(self) -> InvoiceStatus:
        if self.kind == DocumentKind.INVOICE and self.due_minor == 0:
            return InvoiceStatus.PAID
        if self.paid_minor > 0:
            return InvoiceStatus.PARTIALLY_PAID
        return InvoiceStatus.ISSUED

    @property
    def issued(self) -> bool:
        return self.number is not None

    def overdue(self, today: date) -> bool:
        return self.issued and self.due_minor > 0 and today > self.due_on


def invoice_id_for(site_id: str, member_id: str, period: str) -> str:
    """One invoice per member, site and month: the close finds it again after a crash."""
    return f"inv:{site_id}:{member_id}:{period}"


def draft(
    *,
    site_id: str,
    customer: Customer,
    legal_entity: LegalEntity,
    period: str,
    charges: Sequence[Charge],
    issued_on: date,
    payment_terms_days: int,
) -> Invoice:
    """A month's invoice of the charges given, in the order they were billable."""
    if not charges:
        raise ValueError("an invoice needs at least one charge")
    ordered = sorted(charges, key=lambda c: (c.billable_on, c.charge_id))
    currencies = {c.currency for c in ordered}
    if len(currencies) != 1:
        raise ValueError(f"charges of one invoice in several currencies: {sorted(currencies)}")
    return Invoice(
        invoice_id=invoice_id_for(site_id, customer.member_id, period),
        kind=DocumentKind.INVOICE,
        customer=customer,
        site_id=site_id,
        legal_entity=legal_entity,
        period=period,
        issued_on=issued_on,
        due_on=issued_on + timedelta(days=payment_terms_days),
        currency=ordered[0].currency,
        lines=tuple(Line.of(c) for c in ordered),
    )


def number_text(entity_code: str, kind: DocumentKind, year: int, sequence: int) -> str:
    """`TPR-2026-000042` for an invoice, `TPR-AV-2026-000003` for a credit note (avoir)."""
    series = entity_code if kind == DocumentKind.INVOICE else f"{entity_code}-AV"
    return f"{series}-{year:04d}-{sequence:06d}"


def series_of(invoice: Invoice) -> str:
    """The numbering series an invoice belongs to: its entity, kind and year (gapless each)."""
    return f"{invoice.legal_entity.code}:{invoice.kind.value}:{invoice.issued_on.year:04d}"


def issue(invoice: Invoice, sequence: int) -> Invoice:
    return replace(
        invoice, number=number_text(invoice.legal_entity.code, invoice.kind, invoice.issued_on.year, sequence)
    )


def pay(invoice: Invoice, amount_minor: int) -> Invoice:
    """The invoice with a payment on it; more than is due is refused (record it unallocated instead)."""
    if not invoice.issued or invoice.kind != DocumentKind.INVOICE:
        raise Refused.conflict(f"{invoice.invoice_id} is not an issued invoice")
    if amount_minor > invoice.due_minor:
        raise Refused.conflict(
            f"{invoice.number} has {invoice.due_minor} minor units left to pay, less than {amount_minor}",
            field="amount_minor",
        )
    return replace(invoice, paid_minor=invoice.paid_minor + amount_minor)


def credit_note(
    invoice: Invoice,
    note_id: str,
    charge_ids: Sequence[str] | None,
    issued_on: date,
    already_credited: Sequence[str],
) -> Invoice:
    """A credit note taking back the named lines of an issued invoice (when None, every line not
    taken back yet).

    A line is taken back at most once: naming one a credit note already took back is refused."""
    if not invoice.issued or invoice.kind != DocumentKind.INVOICE:
        raise Refused.conflict(f"{invoice.invoice_id} is not an issued invoice")
    wanted = [
        line
        for line in invoice.lines
        if (line.charge_id in charge_ids if charge_ids is not None else line.charge_id not in already_credited)
    ]
    if charge_ids is not None:
        unknown = set(charge_ids) - {line.charge_id for line in invoice.lines}
        if unknown:
            raise Refused.invalid(f"{invoice.number} has no line for {sorted(unknown)}", field="charge_ids")
    taken = [line.charge_id for line in wanted if line.charge_id in already_credited]
    if taken:
        raise Refused.conflict(f"already credited: {taken}", field="charge_ids")
    if not wanted:
        raise Refused.conflict(f"every line of {invoice.number} is credited already")
    return replace(
        invoice,
        invoice_id=note_id,
        kind=DocumentKind.CREDIT_NOTE,
        issued_on=issued_on,
        due_on=issued_on,
        lines=tuple(wanted),
        number=None,
        paid_minor=0,
        credited_minor=0,
        credits_invoice_id=invoice.invoice_id,
    )


def credited(invoice: Invoice, note: Invoice) -> Invoice:
    """The invoice once `note` took its lines back."""
    return replace(invoice, credited_minor=invoice.credited_minor + note.total_minor)
