"""The demo network: the eight sites of DESIGN.md and their spaces.

Written through the service layer, so each site and space is published (the catalogue
projects sites from `spaces.site`) by the relay of the running service. Idempotent:
what exists already is left as it is, but for a seeded space's features (brought to the
vocabulary, `SpaceFeature`, if an older seed declared others) and the rooms' preparation and
cleaning time (a site's defaults by kind, a space's own), brought to this seed's.

Buffers in the demo: meeting rooms keep 15 minutes both sides (the old `buffer_minutes`), but at
Casablanca, whose meeting rooms take the site's default (10 before, 20 after); every Salle Argane
sets its own (5 before, 20 after) and every Auditorium too (30 before, 60 after).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from parkgrid.contracts.common import SpaceKind, WeeklyWindow
from parkgrid.contracts.spaces import SpaceFeature
from parkgrid.settings import KitSettings
from parkgrid.store import connect
from spaces.adapters.stores import SpacesStore
from spaces.domain.sites import Site, Space
from spaces.service_layer.handlers import AlreadyRegistered, Inventory

OPENING_HOURS = [WeeklyWindow(weekday=d, opens="08:30", closes="18:30") for d in range(1, 6)] + [
    WeeklyWindow(weekday=6, opens="09:00", closes="13:00")
]

SITE_BUFFERS: dict[str, dict[str, dict[str, int]]] = {
    "site-casablanca": {SpaceKind.MEETING_ROOM.value: {"before_minutes": 10, "after_minutes": 20}},
}
"""A site's buffers by kind of space, for its spaces that set none of their own."""
BUFFER_FIELDS = ("buffer_minutes", "buffer_before_minutes", "buffer_after_minutes")

# site id, name, city, size: "large" sites have an event hall and more rooms
SITES = [
    ("site-rabat", "Technopark Rabat", "Rabat", "large"),
    ("site-casablanca", "Technopark Casablanca", "Casablanca", "large"),
    ("site-agadir", "Technopark Agadir", "Agadir", "medium"),
    ("site-tanger", "Technopark Tanger", "Tanger", "large"),
    ("site-souss-massa", "Cité de l'innovation Souss-Massa", "Agadir", "medium"),
    ("site-oujda", "Technopark Oujda", "Oujda", "small"),
    ("site-tiznit", "Technopark Tiznit", "Tiznit", "small"),
    ("site-fes", "Technopark Fès", "Fès", "medium"),
]


ROOM = [SpaceFeature.SCREEN, SpaceFeature.WHITEBOARD, SpaceFeature.WIFI]
"""Every meeting room; rooms of 8 seats or more add video conferencing."""
TRAINING_ROOM = [*ROOM, SpaceFeature.PROJECTOR, SpaceFeature.VIDEO_CONFERENCING]
HALL = [
    SpaceFeature.SCREEN,
    SpaceFeature.PROJECTOR,
    SpaceFeature.VIDEO_CONFERENCING,
    SpaceFeature.SOUND_SYSTEM,
    SpaceFeature.ACCESSIBILITY,
    SpaceFeature.WIFI,
]
WORKPLACE = {
    SpaceKind.HOT_DESK_AREA: [SpaceFeature.WIFI, SpaceFeature.LOCKERS],
    SpaceKind.PRIVATE_OFFICE: [SpaceFeature.WIFI],
    SpaceKind.DEDICATED_DESK: [SpaceFeature.WIFI],
}


def _room(name: str, capacity: int, features: list[SpaceFeature] | None = None) -> dict[str, Any]:
    declared = features or ([*ROOM, SpaceFeature.VIDEO_CONFERENCING] if capacity >= 8 else ROOM)
    return {"name": name, "kind": SpaceKind.MEETING_ROOM, "capacity": capacity, "features": declared}


def spaces_of(site_id: str, size: str) -> list[dict[str, Any]]:
    """A realistic mix: meeting rooms of 4 to 12 seats, offices, desks, a hot-desk area, a hall;
    medium and large sites also have a training room of 20. Features from `SpaceFeature` only.

    Ids are numbered in this order: new spaces are appended, so the ids of existing ones stay."""
    short = site_id.removeprefix("site-")
    rooms: list[dict[str, Any]] = [
        _room("Salle Atlas", 4),
        _room("Salle Argane", 8) | {"buffer_before_minutes": 5, "buffer_after_minutes": 20},
        {"name": "Espace coworking", "kind": SpaceKind.HOT_DESK_AREA, "capacity": 30 if size != "small" else 16},
        {"name": "Bureau 101", "kind": SpaceKind.PRIVATE_OFFICE, "capacity": 4},
        {"name": "Bureau 102", "kind": SpaceKind.PRIVATE_OFFICE, "capacity": 6},
        {"name": "Poste dédié 1", "kind": SpaceKind.DEDICATED_DESK, "capacity": 1},
        {"name": "Poste dédié 2", "kind": SpaceKind.DEDICATED_DESK, "capacity": 1},
    ]
    if size in ("medium", "large"):
        rooms += [
            _room("Salle Toubkal", 12),
            {"name": "Bureau 201", "kind": SpaceKind.PRIVATE_OFFICE, "capacity": 8},
        ]
    if size == "large":
        rooms += [
            _room("Salle Oasis", 6),
            {
                "name": "Auditorium",
                "kind": SpaceKind.EVENT_HALL,
                "capacity": 120,
                "features": HALL,
                "buffer_minutes": 60,
                "buffer_before_minutes": 30,
                "buffer_after_minutes": 60,
            },
        ]
    if size in ("medium", "large"):
        rooms.append(_room("Salle Ifrane", 20, TRAINING_ROOM))
    out = []
    for number, room in enumerate(rooms, start=1):
        kind = room["kind"]
        by_kind = kind.value in SITE_BUFFERS.get(site_id, {})
        buffer = room.pop("buffer_minutes", 15 if kind == SpaceKind.MEETING_ROOM and not by_kind else 0)
        floor = "0" if kind in (SpaceKind.HOT_DESK_AREA, SpaceKind.EVENT_HALL) else str(1 + number % 2)
        features = [str(f) for f in room.pop("features", WORKPLACE.get(kind, []))]
        if kind != SpaceKind.DEDICATED_DESK and "accessibility" not in features and floor == "0":
            features = [*features, "accessibility"]
        out.append(
            {
                **room,
                "space_id": f"{short}-{kind.value.replace('_', '-')}-{number}",
                "site_id": site_id,
                "floor": floor,
                "features": features,
                "buffer_minutes": buffer,
            }
        )
    return out


async def seed_into(
    inventory: Inventory, sites_to_seed: Sequence[tuple[str, str, str, str]] = SITES
) -> tuple[int, int]:
    """Create what is missing; returns (sites created, spaces created)."""
    sites = spaces = 0
    for site_id, name, city, size in sites_to_seed:
        try:
            await inventory.register_site(
                Site(
                    site_id=site_id,
                    name=name,
                    city=city,
                    country="MA",
                    time_zone="Africa/Casablanca",
                    opening_hours=OPENING_HOURS,
                    buffers=SITE_BUFFERS.get(site_id, {}),
                )
            )
            sites += 1
        except AlreadyRegistered:
            await _declare_site_buffers(inventory, site_id)
        for space in spaces_of(site_id, size):
            try:
                await inventory.add_space(Space.from_document(space))
                spaces += 1
            except AlreadyRegistered:
                await _declare_features(inventory, space)
    return sites, spaces


async def _declare_site_buffers(inventory: Inventory, site_id: str) -> None:
    """A seeded site keeps its other fields; its buffers by kind become the seed's if they differ."""
    found = await inventory.store.sites.get(site_id)
    wanted = SITE_BUFFERS.get(site_id, {})
    if found is not None and (found.get("buffers") or {}) != wanted:
        await inventory.update_site(site_id, found["version"], {"buffers": wanted})


async def _declare_features(inventory: Inventory, space: dict[str, Any]) -> None:
    """A seeded space keeps its other fields; its features and buffers become the seed's if they differ."""
    found = await inventory.store.spaces.get(space["space_id"])
    if found is None:
        return
    changes: dict[str, Any] = {f: space.get(f) for f in BUFFER_FIELDS if found.get(f) != space.get(f)}
    if sorted(found.get("features", [])) != sorted(space["features"]):
        changes["features"] = space["features"]
    if changes:
        await inventory.update_space(space["space_id"], None, changes)


async def seed() -> str:
    settings = KitSettings(PARKGRID_SERVICE_NAME="spaces")
    client = connect(settings.mongodb_uri, app_name="spaces-seed")
    try:
        store = SpacesStore(client[settings.database])
        await store.ensure_indexes()
        sites, spaces = await seed_into(Inventory(store))
    finally:
        await client.close()
    return f"{sites} sites and {spaces} spaces created ({len(SITES)} sites in the network)"
