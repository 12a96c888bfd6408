"""Request bodies of the offering routes: the contract's value types, refusing unknown fields,
with the text a person types checked as such (trimmed, no control characters).

Titles, a provider's name and a closure's reason are one line (`Text`); descriptions may run
over several lines (`LongText`); each language of a localized text is checked alone, with the
contract's bounds. Closures' days are the contract's `Day`s (within the network's calendar).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Optional

from pydantic import BaseModel, ConfigDict, Field, create_model

from catalogue.domain.offering import OfferingDetails
from parkgrid.contracts import catalogue as contract
from parkgrid.contracts import common
from parkgrid.http.models import RequestModel, strict
from parkgrid.inputs import LongText, Text

Line = Annotated[Text, Field(min_length=1, max_length=4000)]
Lines = Annotated[LongText, Field(min_length=1, max_length=4000)]
Name = Annotated[Text, Field(min_length=1, max_length=200)]
Words = Annotated[Text, Field(max_length=200)]
STRICT = ConfigDict(frozen=True, extra="forbid")


class TitleIn(common.LocalizedText):
    """A title in each language: one line each."""

    model_config = STRICT

    fr: Line
    en: Line
    ar: Annotated[Text, Field(max_length=4000)] | None = None


class DescriptionIn(common.LocalizedText):
    """A description in each language: line breaks kept."""

    model_config = STRICT

    fr: Lines
    en: Lines
    ar: Annotated[LongText, Field(max_length=4000)] | None = None


class ProviderIn(contract.Provider):
    model_config = STRICT

    name: Name
    organisation: Words | None = None


if TYPE_CHECKING:  # to the type checker the strict copies are the contract types they copy
    ClosureIn = common.Closure  # lists are invariant: a list of the subclass is not one of the contract's
    MoneyIn = common.Money
    EligibilityIn = common.Eligibility
    LimitIn = contract.PerMemberLimit
    ApprovalIn = contract.ApprovalRule
    WindowIn = common.WeeklyWindow
    SpaceIn = common.SpaceRequirement
else:

    class ClosureIn(common.Closure):
        model_config = STRICT

        reason: Words

    MoneyIn = strict(common.Money, "MoneyIn")
    EligibilityIn = strict(common.Eligibility, "EligibilityIn")
    LimitIn = strict(contract.PerMemberLimit, "LimitIn")
    ApprovalIn = strict(contract.ApprovalRule, "ApprovalIn")
    WindowIn = strict(common.WeeklyWindow, "WindowIn")
    SpaceIn = strict(common.SpaceRequirement, "SpaceIn")


class RulesIn(contract.BookingRules):
    model_config = STRICT

    per_member_limit: LimitIn | None = None
    approval: ApprovalIn | None = None


class OfferingIn(OfferingDetails):
    """An offering as an administrator writes it (POST and PUT): the domain's details, whose
    nested values refuse unknown fields and whose text is checked as a person's."""

    title: TitleIn
    description: DescriptionIn
    provider: ProviderIn
    eligibility: EligibilityIn = Field(default_factory=EligibilityIn)
    price: MoneyIn | None = None
    rules: RulesIn = Field(default_factory=RulesIn)
    availability: list[WindowIn] = Field(default_factory=list, max_length=70)
    closures: list[ClosureIn] = Field(default_factory=list, max_length=400)
    space_requirement: SpaceIn | None = None


def all_optional(model: type[BaseModel], name: str, doc: str) -> type[BaseModel]:
    """`model` with every field optional (absent = unchanged), each keeping its own checks."""
    fields: dict[str, Any] = {
        field: (Optional[info.rebuild_annotation()], None)  # noqa: UP045 - a runtime annotation object
        for field, info in model.model_fields.items()
    }
    made: type[BaseModel] = create_model(name, __base__=RequestModel, __doc__=doc, __module__=__name__, **fields)
    return made


if TYPE_CHECKING:  # routes only dump it: to the type checker it is the full body
    OfferingPatch = OfferingIn
else:
    OfferingPatch = all_optional(
        OfferingIn, "OfferingPatch", "Some fields of an offering (PATCH): each given field replaces the current one."
    )
