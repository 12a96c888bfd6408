"""Finding offerings: filters, a member's eligibility, availability in a range of local dates, cursor pages.

Members and staff find published offerings only; admins find every status (`status=`
narrows). `member_id` (or `eligible=true` with a member's token) keeps what that member
organisation's kind, stage and cohort may use (`Eligibility.unmet`'s rule); a member asks
only for their own organisation, a front desk about the members of its own sites
(`parkgrid.http.access.Scope`). Dates are
`Day`s and `q` is `Text`: out of the network's calendar, or with control characters, is 422.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from catalogue.adapters.known import member_facts
from catalogue.adapters.search import SORTS, Search
from catalogue.domain.availability import MAX_RANGE_DAYS
from catalogue.entrypoints.http.deps import Members, OfferingStore
from catalogue.entrypoints.http.offerings import visible_statuses
from catalogue.views import NO_OFFERINGS, offering_page
from parkgrid.api.catalogue import OfferingPage
from parkgrid.auth import CurrentPrincipal, Principal, Role
from parkgrid.contracts.catalogue import OfferingCategory, OfferingStatus
from parkgrid.contracts.common import Id, MemberKind, Mode, ProgrammeStage
from parkgrid.http.access import Scope
from parkgrid.http.problems import InvalidInput, problems
from parkgrid.inputs import Day, Text
from parkgrid.refusals import Refusal, Refused

MAX_LIMIT = 100
router = APIRouter(prefix="/v1", tags=["offerings"])


async def eligibility_of(
    members: Members, principal: Principal, member_id: str | None, eligible: bool | None
) -> tuple[str, str, str | None] | None:
    """The (kind, stage, cohort) a search is narrowed to, or None; raises for unknown members.

    `member_id` names the organisation; a member asking `eligible=true` means their own.
    Who the caller may ask about is `Scope`'s rule: a member names only its own organisation
    (403 otherwise); to a front desk a member of another site is not there (404: its kind and
    stage are that site's business). An unknown member is 422 on `member_id`. A member who
    left yields `("", "", None)`: no offering is eligible for them."""
    if member_id is None and eligible:
        if principal.role != Role.MEMBER or principal.member_id is None:
            raise Refused.invalid("eligible=true needs member_id (or a member's token)", field="member_id")
        member_id = principal.member_id
    if member_id is None:
        return None
    scope = Scope(principal)
    if principal.role == Role.MEMBER and not scope.sees(member_id=member_id):
        raise Refused(Refusal.FORBIDDEN, "members see eligibility for their own organisation only", field="member_id")
    known = await members.get(member_id)
    member = member_facts(known)
    if known is None or member is None:
        raise Refused.invalid(f"there is no member organisation {member_id}", field="member_id")
    scope.require(f"member organisation {member_id}", site_id=known.get("home_site_id"), member_id=member_id)
    if member.left:
        return ("", "", None)
    return (member.kind, member.stage, member.cohort)


def check_range(available_from: date | None, available_to: date | None) -> None:
    if (available_from is None) != (available_to is None):
        field = "available_to" if available_to is None else "available_from"
        raise InvalidInput("give both available_from and available_to", field=field)
    if available_from is not None and available_to is not None:
        if available_to < available_from:
            raise InvalidInput("available_to is before available_from", field="available_to")
        if (available_to - available_from).days > MAX_RANGE_DAYS:
            raise InvalidInput(f"the range spans at most {MAX_RANGE_DAYS} days", field="available_to")


@router.get("/offerings", response_model=OfferingPage, responses=problems(403, 404))
async def list_offerings(
    principal: CurrentPrincipal,
    offerings: OfferingStore,
    members: Members,
    site: Annotated[Id | None, Query(description="A site id, or `network` for network-wide offerings.")] = None,
    category: OfferingCategory | None = None,
    mode: Mode | None = None,
    member_kind: Annotated[MemberKind | None, Query(description="Only offerings this kind may use.")] = None,
    stage: Annotated[ProgrammeStage | None, Query(description="Only offerings open at this stage.")] = None,
    member_id: Annotated[Id | None, Query(description="Only offerings this member organisation may use.")] = None,
    eligible: Annotated[
        bool | None, Query(description="With a member's token: only offerings their organisation may use.")
    ] = None,
    q: Annotated[Text | None, Query(min_length=1, max_length=200, description="Free text, fr/en/ar.")] = None,
    available_from: Annotated[Day | None, Query(description="Local date; with available_to.")] = None,
    available_to: Annotated[Day | None, Query(description="Local date, inclusive; with available_from.")] = None,
    status: Annotated[OfferingStatus | None, Query(description="Admins only: drafts and withdrawn too.")] = None,
    sort: Literal["title", "-title", "created", "-created"] = "title",
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    cursor: str | None = None,
) -> OfferingPage:
    """Find offerings; `next_cursor` continues the same search (same filters and sort)."""
    check_range(available_from, available_to)
    eligibility = await eligibility_of(members, principal, member_id, eligible)
    if eligibility is not None and eligibility[0] == "":
        return NO_OFFERINGS
    statuses = tuple(s for s in visible_statuses(principal) if status is None or s == status)
    search = Search(
        statuses=statuses,
        site=site,
        category=category.value if category else None,
        mode=mode.value if mode else None,
        member_kind=member_kind.value if member_kind else None,
        stage=stage.value if stage else None,
        eligible_kind=eligibility[0] if eligibility else None,
        eligible_stage=eligibility[1] if eligibility else None,
        eligible_cohort=eligibility[2] if eligibility else None,
        text=q,
        available_from=available_from,
        available_to=available_to,
        sort=sort if sort in SORTS else "title",
        limit=limit,
        cursor=cursor,
    )
    return await offering_page(offerings, search)
