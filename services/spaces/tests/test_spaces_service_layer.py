"""Spaces' inventory rules on in-memory aggregate stores: no broker, no store, milliseconds.

`Inventory` writes sites and spaces through the `AggregateStore` port only, so the kit's
`InMemoryAggregateStore` (proven alike to MongoDB's by the kit's contract suite) stands in.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest

from parkgrid.aggregates import InMemoryAggregateStore
from parkgrid.contracts.common import SpaceKind, WeeklyWindow
from parkgrid.contracts.spaces import (
    SiteRegistered,
    SiteUpdated,
    SpaceAdded,
    SpaceRetired,
    SpaceStatus,
)
from parkgrid.events import registry
from parkgrid.refusals import Refusal, Refused
from spaces.domain.sites import Site, Space
from spaces.service_layer.handlers import AlreadyRegistered, Inventory, UnknownSite


def _store(topic: str) -> InMemoryAggregateStore:
    return InMemoryAggregateStore(registry=registry, source="spaces", topic=topic)


@dataclass
class FakeInventoryStore:
    sites: InMemoryAggregateStore = field(default_factory=lambda: _store("spaces.site"))
    spaces: InMemoryAggregateStore = field(default_factory=lambda: _store("spaces.space"))


SITE = Site(
    site_id="site-1",
    name="Technopark Rabat",
    city="Rabat",
    country="MA",
    time_zone="Africa/Casablanca",
    opening_hours=[WeeklyWindow(weekday=d, opens="08:30", closes="18:30") for d in range(1, 6)],
)
ROOM = Space(space_id="room-1", site_id="site-1", name="Room 1", kind=SpaceKind.MEETING_ROOM, capacity=6)


async def inventory_with_room() -> tuple[Inventory, FakeInventoryStore]:
    store = FakeInventoryStore()
    inventory = Inventory(store)
    await inventory.register_site(SITE)
    await inventory.add_space(ROOM)
    return inventory, store


def event_types(outbox: list[dict[str, object]]) -> list[object]:
    return [entry["envelope"]["type"] for entry in outbox]  # type: ignore[index]


async def test_a_site_or_space_id_is_registered_once() -> None:
    inventory, _ = await inventory_with_room()
    with pytest.raises(AlreadyRegistered) as site:
        await inventory.register_site(SITE)
    assert (site.value.kind, site.value.field, site.value.detail) == (
        Refusal.CONFLICT,
        "site_id",
        "there is already a site site-1",
    )
    with pytest.raises(AlreadyRegistered) as space:
        await inventory.add_space(ROOM)
    assert space.value.field == "space_id"


async def test_a_space_needs_its_site() -> None:
    inventory = Inventory(FakeInventoryStore())
    with pytest.raises(UnknownSite) as refused:
        await inventory.add_space(ROOM)
    assert (refused.value.kind, refused.value.detail) == (Refusal.NOT_FOUND, "there is no site site-1")


async def test_an_update_with_a_stale_version_is_refused_and_changes_nothing() -> None:
    inventory, store = await inventory_with_room()
    renamed, version = await inventory.update_site("site-1", 1, {"name": "Rabat Technopark"})
    assert (renamed.name, version) == ("Rabat Technopark", 2)
    with pytest.raises(Refused) as stale:
        await inventory.update_site("site-1", 1, {"name": "Lost update"})
    assert (stale.value.kind, stale.value.detail) == (
        Refusal.STALE,
        "the site changed since you read it; read it again",
    )
    assert (await store.sites.get("site-1") or {})["name"] == "Rabat Technopark"
    assert event_types(await store.sites.outbox("site-1")) == [SiteRegistered.event_type, SiteUpdated.event_type]


async def test_updating_or_retiring_an_unknown_space_is_not_found() -> None:
    inventory, _ = await inventory_with_room()
    with pytest.raises(Refused) as unknown:
        await inventory.update_space("room-9", 1, {"capacity": 8})
    assert unknown.value.kind == Refusal.NOT_FOUND
    with pytest.raises(Refused) as missing:
        await inventory.retire_space("room-9")
    assert (missing.value.kind, missing.value.detail) == (Refusal.NOT_FOUND, "there is no space room-9")


async def test_retiring_is_idempotent_even_when_racing() -> None:
    inventory, store = await inventory_with_room()
    answers = await asyncio.gather(*(inventory.retire_space("room-1") for _ in range(5)))
    assert {(space.status, version) for space, version in answers} == {(SpaceStatus.RETIRED, 2)}
    assert event_types(await store.spaces.outbox("room-1")) == [SpaceAdded.event_type, SpaceRetired.event_type]
