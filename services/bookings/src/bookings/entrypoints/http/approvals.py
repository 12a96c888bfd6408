"""Approvals (issue 25 part 2): a site's queue of bookings awaiting its staff, and their decisions.

Staff of the booking's site and admins only: a member is 403 (a member's own withdrawal is the
booking's cancellation), a front desk of another site 403 (it named another site's booking or
site). `POST` honours `Idempotency-Key` (the kit's middleware answers a retry with the first
answer). A booking that never awaited approval is 404 `not-awaiting-approval`; one that left
the queue already is 409 `already-decided`, its `outcome` (approved, declined, expired,
withdrawn) in the detail and as a member of the problem.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response
from pydantic import Field

from bookings.adapters.bookings import view
from bookings.domain.approvals import NOTE_MAX, AlreadyDecided, NotAwaitingApproval
from bookings.domain.booking import Booking
from bookings.entrypoints.http.common import MAX_LIMIT, Service, may_act_on
from bookings.service_layer.service import BookingService
from parkgrid.api.approvals import ApprovalPage
from parkgrid.api.bookings import BookingRead
from parkgrid.auth import Principal
from parkgrid.contracts.common import Id
from parkgrid.http.access import Staff, at_site
from parkgrid.http.models import RequestModel
from parkgrid.http.problems import Conflict, NotFound, problems
from parkgrid.inputs import Text

router = APIRouter(prefix="/v1", tags=["approvals"])

IdempotencyKey = Annotated[
    str | None, Header(description="A retry with the same key gets the first answer, not a second decision.")
]


class DeclineIn(RequestModel):
    note: Annotated[Text, Field(min_length=1, max_length=NOTE_MAX, description="Why, in the staff's words.")]


class NotAwaiting(NotFound):
    type_name = "not-awaiting-approval"
    title = "Not awaiting approval"


class Decided(Conflict):
    type_name = "already-decided"
    title = "Already decided"


def queue_item(booking: Booking, site_id: str) -> dict[str, Any]:
    """A booking in the site's queue; one of an online offering is at its member's home site."""
    return {
        "booking_id": booking.booking_id,
        "offering_id": booking.offering_id,
        "offering_title": booking.offering_title,
        "member_id": booking.member_id,
        "person_id": booking.person_id,
        "site_id": booking.site_id or site_id,
        "starts_at": booking.starts_at,
        "ends_at": booking.ends_at,
        "requested_at": booking.requested_at,
        "decide_by": booking.decide_by,
    }


@router.get("/approvals", response_model=ApprovalPage, responses=problems(403))
async def approvals_queue(
    principal: Staff,
    service: Service,
    site_id: Id,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
) -> Any:
    """The site's bookings still awaiting approval, the nearest deadline first."""
    at_site(principal, site_id)
    members = await service.projections.members_at([site_id])
    waiting, next_cursor = await service.approvals.queue.waiting(site_id, limit, cursor, members)
    return {"items": [queue_item(b, site_id) for b in waiting], "next_cursor": next_cursor}


async def _decidable(service: BookingService, principal: Principal, booking_id: str) -> None:
    """404 for a booking nobody sees by that id; 403 to a front desk of another site."""
    booking, _ = await service.get(booking_id)
    await may_act_on(service, principal, booking)


@contextmanager
def _as_problems() -> Iterator[None]:
    """The domain's refusals as the problem types that name why."""
    try:
        yield
    except NotAwaitingApproval as refused:
        raise NotAwaiting(refused.detail) from None
    except AlreadyDecided as refused:
        raise Decided(refused.detail, outcome=refused.outcome.value) from None


@router.post("/approvals/{booking_id}/approve", response_model=BookingRead, responses=problems(403, 404, 409))
async def approve(
    booking_id: str,
    response: Response,
    principal: Staff,
    service: Service,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """The booking is confirmed (`booking.confirmed`, as any confirmation)."""
    await _decidable(service, principal, booking_id)
    with _as_problems():
        approved, version = await service.approvals.approve(booking_id)
    response.headers["ETag"] = f'"{version}"'
    return view(approved, version)


@router.post("/approvals/{booking_id}/decline", response_model=BookingRead, responses=problems(403, 404, 409))
async def decline(
    booking_id: str,
    body: DeclineIn,
    response: Response,
    principal: Staff,
    service: Service,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """The booking is rejected (`declined`, the note its `decline_note`); its seat, room and
    allowances go back as for any rejection."""
    await _decidable(service, principal, booking_id)
    with _as_problems():
        declined, version = await service.approvals.decline(booking_id, body.note)
    response.headers["ETag"] = f'"{version}"'
    return view(declined, version)
