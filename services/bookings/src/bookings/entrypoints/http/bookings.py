"""Booking commands: book, cancel, reschedule, check in (the reads are `booking_reads`).

`POST` honours `Idempotency-Key` (the booking id derives from it). A booking that waits
for its space answers 202 with its Location; `Prefer: wait=N` holds the answer up to N
seconds (at most `MAX_WAIT`) for the saga to settle it. Every booking body carries its
version as ETag.

A keyed `POST` that does not wait keeps its answer in the booking it stores (`answering`):
the idempotency record is then not written a second time, and a repeat finds the answer
through `kept_answer` (registered for the path in `bootstrap`).
"""

from __future__ import annotations

import contextlib
import re
import time as clock
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response
from pydantic import Field

from bookings.adapters.bookings import view
from bookings.adapters.ledgers import entry_view
from bookings.domain.booking import Booking
from bookings.entrypoints.http.common import Changes, Service, actor_of, may_act_on, self_booking_limit, site_of_member
from bookings.service_layer.changes import BookingChanges, Watch
from bookings.service_layer.commands import BookCommand, Outcome
from bookings.service_layer.service import BookingService
from parkgrid.api.bookings import BookingRead, WaitlistPlaceRead
from parkgrid.auth import Role
from parkgrid.contracts.bookings import BookingStatus
from parkgrid.contracts.common import Id
from parkgrid.http.access import Caller, CallerOrService, Scope, acts_for
from parkgrid.http.idempotency import answer_kept, command_id, json_answer, response_of
from parkgrid.http.models import RequestModel
from parkgrid.http.problems import Forbidden, problems
from parkgrid.inputs import Instant, Text
from parkgrid.store import Document

MAX_WAIT = 30.0
PENDING: dict[int | str, dict[str, Any]] = {202: {"model": BookingRead, "description": "Pending: its space is sought."}}

router = APIRouter(prefix="/v1", tags=["bookings"])


class BookingIn(RequestModel):
    offering_id: Id
    member_id: Id
    person_id: Id | None = None
    starts_at: Instant
    party_size: int = Field(1, ge=1, le=500)
    join_waitlist: bool = False
    attended: bool = Field(
        False,
        description="Staff only: record a visit to a session that has begun (within a day): the booking is"
        " made checked in, the seats still guarded. A member asking is 403.",
    )


class CancelIn(RequestModel):
    reason: Annotated[Text, Field(max_length=500)] | None = None
    override: bool = Field(False, description="Staff only: waive the late flag, or cancel a started session.")


class RescheduleIn(RequestModel):
    starts_at: Instant


def booking_id_of(subject: str, idempotency_key: str | None) -> str:
    """The id of the booking a `POST /v1/bookings` of `subject` makes (random without a key)."""
    return command_id(f"bookings.booking:{subject}", idempotency_key)


def answering(booking: Booking, version: int) -> Document:
    """What `Reply` answers a booking it does not wait for: kept with the booking it stores."""
    status = 202 if booking.status == BookingStatus.PENDING else 201
    headers = {"Location": f"/v1/bookings/{booking.booking_id}", "ETag": f'"{version}"'}
    return json_answer(status, BookingRead, view(booking, version), headers)


def kept_answer(service: BookingService) -> Callable[[str, str], Awaitable[Document | None]]:
    """How the idempotency middleware finds the answer a keyed `POST /v1/bookings` kept."""

    async def find(subject: str, idempotency_key: str) -> Document | None:
        return await service.bookings.kept_answer(booking_id_of(subject, idempotency_key))

    return find


def wait_seconds(prefer: str | None) -> float:
    match = re.search(r"wait=(\d+(?:\.\d+)?)", prefer or "")
    return min(MAX_WAIT, float(match[1])) if match else 0.0


@dataclass(frozen=True)
class Reply:
    """How a booking command answers: 201 when the outcome is final (or a waitlist place), 202 +
    Location while the space is sought, held up to `Prefer: wait=N` seconds for the saga to settle it."""

    service: BookingService
    changes: BookingChanges
    response: Response
    wait: float

    def watching(self, booking_id: str) -> contextlib.AbstractContextManager[Watch | None]:
        """When the caller waits, watch the booking from before the command that stores it: a change
        the saga applies after the store wakes the answer with the booking as written, and the
        outcome is the booking as it stood before any (no read in between)."""
        return self.changes.watch(booking_id) if self.wait else contextlib.nullcontext()

    async def __call__(self, outcome: Outcome, watched: Watch | None = None) -> dict[str, Any]:
        response = self.response
        if outcome.entry is not None:
            response.status_code = 201
            return {**entry_view(outcome.entry), "status": "waitlisted", "waitlist_status": outcome.entry["status"]}
        assert outcome.booking is not None
        booking, version = outcome.booking, outcome.version
        if booking.status == BookingStatus.PENDING and self.wait:
            deadline = clock.monotonic() + self.wait
            with contextlib.nullcontext(watched) if watched else self.changes.watch(booking.booking_id) as watch:
                assert watch is not None
                if watched is None:  # watched from now: what changed before is read
                    booking, version = await self.service.get(booking.booking_id)
                while booking.status == BookingStatus.PENDING and (left := deadline - clock.monotonic()) > 0:
                    written = await watch.wait(left)
                    booking, version = written or await self.service.get(booking.booking_id)
            response.headers["Preference-Applied"] = f"wait={self.wait:g}"
        response.headers["Location"] = f"/v1/bookings/{booking.booking_id}"
        response.headers["ETag"] = f'"{version}"'
        response.status_code = 202 if booking.status == BookingStatus.PENDING else 201
        return view(booking, version)


async def reply(
    service: Service, changes: Changes, response: Response, prefer: Annotated[str | None, Header()] = None
) -> Reply:
    return Reply(service, changes, response, wait_seconds(prefer))


Replying = Annotated[Reply, Depends(reply)]
IdempotencyKey = Annotated[str | None, Header()]


@router.post(
    "/bookings",
    status_code=201,
    dependencies=[Depends(self_booking_limit)],
    response_model=BookingRead | WaitlistPlaceRead,
    responses={**PENDING, **problems(403, 404, 409, 429)},
)
async def book(
    body: BookingIn,
    request: Request,
    principal: CallerOrService,
    service: Service,
    reply: Replying,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """A member books for its own organisation; a front desk for members, at its own sites (a
    booking is at its offering's site, an online one at the member's home site): naming another
    is 403, as is any booking the caller could not see afterwards."""
    acts_for(principal, body.member_id, "members book for their own organisation only", field="member_id")
    if principal.role == Role.FRONT_DESK:
        offering, _ = await service.offering(body.offering_id)
        site = offering.site_id or await site_of_member(service, body.member_id)
        if not Scope(principal).sees(site_id=site):
            raise Forbidden(f"you are not front desk at {site}", field="offering_id")
    if body.attended and principal.role not in (Role.ADMIN, Role.FRONT_DESK):
        raise Forbidden("only the front desk records a visit", field="attended")
    person_id = body.person_id
    if principal.role == Role.MEMBER and person_id is None:
        person_id = principal.person_id
    command = BookCommand(
        booking_id=booking_id_of(principal.subject, idempotency_key),
        offering_id=body.offering_id,
        member_id=body.member_id,
        person_id=person_id,
        starts_at=body.starts_at,
        party_size=body.party_size,
        join_waitlist=body.join_waitlist,
        actor=actor_of(principal),
        visit=body.attended,
        answering=answering if idempotency_key and not reply.wait else None,
        fresh_id=not idempotency_key,
    )
    with reply.watching(command.booking_id) as watch:
        outcome = await service.book(command)
        if outcome.answer is not None:
            answer_kept(request.scope)
            return response_of(outcome.answer)
        return await reply(outcome, watch)


@router.post("/bookings/{booking_id}/cancel", response_model=BookingRead, responses=problems(403, 404, 409))
async def cancel(
    booking_id: str, response: Response, principal: CallerOrService, service: Service, body: CancelIn | None = None
) -> Any:
    body = body or CancelIn()
    booking, _ = await service.get(booking_id)
    await may_act_on(service, principal, booking)
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
    principal: CallerOrService,
    service: Service,
    reply: Replying,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """The new session is booked first (a new booking, `replaces` the old); the old one is released
    once the new one is confirmed."""
    booking, _ = await service.get(booking_id)
    await may_act_on(service, principal, booking)
    new_id = command_id(f"bookings.reschedule:{principal.subject}:{booking_id}", idempotency_key)
    with reply.watching(new_id) as watch:
        moved, version = await service.reschedule(booking_id, body.starts_at, actor_of(principal), new_id)
        return await reply(Outcome(moved, version), watch)


@router.post("/bookings/{booking_id}/check-in", response_model=BookingRead, responses=problems(403, 404, 409))
async def check_in(booking_id: str, response: Response, principal: Caller, service: Service) -> Any:
    """A front desk checks people in at its sites; a member checks itself in, its own organisation's
    booking only (another's is 404), in the same window (`check_in_opens` before the start until
    the end, unless released as a no-show first: 409 naming when). The event names who did it."""
    booking, _ = await service.get(booking_id)
    await may_act_on(service, principal, booking)
    checked, version = await service.check_in(booking_id, actor_of(principal))
    response.headers["ETag"] = f'"{version}"'
    return view(checked, version)
