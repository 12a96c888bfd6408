"""The bookings HTTP API under /v1 (routes agreed with the other contexts).

Who may do what: a member books, sees and cancels their own organisation's bookings
(another organisation's are 404 to them); front-desk staff act on behalf of members at
their sites (another site is 403) and alone check people in and see a site's day; admins
do everything. `POST` honours `Idempotency-Key` (the booking id derives from it).
"""

from __future__ import annotations

import re
import time as clock
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from bookings.adapters.bookings import BadCursor, view
from bookings.adapters.ledgers import CalendarFeeds, entry_view
from bookings.domain import calendar as ical
from bookings.domain.booking import Actor, Booking, BookingRefused
from bookings.service_layer.changes import BookingChanges
from bookings.service_layer.handlers import BookCommand, BookingService, Outcome, UnknownBooking
from parkgrid.auth import CurrentPrincipal, Principal, Role, require_roles
from parkgrid.contracts.bookings import BookingStatus
from parkgrid.contracts.common import Id
from parkgrid.http.idempotency import command_id
from parkgrid.http.problems import Conflict, Forbidden, InvalidInput, NotFound

MAX_LIMIT = 100
MAX_WAIT = 30.0

Staff = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.FRONT_DESK))]


class BookingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    offering_id: Id
    member_id: Id
    person_id: Id | None = None
    starts_at: AwareDatetime
    party_size: int = Field(1, ge=1, le=500)
    join_waitlist: bool = False


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(None, max_length=500)
    override: bool = Field(False, description="Staff only: waive the late flag, or cancel a started session.")


class RescheduleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    starts_at: AwareDatetime


def changes_of(request: Request) -> BookingChanges:
    changes: BookingChanges = request.app.state.booking_changes
    return changes


def service_of(request: Request) -> BookingService:
    service: BookingService = request.app.state.bookings
    return service


def actor_of(principal: Principal) -> Actor:
    return Actor(principal.role.value, principal.subject)


async def refused(command: Any) -> Any:
    """The domain's refusals as problems."""
    try:
        return await command
    except BookingRefused as exc:
        problem = {"invalid": InvalidInput, "forbidden": Forbidden, "conflict": Conflict}[exc.kind]
        raise problem(exc.detail, field=exc.field) from None
    except UnknownBooking as exc:
        raise NotFound(f"there is no booking {exc}") from None


async def site_of_member(request: Request, member_id: str) -> str | None:
    member = await service_of(request).projections.members.get(member_id)
    return member.home_site_id if member else None


async def may_see(request: Request, principal: Principal, booking: Booking) -> None:
    """404 for a member of another organisation, 403 for staff of another site."""
    if principal.role == Role.MEMBER and principal.member_id != booking.member_id:
        raise NotFound(f"there is no booking {booking.booking_id}")
    if principal.role == Role.FRONT_DESK:
        site = booking.site_id or await site_of_member(request, booking.member_id)
        if site is None or not principal.may_act_at_site(site):
            raise Forbidden(f"booking {booking.booking_id} is at {site}, not at one of your sites")


async def may_see_member(request: Request, principal: Principal, member_id: str) -> None:
    if principal.role == Role.MEMBER and principal.member_id != member_id:
        raise NotFound(f"there is no member {member_id} you may see")
    if principal.role == Role.FRONT_DESK:
        site = await site_of_member(request, member_id)
        if site is None or not principal.may_act_at_site(site):
            raise Forbidden(f"member {member_id} is not at one of your sites")


def parse_day(value: str | None, field: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value[:10])  # a date, or the date of a date-time
    except ValueError:
        raise InvalidInput(f"{value!r} is not a date (YYYY-MM-DD)", field=field) from None


def parse_moment(value: str | None, field: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{value!r} is not an RFC 3339 date-time or a date", field=field) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def wait_seconds(prefer: str | None) -> float:
    match = re.search(r"wait=(\d+(?:\.\d+)?)", prefer or "")
    return min(MAX_WAIT, float(match[1])) if match else 0.0


async def answer(
    request: Request, response: Response, outcome: Outcome, prefer: str | None
) -> dict[str, Any] | JSONResponse:
    """201 when the outcome is final (or a waitlist place), 202 + Location while the space is sought."""
    if outcome.entry is not None:
        response.status_code = 201
        return {**entry_view(outcome.entry), "status": "waitlisted", "waitlist_status": outcome.entry["status"]}
    assert outcome.booking is not None
    booking, version = outcome.booking, outcome.version
    wait = wait_seconds(prefer)
    if booking.status == BookingStatus.PENDING and wait:
        deadline = clock.monotonic() + wait
        with changes_of(request).watch(booking.booking_id) as watch:
            booking, version = await service_of(request).get(booking.booking_id)
            while booking.status == BookingStatus.PENDING and (left := deadline - clock.monotonic()) > 0:
                await watch.wait(left)
                booking, version = await service_of(request).get(booking.booking_id)
        response.headers["Preference-Applied"] = f"wait={wait:g}"
    location = f"/v1/bookings/{booking.booking_id}"
    response.headers["Location"] = location
    response.headers["ETag"] = f'"{version}"'
    response.status_code = 202 if booking.status == BookingStatus.PENDING else 201
    return view(booking, version)


router = APIRouter(prefix="/v1", tags=["bookings"])


@router.get("/offerings/{offering_id}/slots")
async def slots(
    offering_id: str,
    request: Request,
    principal: CurrentPrincipal,
    first: Annotated[str | None, Query(alias="from", description="Local date (or date-time).")] = None,
    last: Annotated[str | None, Query(alias="to", description="Local date (or date-time), inclusive.")] = None,
) -> dict[str, Any]:
    """Bookable sessions with the seats left, in the site's time zone."""
    service = service_of(request)
    try:
        offering, zone = await service.offering(offering_id)
    except BookingRefused:
        raise NotFound(f"there is no offering {offering_id}") from None
    today = datetime.now(ZoneInfo(zone)).date()
    start = parse_day(first, "from") or today
    end = parse_day(last, "to") or start + timedelta(days=7)
    items = await refused(service.slots(offering_id, start, end))
    return {"items": items, "next_cursor": None, "time_zone": zone, "offering_id": offering.offering_id}


async def self_booking_limit(request: Request) -> None:
    """Members' booking commands are rate-limited per caller (429 + Retry-After); staff are not."""
    limit = getattr(request.app.state, "self_booking_limit", None)
    if limit is not None:
        await limit(request)


@router.post("/bookings", status_code=201, dependencies=[Depends(self_booking_limit)])
async def book(
    body: BookingIn,
    request: Request,
    response: Response,
    principal: CurrentPrincipal,
    idempotency_key: Annotated[str | None, Header()] = None,
    prefer: Annotated[str | None, Header()] = None,
) -> Any:
    service = service_of(request)
    if principal.role == Role.MEMBER:
        if principal.member_id != body.member_id:
            raise Forbidden("members book for their own organisation only", field="member_id")
    elif principal.role == Role.FRONT_DESK:
        offering, _ = await refused(service.offering(body.offering_id))
        site = offering.site_id or await site_of_member(request, body.member_id)
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
    outcome = await refused(service.book(command))
    return await answer(request, response, outcome, prefer)


@router.get("/bookings/{booking_id}")
async def get_booking(booking_id: str, request: Request, response: Response, principal: CurrentPrincipal) -> Any:
    booking, version = await refused(service_of(request).get(booking_id))
    await may_see(request, principal, booking)
    response.headers["ETag"] = f'"{version}"'
    return view(booking, version)


@router.get("/bookings")
async def list_bookings(
    request: Request,
    principal: CurrentPrincipal,
    member_id: str | None = None,
    status: BookingStatus | None = None,
    first: Annotated[str | None, Query(alias="from")] = None,
    last: Annotated[str | None, Query(alias="to")] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
) -> dict[str, Any]:
    """My bookings (members: their organisation's), or staff: bookings at their sites."""
    site_ids: list[str] | None = None
    if principal.role == Role.MEMBER:
        if member_id is not None and member_id != principal.member_id:
            return {"items": [], "next_cursor": None}
        member_id = principal.member_id
    elif principal.role == Role.FRONT_DESK:
        if member_id is not None:
            await may_see_member(request, principal, member_id)
        else:
            site_ids = principal.sites
    try:
        found, next_cursor = await service_of(request).bookings.find(
            member_id=member_id,
            site_ids=site_ids,
            statuses=[status.value] if status else None,
            first=parse_moment(first, "from"),
            last=parse_moment(last, "to"),
            limit=limit,
            cursor=cursor,
        )
    except BadCursor as exc:
        raise InvalidInput(str(exc), field="cursor") from None
    return {"items": [view(b, v) for b, v in found], "next_cursor": next_cursor}


@router.post("/bookings/{booking_id}/cancel")
async def cancel(
    booking_id: str, request: Request, response: Response, principal: CurrentPrincipal, body: CancelIn | None = None
) -> Any:
    body = body or CancelIn()
    service = service_of(request)
    booking, _ = await refused(service.get(booking_id))
    await may_see(request, principal, booking)
    if body.override and principal.role not in (Role.ADMIN, Role.FRONT_DESK):
        raise Forbidden("only staff may override the cancellation rules", field="override")
    cancelled, version = await refused(service.cancel(booking_id, actor_of(principal), staff_override=body.override))
    response.headers["ETag"] = f'"{version}"'
    return view(cancelled, version)


@router.post("/bookings/{booking_id}/reschedule")
async def reschedule(
    booking_id: str,
    body: RescheduleIn,
    request: Request,
    response: Response,
    principal: CurrentPrincipal,
    idempotency_key: Annotated[str | None, Header()] = None,
    prefer: Annotated[str | None, Header()] = None,
) -> Any:
    """The new session is booked first (a new booking, `replaces` the old); the old one is released
    once the new one is confirmed."""
    service = service_of(request)
    booking, _ = await refused(service.get(booking_id))
    await may_see(request, principal, booking)
    new_id = command_id(f"bookings.reschedule:{principal.subject}:{booking_id}", idempotency_key)
    moved, version = await refused(service.reschedule(booking_id, body.starts_at, actor_of(principal), new_id))
    return await answer(request, response, Outcome(moved, version), prefer)


@router.post("/bookings/{booking_id}/check-in")
async def check_in(booking_id: str, request: Request, response: Response, principal: Staff) -> Any:
    service = service_of(request)
    booking, _ = await refused(service.get(booking_id))
    await may_see(request, principal, booking)
    checked, version = await refused(service.check_in(booking_id, actor_of(principal)))
    response.headers["ETag"] = f'"{version}"'
    return view(checked, version)


@router.get("/sites/{site_id}/day")
async def site_day(
    site_id: str, request: Request, principal: Staff, day: Annotated[str | None, Query(alias="date")] = None
) -> dict[str, Any]:
    """Every booking at the site on a local day, by hour, with the member and the state."""
    if not principal.may_act_at_site(site_id):
        raise Forbidden(f"you are not front desk at {site_id}")
    service = service_of(request)
    zone_name = await service.projections.sites.time_zone(site_id) or "Africa/Casablanca"
    zone = ZoneInfo(zone_name)
    local = parse_day(day, "date") or datetime.now(zone).date()
    first = datetime.combine(local, time(0), zone)
    last = datetime.combine(local + timedelta(days=1), time(0), zone)
    found: list[Booking] = []
    cursor: str | None = None
    while True:
        page, cursor = await service.bookings.find(site_ids=[site_id], first=first, last=last, limit=100, cursor=cursor)
        found += [b for b, _ in page]
        if cursor is None:
            break
    names = await service.projections.members.names({b.member_id for b in found})
    hours: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for booking in found:
        start = booking.starts_at.astimezone(zone)
        hours[f"{start:%H}:00"].append(
            {
                "booking_id": booking.booking_id,
                "offering_id": booking.offering_id,
                "title": booking.offering_title,
                "starts_at": start.isoformat(),
                "ends_at": booking.ends_at.astimezone(zone).isoformat(),
                "member_id": booking.member_id,
                "member_name": names.get(booking.member_id),
                "person_id": booking.person_id,
                "party_size": booking.party_size,
                "status": booking.status.value,
                "space_id": booking.space_id,
            }
        )
    return {
        "site_id": site_id,
        "date": local.isoformat(),
        "time_zone": zone_name,
        "hours": [{"hour": hour, "bookings": hours[hour]} for hour in sorted(hours)],
        "total": len(found),
    }


@router.get("/members/{member_id}/entitlements")
async def entitlements(member_id: str, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    await may_see_member(request, principal, member_id)
    held = await service_of(request).ledger.of_member(member_id)
    items = [
        {
            "entitlement_id": e.entitlement_id,
            "member_id": e.member_id,
            "category": e.category,
            "period_start": e.period_start.isoformat(),
            "period_end": e.period_end.isoformat(),
            "allowance": e.allowance,
            "used": e.used,
            "remaining": e.remaining,
        }
        for e in held
    ]
    return {"items": items, "next_cursor": None}


@router.get("/members/{member_id}/history")
async def history(
    member_id: str,
    request: Request,
    principal: CurrentPrincipal,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
) -> dict[str, Any]:
    """Every booking of the organisation, newest session first, whatever its state."""
    await may_see_member(request, principal, member_id)
    try:
        found, next_cursor = await service_of(request).bookings.find(
            member_id=member_id, limit=limit, cursor=cursor, newest_first=True
        )
    except BadCursor as exc:
        raise InvalidInput(str(exc), field="cursor") from None
    return {"items": [view(b, v) for b, v in found], "next_cursor": next_cursor}


def feeds_of(request: Request) -> CalendarFeeds:
    feeds: CalendarFeeds = request.app.state.calendar_feeds
    return feeds


@router.get("/members/{member_id}/calendar-feed")
async def calendar_feed(member_id: str, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    """The secret URL of the organisation's iCalendar feed (whoever has it can read the feed)."""
    await may_see_member(request, principal, member_id)
    token = await feeds_of(request).token_of(member_id, datetime.now(UTC))
    path = f"/v1/calendar/{token}.ics"
    return {"url": str(request.base_url).rstrip("/") + path, "path": path}


@router.get("/calendar/{feed}", response_class=PlainTextResponse)
async def calendar(feed: str, request: Request) -> PlainTextResponse:
    """RFC 5545 feed; no bearer token: the URL's secret is the key."""
    if not feed.endswith(".ics"):
        raise NotFound("there is no such calendar")
    member_id = await feeds_of(request).member_of(feed.removesuffix(".ics"))
    if member_id is None:
        raise NotFound("there is no such calendar")
    service = service_of(request)
    since = datetime.now(UTC) - timedelta(days=90)
    found, _ = await service.bookings.find(member_id=member_id, first=since, limit=500)
    shown = [b for b, _ in found if b.status != BookingStatus.REJECTED]
    entries = [
        ical.CalendarEntry(
            uid=f"{b.booking_id}@parkgrid",
            summary=str(b.offering_title.get("fr") or b.offering_title.get("en")),
            starts_at=b.starts_at,
            ends_at=b.ends_at,
            time_zone=b.time_zone,
            status=status,
            sequence=0,
            location=await service.projections.sites.name(b.site_id) or ("En ligne" if b.site_id is None else None),
            description=str(b.offering_title.get("en", "")),
        )
        for b, status in zip(shown, ical.statuses(b.status.value for b in shown), strict=True)
    ]
    names = await service.projections.members.names({member_id})
    text = ical.render(f"ParkGrid — {names.get(member_id, member_id)}", entries, datetime.now(UTC))
    return PlainTextResponse(text, media_type="text/calendar; charset=utf-8")


@router.get("/waitlist")
async def waitlist(
    request: Request,
    principal: CurrentPrincipal,
    member_id: str | None = None,
    offering_id: str | None = None,
) -> dict[str, Any]:
    if principal.role == Role.MEMBER:
        if member_id is not None and member_id != principal.member_id:
            return {"items": [], "next_cursor": None}
        member_id = principal.member_id
    elif principal.role == Role.FRONT_DESK and member_id is not None:
        await may_see_member(request, principal, member_id)
    elif principal.role == Role.FRONT_DESK and offering_id is None:
        raise InvalidInput("front desk: give member_id or offering_id", field="member_id")
    elif principal.role == Role.FRONT_DESK and offering_id is not None:
        # Who waits for another site's offering is that site's desk's business.
        try:
            offering, _ = await service_of(request).offering(offering_id)
        except BookingRefused:
            raise NotFound(f"there is no offering {offering_id}") from None
        if offering.site_id is not None and not principal.may_act_at_site(offering.site_id):
            raise Forbidden(f"offering {offering_id} is at {offering.site_id}, not at one of your sites")
    docs = await service_of(request).waitlist.find(member_id, offering_id)
    return {"items": [entry_view(d) for d in docs], "next_cursor": None}
