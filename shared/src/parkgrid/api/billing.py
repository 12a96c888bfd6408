"""Billing's HTTP models: price lists, charges, invoices, payments, balances and billing profiles.

Amounts are minor units (centimes) and VAT rates basis points, as in billing's events.
"""

from __future__ import annotations

import datetime as dt

from pydantic import Field, model_validator

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


class CreditPackIn(RequestModel):
    """Meeting-room hours sold ahead: used after an office's included hours, before any hour is charged."""

    code: Id = Field(description="What the desk sells it as; unique in the list.")
    label: Text = Field(min_length=1, max_length=100)
    room_hours: int = Field(ge=1, le=1000)
    price: int = Field(ge=0, le=100_000_000, description="Minor units, before VAT.")
    valid_months: int = Field(ge=1, le=36, description="How long its hours last from the day of the sale.")


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
    credit_packs: list[CreditPackIn] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def packs_unique(self) -> PriceListIn:
        codes = [pack.code for pack in self.credit_packs]
        if len(codes) != len(set(codes)):
            raise ValueError("each credit pack needs a code of its own")
        return self


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


class ChargePage(ReadModel):
    items: list[ChargeRead]
    next_cursor: str | None = Field(None, description="Opaque; pass it as `cursor` for the next page.")


class InvoicePage(ReadModel):
    items: list[InvoiceRead]
    next_cursor: str | None = Field(None, description="Opaque; pass it as `cursor` for the next page.")


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


class PaymentPage(ReadModel):
    items: list[PaymentRead]
    next_cursor: str | None = Field(None, description="Opaque; pass it as `cursor` for the next page.")


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


class PackSaleIn(RequestModel):
    """A credit pack of the site's price list sold to a member organisation today."""

    site_id: Id
    code: Id


class PackSaleRead(ReadModel):
    sale_id: str
    member_id: str
    site_id: str
    code: str
    label: str
    minutes: int = Field(description="The room minutes the pack holds.")
    minutes_left: int
    sold_on: dt.date
    expires_on: dt.date = Field(description="The last day its hours pay for a session.")
    charge_id: str = Field(description="The charge the sale put on the month's invoice.")


class PeriodCloseIn(RequestModel):
    site_ids: list[Id] | None = Field(None, max_length=50, description="None: every site with a price list.")


class PeriodClosed(ReadModel):
    period: str = Field(pattern=PERIOD_PATTERN)
    issued: dict[str, list[str]] = Field(description="The numbers issued, per site.")
    count: int
    closed_at: dt.datetime
