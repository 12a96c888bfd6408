"""Events of the billing context: charges for what members use, invoices and credit notes, payments.

Billing learns what members used from other contexts' events only (bookings, spaces,
catalogue, community) and says what it charged, invoiced and was paid. Amounts are minor
units (centimes) of the invoice's currency, never floats; VAT rates are basis points
(2000 = 20 %, Morocco's standard rate), so a line's VAT is exact and reproducible.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from parkgrid.contracts.common import Actor, Contract, Id, Language
from parkgrid.events import IntegrationEvent, registry
from parkgrid.inputs import Day, Instant

Minor = int
"""An amount in minor units (centimes)."""

Period = str
"""A calendar month, `YYYY-MM`."""

PERIOD_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


class ChargeCause(StrEnum):
    """What a charge is for: each cause is charged at most once (the charge id derives from it)."""

    BOOKING = "booking"
    LATE_CANCELLATION = "late_cancellation"
    NO_SHOW = "no_show"
    DAY_PASS = "day_pass"
    RESIDENCY = "residency"
    CREDIT_PACK = "credit_pack"


class ChargeStatus(StrEnum):
    OPEN = "open"
    """Waiting for its month's invoice."""
    INVOICED = "invoiced"
    VOIDED = "voided"
    """Its cause was undone before it was invoiced (a booking cancelled in time)."""


class ChargeSnapshot(Contract):
    """What a member organisation owes for one cause, as it stands after the event."""

    charge_id: Id = Field(description="Derived from the cause: the same cause never makes a second charge.")
    member_id: Id
    site_id: Id
    cause: ChargeCause
    cause_id: Id = Field(description="The causing thing's id: a booking, a day pass, a residency and month.")
    description: str = Field(min_length=1, max_length=300)
    billable_on: Day = Field(description="The day the charge belongs to: it is invoiced with that day's month.")
    quantity: int = Field(ge=1, le=100000)
    unit_price_minor: Minor = Field(ge=0)
    discount_percent: int = Field(0, ge=0, le=100)
    net_minor: Minor = Field(ge=0, description="quantity times unit price, less the discount, rounded half up.")
    vat_rate_bp: int = Field(ge=0, le=10000, description="VAT rate in basis points (2000 = 20 %).")
    currency: str = Field(pattern=r"^[A-Z]{3}$", examples=["MAD"])
    price_list_version: int = Field(ge=0, description="The version of the site's price list that priced it.")
    status: ChargeStatus
    invoice_id: Id | None = None


@registry.register
class ChargeRecorded(IntegrationEvent, ChargeSnapshot):
    """A member organisation was charged for something it used."""

    event_type = "parkgrid.billing.charge.recorded"


@registry.register
class ChargeVoided(IntegrationEvent, ChargeSnapshot):
    """A charge not yet invoiced was withdrawn because its cause was undone."""

    event_type = "parkgrid.billing.charge.voided"
    reason: str = Field(max_length=300)


class DocumentKind(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


class InvoiceStatus(StrEnum):
    ISSUED = "issued"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"


class LegalEntity(Contract):
    """Who invoices: the legal entity a site belongs to, and the prefix of its numbers."""

    code: str = Field(pattern=r"^[A-Z0-9]{2,10}$", description="Prefix of its invoice numbers, e.g. TPC.")
    name: str = Field(min_length=1, max_length=200)
    ice: str = Field(pattern=r"^\d{15}$", description="Identifiant Commun de l'Entreprise (15 digits).")
    address: str = Field(max_length=500)


class InvoiceLine(Contract):
    charge_id: Id | None = Field(
        None, description="The charge invoiced; a credit note's line names the one it reverses."
    )
    description: str = Field(min_length=1, max_length=300)
    quantity: int = Field(ge=1)
    unit_price_minor: Minor = Field(ge=0)
    discount_percent: int = Field(0, ge=0, le=100)
    net_minor: Minor = Field(ge=0)
    vat_rate_bp: int = Field(ge=0, le=10000)
    vat_minor: Minor = Field(ge=0)


class InvoiceSnapshot(Contract):
    """An issued invoice or credit note: numbered, never edited (a correction is a credit note)."""

    invoice_id: Id
    kind: DocumentKind
    number: str = Field(
        description="Without gaps per legal entity, year and kind: TPC-2026-000042, TPC-AV-2026-000003."
    )
    member_id: Id
    member_name: str = Field(max_length=200)
    member_ice: str | None = Field(None, pattern=r"^\d{15}$")
    site_id: Id
    legal_entity: LegalEntity
    period: Period = Field(pattern=PERIOD_PATTERN, description="The month whose charges it invoices.")
    issued_on: Day
    due_on: Day
    language: Language
    currency: str = Field(pattern=r"^[A-Z]{3}$", examples=["MAD"])
    lines: list[InvoiceLine] = Field(min_length=1)
    net_minor: Minor = Field(ge=0)
    vat_minor: Minor = Field(ge=0)
    total_minor: Minor = Field(ge=0, description="net + VAT: the sum of the lines, always.")
    paid_minor: Minor = Field(0, ge=0)
    status: InvoiceStatus
    credits_invoice_id: Id | None = Field(None, description="For a credit note: the invoice it corrects.")


@registry.register
class InvoiceIssued(IntegrationEvent, InvoiceSnapshot):
    """A member organisation's invoice for a month was issued."""

    event_type = "parkgrid.billing.invoice.issued"


@registry.register
class CreditNoteIssued(IntegrationEvent, InvoiceSnapshot):
    """A credit note corrected an issued invoice (which itself never changes)."""

    event_type = "parkgrid.billing.invoice.credit_note_issued"


@registry.register
class InvoiceSettled(IntegrationEvent, InvoiceSnapshot):
    """Payments (and credit notes) now cover the invoice's total."""

    event_type = "parkgrid.billing.invoice.settled"


class PaymentMethod(StrEnum):
    BANK_TRANSFER = "bank_transfer"
    CHEQUE = "cheque"
    CARD = "card"
    CASH = "cash"


class PaymentSnapshot(Contract):
    """Money a member organisation paid, as staff recorded it (no payment gateway is called)."""

    payment_id: Id
    member_id: Id
    site_id: Id
    amount_minor: Minor = Field(ge=1)
    currency: str = Field(pattern=r"^[A-Z]{3}$", examples=["MAD"])
    method: PaymentMethod
    reference: str = Field(max_length=100, description="The transfer's, cheque's or card slip's reference.")
    received_on: Day
    invoice_id: Id | None = Field(None, description="The invoice it pays, when the payer named one.")
    recorded_by: Actor
    recorded_at: Instant


@registry.register
class PaymentRecorded(IntegrationEvent, PaymentSnapshot):
    """Staff recorded a payment."""

    event_type = "parkgrid.billing.payment.recorded"
