"""A member checks in: from the booking's page while the window is open, or at a room's door
(issue 25, item 5): the room's door sign is a QR code of
`/member/check-in?space_id=…` (`staff_rooms.room_door`); the phone that scans it opens this page,
which finds the member's booking in that room now and offers one button to check in, or says
plainly why not (no booking here now, the window opens at …, already checked in, released as a
no-show). Someone not signed in is sent to sign in and brought back here afterwards.

The check-in itself is bookings' (the same command as the booking page's button, with the form's
Idempotency-Key); bookings decides the window and the no-show release in its one conditional
write, so a page left open too long is refused there and said here from the booking's state."""

from __future__ import annotations

import uuid
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from frontdesk.adapters import member_calls
from frontdesk.adapters.services import ServiceProblem, Services, Unavailable
from frontdesk.domain.messages import Translate
from frontdesk.domain.room_door import LOOK_AHEAD, LOOK_BACK, at_the_door
from frontdesk.domain.today import local_time
from frontdesk.entrypoints.http.member_bookings import booking_panel
from frontdesk.entrypoints.http.pages import Clients, form_of, page, see_other
from frontdesk.entrypoints.http.panels import attempt
from frontdesk.entrypoints.http.visitors import AFTER_SIGN_IN_COOKIE, SignInRequired, Visitor, member_visitor, own
from parkgrid.api.bookings import BookingRead

router = APIRouter(prefix="/member")

ROOM_LENGTH = 200
"""A space id is short; anything longer is no room of ours (and is not echoed into a link)."""


def door_path(space_id: str) -> str:
    return f"/member/check-in?{urlencode({'space_id': space_id})}"


def member_at_the_door(request: Request, space_id: str) -> Visitor | Response:
    """The member, or the way to sign in that comes back to this room's page afterwards."""
    try:
        return member_visitor(request)
    except SignInRequired:
        response = see_other("/sign-in")
        response.set_cookie(AFTER_SIGN_IN_COOKIE, door_path(space_id), max_age=600, httponly=True, samesite="lax")
        return response


@router.get("/check-in", response_class=HTMLResponse, name="member_room_check_in")
async def room_check_in(request: Request, services: Clients, space_id: str = "") -> Response:
    space_id = space_id.strip()[:ROOM_LENGTH]
    visitor = member_at_the_door(request, space_id)
    if isinstance(visitor, Response):
        return visitor
    member_id, _ = own(visitor)
    now = services.clock()
    found = await attempt(
        services.bookings.bookings(
            visitor.token,
            member_id=member_id,
            limit=100,
            **{"from": (now - LOOK_BACK).isoformat(), "to": (now + LOOK_AHEAD).isoformat()},
        )
    )
    door = at_the_door(found.data.items if found.data else [], space_id, now) if space_id else None
    return page(
        request,
        "member_room_check_in.html",
        visitor,
        status_code=200 if space_id else 422,
        space_id=space_id,
        bookings=found,
        door=door,
        key=str(uuid.uuid4()),
    )


@router.post("/check-in")
async def check_in_at_the_door(request: Request, services: Clients) -> Response:
    """Check the booking in, then back to the room's page (Post/Redirect/Get) with a line saying so;
    a refusal (409) is said from the booking as it then stands."""
    visitor = member_visitor(request)
    form = await form_of(request)
    space_id = form.get("space_id", "").strip()[:ROOM_LENGTH]
    notice = await checked_in(services, visitor, form.get("booking_id", ""), form.get("idempotency_key"))
    return see_other(f"{door_path(space_id)}&notice={quote(notice)}")


@router.post("/bookings/{booking_id}/check-in")
async def check_in(request: Request, services: Clients, booking_id: str) -> Response:
    """The member checks itself in, then back to the booking (Post/Redirect/Get) with a line saying
    so; a refusal (409) is said in the reader's language from the booking as it then stands:
    released as a no-show at …, already checked in at …, or not open now."""
    visitor = member_visitor(request)
    form = await form_of(request)
    notice = await checked_in(services, visitor, booking_id, form.get("idempotency_key"))
    return see_other(f"/member/bookings/{booking_id}?notice={quote(notice)}")


async def checked_in(services: Services, visitor: Visitor, booking_id: str, key: str | None) -> str:
    """Check the member in; the line saying so, or why not (the booking's page and a room's door)."""
    try:
        await member_calls.check_in(services.bookings, visitor.token, booking_id, key)
        return visitor.t("booking.checked_in")
    except ServiceProblem as exc:
        if exc.status != 409:
            return exc.detail
        found = await booking_panel(services, visitor, booking_id)
        return check_in_refusal(found.data, visitor.t) if found.data is not None else exc.detail
    except Unavailable as exc:
        return visitor.t("unavailable", service=exc.service)


def check_in_refusal(booking: BookingRead, t: Translate) -> str:
    """Why bookings refused the check-in, from the booking's state, in the reader's words."""
    zone = booking.time_zone
    if booking.released_at is not None:
        return t("booking.check_in_released", time=local_time(booking.released_at, zone))
    if booking.checked_in_at is not None:
        return t("booking.check_in_already", time=local_time(booking.checked_in_at, zone))
    return t("booking.check_in_closed")
