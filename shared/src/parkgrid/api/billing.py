"""Billing's HTTP models: price lists, charges, invoices, payments, balances and billing profiles.

Amounts are minor units (centimes) and VAT rates basis points, as in billing's events.
"""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from parkgrid.contracts.billing import (
    PERIOD_PATTERN,
    ChargeSnapshot,
    InvoiceSnapshot,
    LegalEntity,
    PaymentMethod,
    PaymentSnapshot,
)
from parkgrid.contracts.common import Id, Language, MemberKind, ProgrammeStage, SpaceKind
from parkgrid.http.models import ReadModel, RequestModel
from parkgrid.inputs import Day, Text


class DiscountIn(RequestModel):
    """A programme or member-kind rate: `percent` off for members matching every field set."""

    label: Text = Field(min_length=1, max_length=100)
    percent: int = Field(ge=1, le=100)
    member_kind: MemberKind | None = None
    stage: ProgrammeStage | None = None
    within_months: int | None = Field(None, ge=1, le=120, description="Only in the first N months of the programme.")


class PriceListIn(RequestModel):
    """A new version of a site's prices (minor units, before VAT), in force from `effective_from`."""

    effective_from: Day
    legal_entity: LegalEntity
    currency: str = Field("MAD", pattern=r"^[A-Z]{3}$")
    vat_rate_bp: int = Field(2000, ge=0, le=10000, description="VAT in basis points: 2000 = 20 %.")
    monthly: dict[SpaceKind, int] = Field(
        default_factory=dict, description="A month of a private office (per office) or a dedicated desk (per seat)."
    )
    space_monthly: dict[Id, int] = Field(default_factory=dict, description="A month of one named space.")
    room_hour: int = Field(0, ge=0, le=10_000_000)
    day_pass: int = Field(0, ge=0, le=10_000_000)
    included_room_hours: int = Field(
        0, ge=0, le=744, description="Meeting-room hours a month each private office includes, used before charging."
    )
    late_cancellation_percent: int = Field(100, ge=0, le=100)
    no_show_percent: int = Field(100, ge=0, le=100)
    payment_terms_days: int = Field(30, ge=0, le=120)
    discounts: list[DiscountIn] = Field(default_factory=list, max_length=20)


class PriceListRead(PriceListIn):
    site_id: str
    version: int = Field(description="The ETag an admin sends back in If-Match to publish the next version.")


class PriceListsRead(ReadModel):
    site_id: str
    current: PriceListRead | None
    versions: list[PriceListRead]


class ChargeRead(ChargeSnapshot):
    pass


class InvoiceRead(InvoiceSnapshot):
    due_minor: int = Field(description="What is left to pay: total less payments and credit notes.")
    credited_minor: int
    overdue: bool


class PaymentIn(RequestModel):
    member_id: Id
    site_id: Id
    amount_minor: int = Field(ge=1, le=10_000_000_000)
    currency: str = Field("MAD", pattern=r"^[A-Z]{3}$")
    method: PaymentMethod
    reference: Text = Field(min_length=1, max_length=100)
    received_on: Day
    invoice_id: Id | None = Field(None, description="The invoice it pays; none: on the organisation's account.")


class PaymentRead(PaymentSnapshot):
    pass


class CreditNoteIn(RequestModel):
    charge_ids: list[Id] | None = Field(
        None, min_length=1, max_length=500, description="The lines to take back; none: the whole invoice."
    )


class BalanceRead(ReadModel):
    member_id: str
    site_id: str | None
    currency: str
    invoiced_minor: int
    credited_minor: int
    paid_minor: int
    owed_minor: int = Field(description="Invoiced less credited less paid; negative: paid in advance.")
    overdue_minor: int


class BillingProfileIn(RequestModel):
    legal_name: Text | None = Field(None, max_length=200, description="As on invoices; the member's name if none.")
    ice: str | None = Field(None, pattern=r"^\d{15}$", description="ICE, 15 digits.")
    address: Text | None = Field(None, max_length=300)
    language: Language = Language.FR


class BillingProfileRead(BillingProfileIn):
    member_id: str


class PeriodCloseIn(RequestModel):
    site_ids: list[Id] | None = Field(None, max_length=50, description="None: every site with a price list.")


class PeriodClosed(ReadModel):
    period: str = Field(pattern=PERIOD_PATTERN)
    issued: dict[str, list[str]] = Field(description="The numbers issued, per site.")
    count: int
    closed_at: dt.datetime
