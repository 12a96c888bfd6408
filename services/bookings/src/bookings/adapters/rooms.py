"""What bookings knows of spaces' rooms and what holds them, projected from spaces' events.

- `spaces` (from `spaces.space`): each space of each site, read as `domain.rooms.Room` with its
  site's buffers by kind (the kit's `KnownSites`, from `spaces.site`); a space or site published
  before buffers existed has none of the new fields, and reads as no setting;
- `space_reservations` (from `spaces.reservation`): each reservation, confirmed or not, with
  its space and time (only confirmed ones hold their space);
- `residencies` and `residency_stays` (from `spaces.residency`): each residency (member, site,
  days, status: what the calendar feed shows) and each stay of it in one space (a move ends the
  stay in the old space the day before `moved_on` and starts one in the new space), holding
  whole days from midnight UTC as spaces' calendars do (`spaces.domain.model.day_range`).

Every document is kept under the kit's version guard (`Projection`), so a redelivery or a
replay changes nothing and `parkgrid rebuild bookings <name>` drops and refills each. A stay
is keyed `<residency>@<space>` (`@` is never part of an id), with its own guard.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from bookings.domain.rooms import Held, Room
from parkgrid.buffers import LONGEST_BUFFER_MINUTES, buffers_of
from parkgrid.contracts.common import SpaceRequirement
from parkgrid.contracts.spaces import (
    ReservationSnapshot,
    ReservationStatus,
    ResidencyMoved,
    ResidencySnapshot,
    ResidencyStarted,
    SpaceSnapshot,
    SpaceStatus,
)
from parkgrid.envelope import Envelope
from parkgrid.projection import Projection
from parkgrid.store import Database, Document

LONGEST_BUFFER = timedelta(minutes=LONGEST_BUFFER_MINUTES)
"""The largest buffer a space may have (the contract's bound): how far around a range to look."""


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), UTC)


def room_of(doc: Document, site_buffers: Mapping[str, Any] | None) -> Room:
    """The projected space as a room, with `site_buffers` (its site's `buffers` by kind, as projected)."""
    return Room(
        space_id=str(doc["_id"]),
        site_id=str(doc["site_id"]),
        kind=str(doc["kind"]),
        capacity=int(doc["capacity"]),
        features=frozenset(str(f) for f in doc.get("features") or []),
        buffers=buffers_of(doc, site_buffers),
        status=str(doc["status"]),
    )


class KnownSpaces:
    """The spaces of every site (`spaces`)."""

    def __init__(self, db: Database) -> None:
        self.projection = Projection(db["spaces"])

    async def apply(self, envelope: Envelope, space: SpaceSnapshot) -> bool:
        return await self.projection.apply_event(
            envelope,
            {
                "site_id": space.site_id,
                "name": space.name,
                "kind": space.kind.value,
                "capacity": space.capacity,
                "features": list(space.features),
                "buffer_minutes": space.buffer_minutes,
                "buffer_before_minutes": space.buffer_before_minutes,
                "buffer_after_minutes": space.buffer_after_minutes,
                "status": space.status.value,
            },
        )

    async def meeting(
        self, site_id: str, requirement: SpaceRequirement, site_buffers: Mapping[str, Any] | None
    ) -> list[Room]:
        """The rooms of the site that meet the requirement (active, kind, seats, every feature),
        with their buffers (`site_buffers`: the site's defaults by kind, as projected)."""
        found = self.projection.collection.find(
            {"site_id": site_id, "status": SpaceStatus.ACTIVE.value, "_removed": {"$ne": True}}
        )
        rooms = [room_of(doc, site_buffers) for doc in await found.to_list()]
        return [r for r in rooms if r.meets(requirement)]

    async def name(self, space_id: str) -> str | None:
        doc = await self.projection.get(space_id)
        return None if doc is None else str(doc["name"])

    async def ensure_indexes(self) -> None:
        await self.projection.ensure_indexes("site_id")


class SpaceHolds:
    """What holds the spaces: confirmed reservations and residencies' stays."""

    def __init__(self, db: Database) -> None:
        self.reservations = Projection(db["space_reservations"])
        self.residencies = Projection(db["residencies"])
        self.stays = Projection(db["residency_stays"])

    async def on_reservation(self, envelope: Envelope, reservation: ReservationSnapshot) -> bool:
        return await self.reservations.apply_event(
            envelope,
            {
                "site_id": reservation.site_id,
                "space_id": reservation.space_id,
                "starts_at": reservation.time.starts_at.astimezone(UTC),
                "ends_at": reservation.time.ends_at.astimezone(UTC),
                "status": reservation.status.value,
                "member_id": reservation.member_id,
            },
        )

    async def on_residency(self, envelope: Envelope, residency: ResidencySnapshot) -> None:
        """The residency as it stands, and the stays the event changed."""
        await self.residencies.apply_event(
            envelope,
            {
                "member_id": residency.member_id,
                "site_id": residency.site_id,
                "space_id": residency.space_id,
                "starts_on": residency.starts_on.isoformat(),
                "ends_on": residency.ends_on.isoformat(),
                "last": midnight(residency.ends_on + timedelta(days=1)),
                "status": residency.status.value,
            },
        )
        stay: Document = {
            "residency_id": residency.residency_id,
            "space_id": residency.space_id,
            "site_id": residency.site_id,
            "residency_starts_at": midnight(residency.starts_on),
            "ends_at": midnight(residency.ends_on + timedelta(days=1)),
        }
        if isinstance(residency, ResidencyStarted):
            stay["starts_at"] = midnight(residency.starts_on)
        if isinstance(residency, ResidencyMoved):
            first = residency.moved_on or residency.starts_on
            stay["starts_at"] = midnight(first)
            await self.stays.apply(
                f"{residency.residency_id}@{residency.previous_space_id}",
                envelope.sequence,
                {
                    "residency_id": residency.residency_id,
                    "space_id": residency.previous_space_id,
                    "site_id": residency.previous_site_id or residency.site_id,
                    "residency_starts_at": midnight(residency.starts_on),
                    "ends_at": midnight(first),
                },
            )
        await self.stays.apply(f"{residency.residency_id}@{residency.space_id}", envelope.sequence, stay)

    async def holding(self, space_ids: Sequence[str], first: datetime, last: datetime) -> list[Held]:
        """What holds these spaces anywhere in [first - LONGEST_BUFFER, last + LONGEST_BUFFER)."""
        if not space_ids:
            return []
        low, high = first - LONGEST_BUFFER, last + LONGEST_BUFFER
        reserved = self.reservations.collection.find(
            {
                "space_id": {"$in": list(space_ids)},
                "status": ReservationStatus.CONFIRMED.value,
                "starts_at": {"$lt": high},
                "ends_at": {"$gt": low},
            }
        )
        held = [Held(str(d["space_id"]), d["starts_at"], d["ends_at"]) for d in await reserved.to_list()]
        stays = self.stays.collection.find({"space_id": {"$in": list(space_ids)}, "ends_at": {"$gt": low}})
        for doc in await stays.to_list():
            starts_at = doc.get("starts_at") or doc["residency_starts_at"]
            if starts_at < doc["ends_at"] and starts_at < high:
                held.append(Held(str(doc["space_id"]), starts_at, doc["ends_at"]))
        return held

    async def residencies_of(self, member_id: str, since: date, limit: int) -> list[Document]:
        """The member's residencies not over before `since`, soonest first."""
        found = self.residencies.collection.find(
            {"member_id": member_id, "last": {"$gt": midnight(since)}, "_removed": {"$ne": True}}
        )
        return await found.sort([("starts_on", 1), ("_id", 1)]).limit(limit).to_list()

    async def ensure_indexes(self) -> None:
        await self.reservations.ensure_indexes("space_id")
        await self.stays.ensure_indexes("space_id")
        await self.residencies.ensure_indexes("member_id")


class Rooms:
    """Spaces' facts bookings keeps: the spaces, and what holds them."""

    def __init__(self, db: Database) -> None:
        self.spaces = KnownSpaces(db)
        self.holds = SpaceHolds(db)

    async def ensure_indexes(self) -> None:
        await self.spaces.ensure_indexes()
        await self.holds.ensure_indexes()
