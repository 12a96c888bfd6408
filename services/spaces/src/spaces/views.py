"""Read models that are queries: what the routes answer, read straight from the stores.

The write side (service_layer) never needs these shapes; routes only pick the view and
declare its type (`parkgrid.api.spaces`).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from parkgrid.contracts.common import SpaceKind
from parkgrid.known import KnownMembers
from parkgrid.store import Document
from spaces.adapters.day_passes import DayPassStore
from spaces.adapters.stores import SpacesStore
from spaces.adapters.waitlist import ticket_of
from spaces.domain.occupancy import Booked, ResidencyFacts, turnover, utilisation
from spaces.domain.sites import Site, Space
from spaces.domain.stays import stay_on, stays_of
from spaces.domain.waitlist import position_of
from spaces.service_layer.waitlist import Waitlist


def public(doc: Document) -> dict[str, Any]:
    """A stored aggregate without what only the store and its outbox relay use."""
    return {k: v for k, v in doc.items() if not k.startswith("outbox") and k != "_id"}


def site_body(site: Site, version: int) -> dict[str, Any]:
    return {**site.to_document(), "version": version}


def space_body(space: Space, version: int) -> dict[str, Any]:
    return {**space.to_document(), "version": version}


def reservation_body(doc: Document, zone: str | None = None) -> dict[str, Any]:
    """The reservation, its instants as ISO strings, and read on its site's wall clock (`local_time`)."""
    body = public(doc)
    starts, ends = doc["time"]["starts_at"], doc["time"]["ends_at"]
    if isinstance(starts, datetime) and isinstance(ends, datetime):
        body["time"] = {"starts_at": starts.isoformat(), "ends_at": ends.isoformat()}
        if zone:
            tz = ZoneInfo(zone)
            body["local_time"] = {
                "starts_at": starts.astimezone(tz).isoformat(),
                "ends_at": ends.astimezone(tz).isoformat(),
                "time_zone": zone,
            }
    return body


async def residency_body(members: KnownMembers, doc: Document) -> dict[str, Any]:
    member = await members.get(doc["member_id"])
    return {**public(doc), "member_name": member["name"] if member else None}


def entry_body(doc: Document, position: int | None = None) -> dict[str, Any]:
    """A waitlist entry (its ticket is internal) at `position` in its line."""
    body = {k: v for k, v in public(doc).items() if k != "ticket"}
    body["position"] = position
    return body


async def placed(waitlist: Waitlist, doc: Document) -> dict[str, Any]:
    """The entry with its place in its line now."""
    line = await waitlist.waitlist.line(doc["site_id"], doc["seats"])
    return entry_body(doc, position_of(doc["entry_id"], [ticket_of(d) for d in line]))


async def site_waitlist(waitlist: Waitlist, members: KnownMembers, site_id: str) -> dict[str, Any]:
    """Every open entry of the site, line by line (office size), in order, with the member's name."""
    docs = await waitlist.line_of_site(site_id)
    names = await members.names({d["member_id"] for d in docs})
    return {
        "items": [{**entry_body(d, d["position"]), "member_name": names.get(d["member_id"])} for d in docs],
        "next_cursor": None,
    }


def _buffers_body(space: Space, site: Site) -> dict[str, int]:
    """The preparation and cleaning kept around the space's reservations (none on a shared area)."""
    if space.shares_places:
        return {"buffer_before_minutes": 0, "buffer_after_minutes": 0}
    buffers = space.buffers_at(site)
    return {"buffer_before_minutes": buffers.before, "buffer_after_minutes": buffers.after}


async def occupancy_day(store: SpacesStore, members: KnownMembers, site: Site, day: date) -> dict[str, Any]:
    """Every space of the site across a local day: free, reserved (and when), or whose residency."""
    tz = ZoneInfo(site.time_zone)
    day_start = datetime.combine(day, time(0), tz)
    day_end = datetime.combine(day + timedelta(days=1), time(0), tz)
    reservations = await store.reservations_between(site.site_id, day_start, day_end)
    by_space: dict[str, list[dict[str, Any]]] = {}
    for doc in sorted(reservations, key=lambda d: d["time"]["starts_at"]):
        by_space.setdefault(doc["space_id"], []).append(
            {
                "reservation_id": doc["reservation_id"],
                "starts_at": doc["time"]["starts_at"].astimezone(tz).isoformat(),
                "ends_at": doc["time"]["ends_at"].astimezone(tz).isoformat(),
                "requested_by": doc["requested_by"],
                "reference_id": doc["reference_id"],
                "member_id": doc.get("member_id"),
            }
        )
    resident_docs = await store.residencies_at(site.site_id, day, day)
    names = await members.names({doc["member_id"] for doc in resident_docs})
    residents = {}
    for doc in resident_docs:
        stay = stay_on(stays_of(doc), day)
        if stay is not None and stay.site_id == site.site_id:
            residents[stay.space_id] = {
                "residency_id": doc["residency_id"],
                "member_id": doc["member_id"],
                "member_name": names.get(doc["member_id"]),
            }

    def state_of(space_id: str) -> str:
        if space_id in residents:
            return "resident"
        return "reserved" if by_space.get(space_id) else "free"

    return {
        "site_id": site.site_id,
        "date": day.isoformat(),
        "time_zone": site.time_zone,
        "closure": (c.model_dump(mode="json") if (c := site.closure_on(day)) else None),
        "spaces": [
            {
                "space_id": space.space_id,
                "name": space.name,
                "kind": space.kind.value,
                "capacity": space.capacity,
                "status": space.status.value,
                "state": state_of(space.space_id),
                "residency": residents.get(space.space_id),
                "reservations": by_space.get(space.space_id, []),
                **_buffers_body(space, site),
            }
            for space, _ in await store.spaces_of(site.site_id)
        ],
    }


async def site_report(store: SpacesStore, passes: DayPassStore, site: Site, first: date, last: date) -> dict[str, Any]:
    """Turnover of residencies and utilisation by kind over the local days [first, last] (checked by the caller)."""
    residencies = [
        ResidencyFacts(
            residency_id=doc["residency_id"],
            member_id=doc["member_id"],
            starts_on=date.fromisoformat(doc["starts_on"]),
            ends_on=date.fromisoformat(doc["ends_on"]),
            stays=stays_of(doc),
        )
        for doc in await store.residencies_at(site.site_id, first, last)
    ]
    tz = ZoneInfo(site.time_zone)
    reservations = await store.reservations_between(
        site.site_id, datetime.combine(first, time(0), tz), datetime.combine(last + timedelta(days=1), time(0), tz)
    )
    booked = [Booked(d["space_id"], d["time"]["starts_at"], d["time"]["ends_at"]) for d in reservations]
    spaces = [s for s, _ in await store.spaces_of(site.site_id)]
    areas = [s.space_id for s in spaces if s.kind == SpaceKind.HOT_DESK_AREA]
    taken = await passes.taken_between(areas, first, last)
    return {
        "site_id": site.site_id,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "time_zone": site.time_zone,
        "open_days": sum(1 for n in range((last - first).days + 1) if site.open_hours_on(first + timedelta(n)) > 0),
        "residencies": turnover(site.site_id, residencies, first, last),
        "utilisation": utilisation(site, spaces, first, last, residencies=residencies, booked=booked, passes=taken),
    }
