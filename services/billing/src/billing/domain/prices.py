"""A site's price list: what each thing costs there, from which day, and who pays less.

Price lists are versioned per site: staff publish a new version that applies from a day
on, and a charge records the version that priced it, so an old invoice reads the same
whatever the prices became. The rates here are the ones a technopark publishes: offices
and dedicated desks by the month, a meeting room by the hour, a day pass, and programme
rates (an incubated startup in its first 18 months pays less), and credit packs of room hours.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from billing.domain.money import STANDARD_VAT_BP
from parkgrid.contracts.common import MemberKind, ProgrammeStage, SpaceKind


@dataclass(frozen=True)
class LegalEntity:
    """Who invoices for a site: its legal name, ICE, address and the prefix of its numbers."""

    code: str
    name: str
    ice: str
    address: str


@dataclass(frozen=True)
class MemberFacts:
    """What pricing and invoicing need of a member organisation (from community's events)."""

    member_id: str
    name: str
    kind: MemberKind
    stage: ProgrammeStage
    programme_started_on: date


@dataclass(frozen=True)
class Discount:
    """A rate for some members: of a kind, at a programme stage, within months of joining it."""

    label: str
    percent: int
    member_kind: MemberKind | None = None
    stage: ProgrammeStage | None = None
    within_months: int | None = None

    def applies(self, member: MemberFacts, on: date) -> bool:
        if self.member_kind is not None and member.kind != self.member_kind:
            return False
        if self.stage is not None and member.stage != self.stage:
            return False
        if self.within_months is not None:
            started = member.programme_started_on
            months = (on.year - started.year) * 12 + on.month - started.month - (on.day < started.day)
            if months >= self.within_months:
                return False
        return True


@dataclass(frozen=True)
class CreditPack:
    """Meeting-room hours sold ahead at a price (`price` minor units, before VAT): a member's hourly
    room bookings at the site use them after the hours its offices include and before any hour is
    charged, until `valid_months` after the sale."""

    code: str
    label: str
    room_hours: int
    price: int
    valid_months: int


@dataclass(frozen=True)
class PriceList:
    """One version of a site's prices (minor units of `currency`, before VAT)."""

    site_id: str
    version: int
    effective_from: date
    legal_entity: LegalEntity
    currency: str = "MAD"
    vat_rate_bp: int = STANDARD_VAT_BP
    monthly: Mapping[SpaceKind, int] = field(default_factory=dict)
    """A month of a private office (per office) or of a dedicated desk (per seat)."""
    space_monthly: Mapping[str, int] = field(default_factory=dict)
    """A month of one named space, over its kind's rate (the big office on the top floor)."""
    room_hour: int = 0
    """An hour of a meeting room booked through an offering without a price of its own."""
    day_pass: int = 0
    included_room_hours: int = 0
    """Meeting-room hours a month each private office of a residency includes, used before any is charged."""
    late_cancellation_percent: int = 100
    no_show_percent: int = 100
    payment_terms_days: int = 30
    discounts: Sequence[Discount] = ()
    credit_packs: Sequence[CreditPack] = ()

    def pack(self, code: str) -> CreditPack | None:
        """The credit pack the site sells under `code` in this version (None: it sells no such pack)."""
        return next((pack for pack in self.credit_packs if pack.code == code), None)

    def discount_for(self, member: MemberFacts | None, on: date) -> Discount | None:
        """The largest discount the member has on `on` (none for an unknown member)."""
        if member is None:
            return None
        applicable = [d for d in self.discounts if d.applies(member, on)]
        return max(applicable, key=lambda d: d.percent, default=None)

    def month_of_space(self, space_id: str, kind: SpaceKind) -> int | None:
        """A month of `space_id` (its own rate, else its kind's); None when the site does not rent it."""
        if space_id in self.space_monthly:
            return self.space_monthly[space_id]
        return self.monthly.get(kind)


def in_force(versions: Sequence[PriceList], on: date) -> PriceList | None:
    """The version that applies on `on`: the latest effective by then (None before the first)."""
    applicable = [v for v in versions if v.effective_from <= on]
    return max(applicable, key=lambda v: (v.effective_from, v.version), default=None)
