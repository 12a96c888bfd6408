"""Bookings' read side: the queries behind the lists, slots, a site's day and the calendar feed.

Reads go straight to the stores and projections (no aggregate is loaded to answer a list)
and answer plain dicts shaped as `parkgrid.api.bookings`' read models, which the routes
declare. Nothing here writes.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bookings.adapters.bookings import view
from bookings.domain import calendar as ical
from bookings.domain.booking import Booking, InvalidBooking
from bookings.domain.slots import MAX_RANGE_DAYS, SiteCalendar, session_key, sessions_between
from bookings.service_layer.service import BookingService
from parkgrid.contracts.bookings import BookingStatus
from parkgrid.contracts.catalogue import OfferingSnapshot, OfferingStatus
from parkgrid.refusals import Refused

CALENDAR_PAST = timedelta(days=90)


async def known_offering(service: BookingService, offering_id: str) -> tuple[OfferingSnapshot, str]:
    """The offering and its zone, or 404 (a read names a path, not an input)."""
    try:
        return await service.offering(offering_id)
    except InvalidBooking:
        raise Refused.not_found(f"there is no offering {offering_id}") from None


def day_of(value: date | None) -> date | None:
    """The local day of a `Day`, or of an `Instant` as the client wrote it (its own offset's date)."""
    return value.date() if isinstance(value, datetime) else value


def moment(value: date | None) -> datetime | None:
    """The instant of an `Instant`, or of a `Day`'s midnight in UTC."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.combine(value, time(0), UTC)


async def slots(service: BookingService, offering_id: str, first: date | None, last: date | None) -> dict[str, Any]:
    """Bookable sessions of [first, last] (local days; a week from today by default) with the seats left.

    `first` and `last` are `Day`s (or `Instant`s: their dates), so a week past either is still a date."""
    offering, zone = await known_offering(service, offering_id)
    start = day_of(first) or service.clock().astimezone(ZoneInfo(zone)).date()
    end = day_of(last) or start + timedelta(days=7)
    items: list[dict[str, Any]] = []
    if offering.status == OfferingStatus.PUBLISHED:
        if end < start:
            raise InvalidBooking("`to` is before `from`", field="to")
        if (end - start).days > MAX_RANGE_DAYS:
            raise InvalidBooking(f"ask for at most {MAX_RANGE_DAYS} days at a time", field="to")
        sessions = sessions_between(offering, zone, start, end, service.clock())
        site = await service.projections.sites.get(offering.site_id) if offering.site_id else None
        if site is not None:  # the site's calendar applies to every offering it runs
            sessions = SiteCalendar.of(site).hosts(sessions)
        if sessions:
            taken = await service.seats.sessions.taken(offering_id, sessions[0].starts_at, sessions[-1].starts_at)
            seats = offering.seats_per_session
            items = [
                {
                    "starts_at": s.starts_at.isoformat(),
                    "ends_at": s.ends_at.isoformat(),
                    "seats": seats,
                    "remaining": max(0, seats - taken.get(session_key(offering_id, s.starts_at), 0)),
                }
                for s in sessions
            ]
    return {"items": items, "next_cursor": None, "time_zone": zone, "offering_id": offering.offering_id}


async def booking_page(service: BookingService, **query: Any) -> dict[str, Any]:
    """One page of bookings (`query`: what `Bookings.find` takes) and the opaque cursor of the next.

    A cursor this list did not give is a 422 on `cursor` (`parkgrid.paging.BadCursor`).
    """
    found, next_cursor = await service.bookings.find(**query)
    return {"items": [view(b, v) for b, v in found], "next_cursor": next_cursor}


async def site_day(service: BookingService, site_id: str, day: date | None, default_zone: str) -> dict[str, Any]:
    """Every booking at the site on a local day (today by default), by hour, with the member and the state."""
    zone_name = await service.projections.sites.time_zone(site_id) or default_zone
    zone = ZoneInfo(zone_name)
    local = day or datetime.now(zone).date()
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


async def entitlements(service: BookingService, member_id: str) -> dict[str, Any]:
    held = await service.ledger.of_member(member_id)
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


async def calendar(service: BookingService, member_id: str) -> str:
    """The organisation's bookings since `CALENDAR_PAST` ago as an RFC 5545 calendar (rejected ones left out)."""
    since = datetime.now(UTC) - CALENDAR_PAST
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
    return ical.render(f"ParkGrid — {names.get(member_id, member_id)}", entries, datetime.now(UTC))
