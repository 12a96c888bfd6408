"""Booking commands and reads: book, see, list, cancel, reschedule, check in.

`POST` honours `Idempotency-Key` (the booking id derives from it). A booking that waits
for its space answers 202 with its Location; `Prefer: wait=N` holds the answer up to N
seconds (at most `MAX_WAIT`) for the saga to settle it. Every booking body carries its
version as ETag.
"""

from __future__ import annotations

import re
import time as clock
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Response
from pydantic import AwareDatetime, Field

from bookings import views
from bookings.adapters.bookings import view
from bookings.adapters.ledgers import entry_view
from bookings.entrypoints.http.common import (
    MAX_LIMIT,
    Changes,
    Service,
    actor_of,
    may_see,
    may_see_member,
    self_booking_limit,
    site_of_member,
)
from bookings.service_layer.commands import BookCommand, Outcome
from parkgrid.api.bookings import BookingPage, BookingRead, WaitlistPlaceRead
from parkgrid.auth import Role
from parkgrid.contracts.bookings import BookingStatus
from parkgrid.contracts.common import Id
from parkgrid.http.access import CallerOrService, Staff
from parkgrid.http.idempotency import command_id
from parkgrid.http.models import RequestModel
from parkgrid.http.problems import Forbidden, problems

MAX_WAIT = 30.0
PENDING: dict[int | str, dict[str, Any]] = {202: {"model": BookingRead, "description": "Pending: its space is sought."}}

router = APIRouter(prefix="/v1", tags=["bookings"])


class BookingIn(RequestModel):
    offering_id: Id
    member_id: Id
    person_id: Id | None = None
    starts_at: AwareDatetime
    party_size: int = Field(1, ge=1, le=500)
    join_waitlist: bool = False


class CancelIn(RequestModel):
    reason: str | None = Field(None, max_length=500)
    override: bool = Field(False, description="Staff only: waive the late flag, or cancel a started session.")


class RescheduleIn(RequestModel):
    starts_at: AwareDatetime


def wait_seconds(prefer: str | None) -> float:
    match = re.search(r"wait=(\d+(?:\.\d+)?)", prefer or "")
    return min(MAX_WAIT, float(match[1])) if match else 0.0


async def answer(
    service: Service, changes: Changes, response: Response, outcome: Outcome, prefer: str | None
) -> dict[str, Any]:
    """201 when the outcome is final (or a waitlist place), 202 + Location while the space is sought."""
    if outcome.entry is not None:
        response.status_code = 201
        return {**entry_view(outcome.entry), "status": "waitlisted", "waitlist_status": outcome.entry["status"]}
    assert outcome.booking is not None
    booking, version = outcome.booking, outcome.version
    wait = wait_seconds(prefer)
    if booking.status == BookingStatus.PENDING and wait:
        deadline = clock.monotonic() + wait
        with changes.watch(booking.booking_id) as watch:
            booking, version = await service.get(booking.booking_id)
            while booking.status == BookingStatus.PENDING and (left := deadline - clock.monotonic()) > 0:
                await watch.wait(left)
                booking, version = await service.get(booking.booking_id)
        response.headers["Preference-Applied"] = f"wait={wait:g}"
    response.headers["Location"] = f"/v1/bookings/{booking.booking_id}"
    response.headers["ETag"] = f'"{version}"'
    response.status_code = 202 if booking.status == BookingStatus.PENDING else 201
    return view(booking, version)


@router.post(
    "/bookings",
    status_code=201,
    dependencies=[Depends(self_booking_limit)],
    response_model=BookingRead | WaitlistPlaceRead,
    responses={**PENDING, **problems(403, 404, 409, 429)},
)
async def book(
    body: BookingIn,
    response: Response,
    principal: CallerOrService,
    service: Service,
    changes: Changes,
    idempotency_key: Annotated[str | None, Header()] = None,
    prefer: Annotated[str | None, Header()] = None,
) -> Any:
    if principal.role == Role.MEMBER:
        if principal.member_id != body.member_id:
            raise Forbidden("members book for their own organisation only", field="member_id")
    elif principal.role == Role.FRONT_DESK:
        offering, _ = await service.offering(body.offering_id)
        site = offering.site_id or await site_of_member(service, body.member_id)
        if site is None or not principal.may_act_at_site(site):
            raise Forbidden(f"you are not front desk at {site}", field="offering_id")
    person_id = body.person_id
    if principal.role == Role.MEMBER and person_id is None:
        person_id = principal.person_id
    command = BookCommand(
        booking_id=command_id(f"bookings.booking:{principal.subject}", idempotency_key),
        offering_id=body.offering_id,
        member_id=body.member_id,
        person_id=person_id,
        starts_at=body.starts_at,
        party_size=body.party_size,
        join_waitlist=body.join_waitlist,
        actor=actor_of(principal),
    )
    return await answer(service, changes, response, await service.book(command), prefer)


@router.get("/bookings/{booking_id}", response_model=BookingRead, responses=problems(403, 404))
async def get_booking(booking_id: str, response: Response, principal: CallerOrService, service: Service) -> Any:
    booking, version = await service.get(booking_id)
    await may_see(service, principal, booking)
    response.headers["ETag"] = f'"{version}"'
    return view(booking, version)


@router.get("/bookings", response_model=BookingPage, responses=problems(403, 404))
async def list_bookings(
    principal: CallerOrService,
    service: Service,
    member_id: str | None = None,
    status: BookingStatus | None = None,
    first: Annotated[str | None, Query(alias="from")] = None,
    last: Annotated[str | None, Query(alias="to")] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
) -> Any:
    """My bookings (members: their organisation's), or staff: bookings at their sites."""
    site_ids: list[str] | None = None
    if principal.role == Role.MEMBER:
        if member_id is not None and member_id != principal.member_id:
            return {"items": [], "next_cursor": None}
        member_id = principal.member_id
    elif principal.role == Role.FRONT_DESK:
        if member_id is not None:
            await may_see_member(service, principal, member_id)
        else:
            site_ids = principal.sites
    return await views.booking_page(
        service,
        member_id=member_id,
        site_ids=site_ids,
        statuses=[status.value] if status else None,
        first=views.parse_moment(first, "from"),
        last=views.parse_moment(last, "to"),
        limit=limit,
        cursor=cursor,
    )


@router.post("/bookings/{booking_id}/cancel", response_model=BookingRead, responses=problems(403, 404, 409))
async def cancel(
    booking_id: str, response: Response, principal: CallerOrService, service: Service, body: CancelIn | None = None
) -> Any:
    body = body or CancelIn()
    booking, _ = await service.get(booking_id)
    await may_see(service, principal, booking)
    if body.override and principal.role not in (Role.ADMIN, Role.FRONT_DESK):
        raise Forbidden("only staff may override the cancellation rules", field="override")
    cancelled, version = await service.cancel(booking_id, actor_of(principal), staff_override=body.override)
    response.headers["ETag"] = f'"{version}"'
    return view(cancelled, version)


@router.post(
    "/bookings/{booking_id}/reschedule",
    response_model=BookingRead,
    responses={**PENDING, **problems(403, 404, 409)},
)
async def reschedule(
    booking_id: str,
    body: RescheduleIn,
    response: Response,
    principal: CallerOrService,
    service: Service,
    changes: Changes,
    idempotency_key: Annotated[str | None, Header()] = None,
    prefer: Annotated[str | None, Header()] = None,
) -> Any:
    """The new session is booked first (a new booking, `replaces` the old); the old one is released
    once the new one is confirmed."""
    booking, _ = await service.get(booking_id)
    await may_see(service, principal, booking)
    new_id = command_id(f"bookings.reschedule:{principal.subject}:{booking_id}", idempotency_key)
    moved, version = await service.reschedule(booking_id, body.starts_at, actor_of(principal), new_id)
    return await answer(service, changes, response, Outcome(moved, version), prefer)


@router.post("/bookings/{booking_id}/check-in", response_model=BookingRead, responses=problems(403, 404, 409))
async def check_in(booking_id: str, response: Response, principal: Staff, service: Service) -> Any:
    booking, _ = await service.get(booking_id)
    await may_see(service, principal, booking)
    checked, version = await service.check_in(booking_id, actor_of(principal))
    response.headers["ETag"] = f'"{version}"'
    return view(checked, version)
