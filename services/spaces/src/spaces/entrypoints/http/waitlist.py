"""The office waitlist: members line up for an office of a size; staff offer freed offices and confirm."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import Field

from parkgrid.api.spaces import AcceptedOffer, SiteWaitlist, SteppedOut, WaitlistEntryList, WaitlistEntryRead
from parkgrid.auth import Principal
from parkgrid.contracts.common import ID_PATTERN, Actor, Id
from parkgrid.http.access import Caller, Scope, Staff, acts_for
from parkgrid.http.models import RequestModel
from parkgrid.http.params import PathId
from parkgrid.http.problems import problems
from parkgrid.inputs import Day, Text
from parkgrid.store import Document
from spaces.entrypoints.http.deps import Members, Store, WaitlistPart, in_scope, named_site, site_in_scope
from spaces.service_layer.waitlist import Offering, Waitlist
from spaces.views import entry_body, placed, residency_body, site_waitlist

router = APIRouter(prefix="/v1", tags=["office waitlist"])


class WaitlistJoinIn(RequestModel):
    site_id: Id
    member_id: Id
    seats: int = Field(ge=1, le=200, description="The office size waited for.")


class OfferIn(RequestModel):
    space_id: Id
    starts_on: Day
    ends_on: Day | None = None
    seats: int | None = Field(None, ge=1, le=200, description="The line served; the office's size by default.")


class AnswerIn(RequestModel):
    reason: Annotated[Text, Field(max_length=500)] | None = None


async def entry_for(waitlist: Waitlist, entry_id: str, principal: Principal) -> Document:
    """The entry, if the caller may see it (their organisation's, or at their site)."""
    return in_scope(await waitlist.get(entry_id), principal, f"waitlist entry {entry_id}")


async def _answered(
    waitlist: Waitlist,
    entry_id: str,
    principal: Principal,
    step_out: Callable[[str, str | None], Awaitable[tuple[Document, Document | None]]],
    reason: str | None,
) -> dict[str, object]:
    """The entry out of the line (declined or left, as `step_out` does), and the entry offered its office next."""
    await entry_for(waitlist, entry_id, principal)
    entry, successor = await step_out(entry_id, reason)
    return {
        "entry": entry_body(entry),
        "next_offered": None if successor is None else await placed(waitlist, successor),
    }


@router.post("/office-waitlist", status_code=201, response_model=WaitlistEntryRead, responses=problems(403, 409))
async def join_waitlist(
    body: WaitlistJoinIn, response: Response, principal: Caller, store: Store, waitlist: WaitlistPart
) -> dict[str, object]:
    """201 when the organisation joined the line now; 200 with its entry when it was in line already."""
    acts_for(principal, body.member_id, "members put only their own organisation in line")
    await named_site(store, principal, body.site_id)
    doc, new = await waitlist.join(body.site_id, body.member_id, body.seats)
    if not new:
        response.status_code = 200
    response.headers["Location"] = f"/v1/office-waitlist/{doc['entry_id']}"
    return await placed(waitlist, doc)


@router.get("/office-waitlist", response_model=WaitlistEntryList, responses=problems(403))
async def member_entries(
    principal: Caller,
    waitlist: WaitlistPart,
    member_id: Annotated[str, Query(min_length=1, max_length=100, pattern=ID_PATTERN)],
) -> dict[str, object]:
    """The organisation's entries the caller sees: a front desk, those at its sites."""
    acts_for(principal, member_id, "members see only their own organisation's entries", field="query.member_id")
    docs = await waitlist.waitlist.of_member(member_id, within=Scope(principal).query())
    return {"items": [await placed(waitlist, d) for d in docs], "next_cursor": None}


@router.get("/office-waitlist/{entry_id}", response_model=WaitlistEntryRead, responses=problems(403, 404))
async def get_entry(entry_id: PathId, principal: Caller, waitlist: WaitlistPart) -> dict[str, object]:
    return await placed(waitlist, await entry_for(waitlist, entry_id, principal))


@router.get("/sites/{site_id}/office-waitlist", response_model=SiteWaitlist, responses=problems(403, 404))
async def line_of_site(
    site_id: PathId, principal: Staff, store: Store, waitlist: WaitlistPart, members: Members
) -> dict[str, object]:
    """The front desk's view: every open entry of the site, line by line (office size), in order."""
    await site_in_scope(store, principal, site_id)
    return await site_waitlist(waitlist, members, site_id)


@router.post(
    "/sites/{site_id}/office-waitlist/offers",
    status_code=201,
    response_model=WaitlistEntryRead,
    responses=problems(403, 404, 409),
)
async def offer_office(
    site_id: PathId, body: OfferIn, principal: Staff, store: Store, waitlist: WaitlistPart
) -> dict[str, object]:
    """An office freed up: offer it to the first in line of its size (or of `seats`)."""
    await site_in_scope(store, principal, site_id)
    doc = await waitlist.offer(
        Offering(
            site_id=site_id,
            space_id=body.space_id,
            starts_on=body.starts_on,
            ends_on=body.ends_on,
            offered_by=Actor(role=principal.role.value, subject=principal.subject),
            seats=body.seats,
        )
    )
    return await placed(waitlist, doc)


@router.post("/office-waitlist/{entry_id}/accept", response_model=AcceptedOffer, responses=problems(403, 404, 409))
async def accept_offer(
    entry_id: PathId, principal: Staff, waitlist: WaitlistPart, members: Members
) -> dict[str, object]:
    """Staff confirm the offer: the member's residency starts."""
    await entry_for(waitlist, entry_id, principal)
    entry, residency = await waitlist.accept(entry_id, Actor(role=principal.role.value, subject=principal.subject))
    return {"entry": entry_body(entry), "residency": await residency_body(members, residency)}


@router.post("/office-waitlist/{entry_id}/decline", response_model=SteppedOut, responses=problems(403, 404, 409))
async def decline_offer(
    entry_id: PathId, body: AnswerIn, principal: Caller, waitlist: WaitlistPart
) -> dict[str, object]:
    """The offer is declined (by the member or for them); the office goes to the next in line."""
    return await _answered(waitlist, entry_id, principal, waitlist.decline, body.reason)


@router.post("/office-waitlist/{entry_id}/leave", response_model=SteppedOut, responses=problems(403, 404, 409))
async def leave_waitlist(
    entry_id: PathId, body: AnswerIn, principal: Caller, waitlist: WaitlistPart
) -> dict[str, object]:
    """The organisation leaves the line; an office it was offered goes to the next in line."""
    return await _answered(waitlist, entry_id, principal, waitlist.leave, body.reason)
