"""Payments staff record, and what a member organisation owes at a site once everything is counted."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from billing.domain.invoices import Invoice
from parkgrid.contracts.billing import DocumentKind, PaymentMethod


@dataclass(frozen=True)
class Payment:
    payment_id: str
    member_id: str
    site_id: str
    amount_minor: int
    currency: str
    method: PaymentMethod
    reference: str
    received_on: date
    invoice_id: str | None
    recorded_by_role: str
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True)
class Balance:
    """Invoiced less credited less paid: what the organisation owes (negative: paid in advance)."""

    invoiced_minor: int
    credited_minor: int
    paid_minor: int
    overdue_minor: int

    @property
    def owed_minor(self) -> int:
        return self.invoiced_minor - self.credited_minor - self.paid_minor


def balance(invoices: Iterable[Invoice], payments: Iterable[Payment], today: date) -> Balance:
    """Issued invoices and credit notes, and every payment (on an invoice or not)."""
    issued = [i for i in invoices if i.issued]
    return Balance(
        invoiced_minor=sum(i.total_minor for i in issued if i.kind == DocumentKind.INVOICE),
        credited_minor=sum(i.total_minor for i in issued if i.kind == DocumentKind.CREDIT_NOTE),
        paid_minor=sum(p.amount_minor for p in payments),
        overdue_minor=sum(i.due_minor for i in issued if i.overdue(today)),
    )
