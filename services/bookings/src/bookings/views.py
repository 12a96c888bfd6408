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
from bookings.adapters.feeds import FeedFacts
from bookings.adapters.rooms import Rooms
from bookings.domain import calendar as ical
from bookings.domain.booking import Booking, InvalidBooking
from bookings.domain.rooms import some_room_free
from bookings.domain.slots import MAX_RANGE_DAYS, Session, SiteCalendar, session_key, sessions_begun, sessions_between
from bookings.service_layer.service import BookingService
from parkgrid.contracts.bookings import BookingStatus
from parkgrid.contracts.catalogue import OfferingSnapshot, OfferingStatus
from parkgrid.refusals import Refused
from parkgrid.store import Document

CALENDAR_PAST = timedelta(days=7)
"""A feed starts this long before now (upcoming first: what is next matters, not the oldest)."""
CALENDAR_SIZE = 500


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


async def with_a_room(
    rooms: Rooms, offering: OfferingSnapshot, sessions: list[Session], site: Document | None
) -> list[Session]:
    """The sessions at which some room of the offering's site that meets its requirement is free.

    Spaces' rule on spaces' facts as projected here (`domain.rooms`): what is offered is what
    spaces would confirm as far as bookings knows, seconds behind at worst; the saga stays the
    guard (a room taken meanwhile still ends `no_space`). `site`: the site as projected, whose
    buffers by kind apply to its rooms that set none."""
    requirement = offering.space_requirement
    if requirement is None or offering.site_id is None or not sessions:
        return sessions
    matching = await rooms.spaces.meeting(offering.site_id, requirement, (site or {}).get("buffers"))
    held = await rooms.holds.holding([r.space_id for r in matching], sessions[0].starts_at, sessions[-1].ends_at)
    return [s for s in sessions if some_room_free(matching, held, s.starts_at, s.ends_at)]


async def slots(
    service: BookingService,
    offering_id: str,
    first: date | None,
    last: date | None,
    rooms: Rooms | None = None,
    *,
    walk_in: bool = False,
    begun: bool = False,
) -> dict[str, Any]:
    """Bookable sessions of [first, last] (local days; a week from today by default) with the seats left;
    for the front desk (`walk_in`) also those within the offering's notice, as it may book them;
    with `begun`, instead, the sessions it may record as visits (begun within `VISIT_WITHIN`).

    `first` and `last` are `Day`s (or `Instant`s: their dates), so a week past either is still a date.
    A room-backed offering (with `rooms`) shows only sessions at which a matching room is free."""
    offering, zone = await known_offering(service, offering_id)
    start = day_of(first) or service.clock().astimezone(ZoneInfo(zone)).date()
    end = day_of(last) or start + timedelta(days=7)
    items: list[dict[str, Any]] = []
    if offering.status == OfferingStatus.PUBLISHED:
        if end < start:
            raise InvalidBooking("`to` is before `from`", field="to")
        if (end - start).days > MAX_RANGE_DAYS:
            raise InvalidBooking(f"ask for at most {MAX_RANGE_DAYS} days at a time", field="to")
        now = service.clock()
        if begun:
            sessions = sessions_begun(offering, zone, start, end, now)
        else:
            sessions = sessions_between(offering, zone, start, end, now, walk_in=walk_in)
        site = await service.projections.sites.get(offering.site_id) if offering.site_id else None
        if site is not None:  # the site's calendar applies to every offering it runs
            sessions = SiteCalendar.of(site).hosts(sessions)
        if rooms is not None:
            sessions = await with_a_room(rooms, offering, sessions, site)
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
                "released_at": booking.released_at.isoformat() if booking.released_at else None,
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


async def calendar(
    service: BookingService, rooms: Rooms, community: FeedFacts, member_id: str, person_id: str | None = None
) -> str:
    """The organisation's (or one person's) calendar as RFC 5545: bookings (rejected ones left out),
    community event registrations and residencies (all-day), from `CALENDAR_PAST` ago, soonest
    first, at most `CALENDAR_SIZE` entries."""
    now = service.clock()
    since = now - CALENDAR_PAST
    entries = [
        *await booking_entries(service, member_id, person_id, since),
        *await registration_entries(service, community, member_id, person_id, since),
        *await residency_entries(service, rooms, member_id, since),
    ]
    names = await service.projections.members.names({member_id})
    name = names.get(member_id, member_id)
    if person_id is not None:
        name = f"{name} ({person_id})"
    return ical.render(f"ParkGrid — {name}", ical.soonest_first(entries, CALENDAR_SIZE), now)


async def booking_entries(
    service: BookingService, member_id: str, person_id: str | None, since: datetime
) -> list[ical.CalendarEntry]:
    within = {"person_id": person_id} if person_id is not None else None
    found, _ = await service.bookings.find(member_id=member_id, first=since, limit=CALENDAR_SIZE, within=within)
    shown = [(b, v) for b, v in found if b.status != BookingStatus.REJECTED]
    states = ical.statuses(b.status.value for b, _ in shown)
    return [
        ical.CalendarEntry(
            uid=f"{b.booking_id}@parkgrid",
            summary=str(b.offering_title.get("fr") or b.offering_title.get("en")),
            starts_at=b.starts_at,
            ends_at=b.ends_at,
            time_zone=b.time_zone,
            status=status,
            sequence=version,
            location=await service.projections.sites.name(b.site_id) or ("En ligne" if b.site_id is None else None),
            description=str(b.offering_title.get("en", "")),
        )
        for (b, version), status in zip(shown, states, strict=True)
    ]


async def registration_entries(
    service: BookingService, community: FeedFacts, member_id: str, person_id: str | None, since: datetime
) -> list[ical.CalendarEntry]:
    """Registrations to community events, at the event's time as community last published it."""
    registrations = await community.registrations.of(member_id, person_id, since, CALENDAR_SIZE)
    events = await community.events.of({str(r["event_id"]) for r in registrations})
    entries = []
    for registration in registrations:
        event = events.get(str(registration["event_id"]))
        fact = event or registration
        if fact["starts_at"] < since:
            continue
        title = fact["title"]
        site_id = event.get("site_id") if event else None
        entries.append(
            ical.CalendarEntry(
                uid=f"{registration['_id']}@parkgrid",
                summary=str(title.get("fr") or title.get("en")),
                starts_at=fact["starts_at"],
                ends_at=fact["ends_at"],
                time_zone=str(event["time_zone"]) if event else "UTC",
                status=ical.registration_status(str(registration["status"]), str(event["status"]) if event else None),
                # Both versions only grow: their sum grows whenever the registration or its event changes.
                sequence=int(registration["_seq"]) + (int(event["_seq"]) if event else 0),
                location=await service.projections.sites.name(site_id) or (None if event is None else "En ligne"),
                description=str(title.get("en", "")),
            )
        )
    return entries


async def residency_entries(
    service: BookingService, rooms: Rooms, member_id: str, since: datetime
) -> list[ical.CalendarEntry]:
    """Residencies of the organisation as all-day events from their first to their last day."""
    entries = []
    for residency in await rooms.holds.residencies_of(member_id, since.date(), CALENDAR_SIZE):
        first, last = date.fromisoformat(residency["starts_on"]), date.fromisoformat(residency["ends_on"])
        space = await rooms.spaces.name(str(residency["space_id"])) or str(residency["space_id"])
        site = await service.projections.sites.name(str(residency["site_id"]))
        entries.append(
            ical.CalendarEntry(
                uid=f"{residency['_id']}@parkgrid",
                summary=f"Résidence — {space}",
                starts_at=datetime.combine(first, time(0), UTC),
                ends_at=datetime.combine(last + timedelta(days=1), time(0), UTC),
                time_zone="UTC",
                status="CONFIRMED",
                sequence=int(residency["_seq"]),
                location=site,
                all_day=True,
            )
        )
    return entries
