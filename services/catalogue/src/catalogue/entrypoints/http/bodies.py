"""Request bodies of the offering routes: the contract's value types, refusing unknown fields."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import ConfigDict, Field

from parkgrid.contracts import catalogue as contract
from parkgrid.contracts import common
from parkgrid.contracts.catalogue import OfferingCategory
from parkgrid.contracts.common import Id, Mode, TimeZone
from parkgrid.http.models import RequestModel, strict

if TYPE_CHECKING:  # to the type checker the strict copies are the contract types they copy
    TextIn = common.LocalizedText
    ProviderIn = contract.Provider
    MoneyIn = common.Money
    EligibilityIn = common.Eligibility
    LimitIn = contract.PerMemberLimit
    WindowIn = common.WeeklyWindow
    ClosureIn = common.Closure
    SpaceIn = common.SpaceRequirement
else:
    TextIn = strict(common.LocalizedText, "TextIn")
    ProviderIn = strict(contract.Provider, "ProviderIn")
    MoneyIn = strict(common.Money, "MoneyIn")
    EligibilityIn = strict(common.Eligibility, "EligibilityIn")
    LimitIn = strict(contract.PerMemberLimit, "LimitIn")
    WindowIn = strict(common.WeeklyWindow, "WindowIn")
    ClosureIn = strict(common.Closure, "ClosureIn")
    SpaceIn = strict(common.SpaceRequirement, "SpaceIn")


class RulesIn(contract.BookingRules):
    model_config = ConfigDict(frozen=True, extra="forbid")

    per_member_limit: LimitIn | None = None


class OfferingIn(RequestModel):
    """An offering as an administrator writes it (POST and PUT)."""

    site_id: Id | None = None
    category: OfferingCategory
    title: TextIn
    description: TextIn
    provider: ProviderIn
    mode: Mode
    session_minutes: int = Field(ge=5, le=24 * 60)
    seats_per_session: int = Field(ge=1, le=2000)
    eligibility: EligibilityIn = Field(default_factory=EligibilityIn)
    price: MoneyIn | None = None
    credits: int | None = Field(None, ge=0)
    rules: RulesIn = Field(default_factory=RulesIn)
    time_zone: TimeZone | None = None
    availability: list[WindowIn] = Field(default_factory=list, max_length=70)
    closures: list[ClosureIn] = Field(default_factory=list, max_length=400)
    space_requirement: SpaceIn | None = None


class OfferingPatch(RequestModel):
    """Some fields of an offering (PATCH): each given field replaces the current one."""

    site_id: Id | None = None
    category: OfferingCategory | None = None
    title: TextIn | None = None
    description: TextIn | None = None
    provider: ProviderIn | None = None
    mode: Mode | None = None
    session_minutes: int | None = Field(None, ge=5, le=24 * 60)
    seats_per_session: int | None = Field(None, ge=1, le=2000)
    eligibility: EligibilityIn | None = None
    price: MoneyIn | None = None
    credits: int | None = Field(None, ge=0)
    rules: RulesIn | None = None
    time_zone: TimeZone | None = None
    availability: list[WindowIn] | None = Field(None, max_length=70)
    closures: list[ClosureIn] | None = Field(None, max_length=400)
    space_requirement: SpaceIn | None = None
