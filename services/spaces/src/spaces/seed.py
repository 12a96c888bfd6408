"""The demo network: the eight sites of DESIGN.md and their spaces.

Written through the service layer, so each site and space is published (the catalogue
projects sites from `spaces.site`) by the relay of the running service. Idempotent:
what exists already is left as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from parkgrid.contracts.common import SpaceKind, WeeklyWindow
from parkgrid.contracts.spaces import SiteSnapshot, SpaceSnapshot
from parkgrid.settings import KitSettings
from parkgrid.store import connect
from spaces.adapters.stores import SpacesStore
from spaces.service_layer.handlers import AlreadyRegistered, Inventory

OPENING_HOURS = [WeeklyWindow(weekday=d, opens="08:30", closes="18:30") for d in range(1, 6)] + [
    WeeklyWindow(weekday=6, opens="09:00", closes="13:00")
]

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


def spaces_of(site_id: str, size: str) -> list[dict[str, Any]]:
    """A realistic mix: meeting rooms of 4 to 12 seats, offices, desks, a hot-desk area, a hall."""
    short = site_id.removeprefix("site-")
    rooms: list[dict[str, Any]] = [
        {"name": "Salle Atlas", "kind": SpaceKind.MEETING_ROOM, "capacity": 4, "features": ["screen"]},
        {"name": "Salle Argane", "kind": SpaceKind.MEETING_ROOM, "capacity": 8, "features": ["screen", "video"]},
        {"name": "Espace coworking", "kind": SpaceKind.HOT_DESK_AREA, "capacity": 30 if size != "small" else 16},
        {"name": "Bureau 101", "kind": SpaceKind.PRIVATE_OFFICE, "capacity": 4},
        {"name": "Bureau 102", "kind": SpaceKind.PRIVATE_OFFICE, "capacity": 6},
        {"name": "Poste dédié 1", "kind": SpaceKind.DEDICATED_DESK, "capacity": 1},
        {"name": "Poste dédié 2", "kind": SpaceKind.DEDICATED_DESK, "capacity": 1},
    ]
    if size in ("medium", "large"):
        rooms += [
            {"name": "Salle Toubkal", "kind": SpaceKind.MEETING_ROOM, "capacity": 12, "features": ["screen", "video"]},
            {"name": "Bureau 201", "kind": SpaceKind.PRIVATE_OFFICE, "capacity": 8},
        ]
    if size == "large":
        rooms += [
            {"name": "Salle Oasis", "kind": SpaceKind.MEETING_ROOM, "capacity": 6, "features": ["screen", "video"]},
            {
                "name": "Auditorium",
                "kind": SpaceKind.EVENT_HALL,
                "capacity": 120,
                "features": ["screen", "video", "sound", "accessibility"],
                "buffer_minutes": 60,
            },
        ]
    out = []
    for number, room in enumerate(rooms, start=1):
        kind = room["kind"]
        buffer = room.pop("buffer_minutes", 15 if kind == SpaceKind.MEETING_ROOM else 0)
        floor = "0" if kind in (SpaceKind.HOT_DESK_AREA, SpaceKind.EVENT_HALL) else str(1 + number % 2)
        features = room.pop("features", [])
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
                SiteSnapshot(
                    site_id=site_id,
                    name=name,
                    city=city,
                    country="MA",
                    time_zone="Africa/Casablanca",
                    opening_hours=OPENING_HOURS,
                )
            )
            sites += 1
        except AlreadyRegistered:
            pass
        for space in spaces_of(site_id, size):
            try:
                await inventory.add_space(SpaceSnapshot.model_validate(space))
                spaces += 1
            except AlreadyRegistered:
                pass
    return sites, spaces


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
