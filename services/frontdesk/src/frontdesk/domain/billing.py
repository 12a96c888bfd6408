"""Billing as the web app shows it: amounts (integer minor units) said in the reader's language and
read back from what a person types ("1 200,50" → 120050), an invoice's state in words, the forms'
fields as billing's request bodies, and which lines of an invoice its credit notes already took back.

Billing owns every rule (who may pay what, what is due, overdue, credited); these are presentation
rules only: no arithmetic here is a decision, only a conversion of what was typed or read."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.numbers import format_decimal

from frontdesk.domain.messages import Translate
from parkgrid.api.billing import InvoiceRead, PriceListsRead
from parkgrid.contracts.billing import DocumentKind, PaymentMethod
from parkgrid.contracts.common import Language

MINOR_PER_UNIT = 100
"""Centimes in a dirham: billing's amounts are minor units of MAD."""

METHODS = tuple(m.value for m in PaymentMethod)
"""The ways a payment reaches the desk, in billing's words (the form's choices)."""

PROFILE_LANGUAGES = tuple(language.value for language in Language)
"""The languages an invoice can be written in."""

PAYMENT_FIELDS = ["amount", "method", "reference", "received_on", "invoice_id"]
"""The payment form's inputs; billing's `amount_minor` is the form's `amount` (see `form_field`)."""

PROFILE_FIELDS = ["legal_name", "ice", "address", "language"]
"""The billing profile form's inputs, named like billing's fields."""

PACK_FIELDS = ["code"]
"""The credit pack form's one input: which of the site's packs is sold."""

_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']")
_AMOUNT = re.compile(r"^\d+(?:[.,]\d{1,2})?$")


def money(minor: int, currency: str, t: Translate) -> str:
    """`1 234,56 MAD` (fr), `1,234.56 MAD` (en), `1.234,56 MAD` (ar): exact, from the integer minor units."""
    amount = format_decimal(Decimal(minor).scaleb(-2), format="#,##0.00", locale=t.locale, decimal_quantization=True)
    return t("billing.money", amount=str(amount), currency=currency)


def minor_units(typed: str) -> int | None:
    """What a person typed as an amount of dirhams, in centimes: `1200`, `1 200,5`, `1200.50` → 120050.

    Grouping spaces and a comma or a dot as the decimal sign are accepted (people write both in
    Morocco); anything else, more than two decimals, or nothing at all is None (the form says so
    before billing is asked). Billing itself refuses zero and amounts beyond what it records."""
    text = _SPACES.sub("", typed or "")
    if not _AMOUNT.match(text):
        return None
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None
    return int(value * MINOR_PER_UNIT)


def typed_amount(minor: int) -> str:
    """Minor units as the form's input shows them again (`120050` → `1200.50`)."""
    return f"{Decimal(minor).scaleb(-2):.2f}"


def form_field(field: str | None) -> str | None:
    """Billing's field name as the payment form's: `amount_minor` is typed in dirhams as `amount`."""
    return "amount" if field == "amount_minor" else field


def payment_body(form: Mapping[str, str], member_id: str, site_id: str, amount_minor: int) -> dict[str, Any]:
    """The payment form as billing's `PaymentIn` (on the organisation's account when no invoice is chosen)."""
    return {
        "member_id": member_id,
        "site_id": site_id,
        "amount_minor": amount_minor,
        "currency": "MAD",
        "method": form.get("method", ""),
        "reference": form.get("reference", "").strip(),
        "received_on": form.get("received_on", ""),
        "invoice_id": form.get("invoice_id") or None,
    }


def profile_body(form: Mapping[str, str]) -> dict[str, Any]:
    """The profile form as billing's `BillingProfileIn`: a blank field is none (the member's name, no ICE);
    an ICE typed in groups (`001 525 369 000 088`) is sent as its 15 digits."""
    ice = _SPACES.sub("", form.get("ice", ""))
    return {
        "legal_name": form.get("legal_name", "").strip() or None,
        "ice": ice or None,
        "address": form.get("address", "").strip() or None,
        "language": form.get("language") or Language.FR.value,
    }


def state_key(invoice: InvoiceRead) -> str:
    """The message key of an invoice's state: a credit note is one; an unpaid invoice past its due date is overdue."""
    if invoice.kind == DocumentKind.CREDIT_NOTE:
        return "billing.state.credit_note"
    if invoice.overdue:
        return "billing.state.overdue"
    return f"billing.state.{invoice.status.value}"


def credited_lines(invoice_id: str, documents: Iterable[InvoiceRead]) -> set[str]:
    """The charges of `invoice_id` its credit notes (among `documents`) took back already."""
    return {
        line.charge_id
        for note in documents
        if note.kind == DocumentKind.CREDIT_NOTE and note.credits_invoice_id == invoice_id
        for line in note.lines
        if line.charge_id
    }


def creditable(invoice: InvoiceRead) -> bool:
    """An invoice some of whose lines a credit note could still take back (a credit note itself never is)."""
    return invoice.kind == DocumentKind.INVOICE and invoice.credited_minor < invoice.total_minor


def payable(invoices: Iterable[InvoiceRead]) -> list[InvoiceRead]:
    """The invoices a payment can be recorded on: those with something left to pay."""
    return [i for i in invoices if i.kind == DocumentKind.INVOICE and i.due_minor > 0]


def hours(minutes: int) -> str:
    """Minutes of a pack as hours a person reads: `600` → `10`, `90` → `1.5`."""
    return f"{minutes // 60}" if minutes % 60 == 0 else f"{minutes / 60:.1f}"


def packs_on_sale(prices: PriceListsRead | None) -> list[tuple[str, str, int, int]]:
    """The credit packs the site's list in force sells: (code, label, hours, price in minor units)."""
    if prices is None or prices.current is None:
        return []
    return [(p.code, p.label, p.room_hours, p.price) for p in prices.current.credit_packs]
