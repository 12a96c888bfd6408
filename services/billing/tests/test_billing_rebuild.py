"""`parkgrid rebuild billing <projection>` over the real broker and store: each of billing's
projections dropped and replayed from offset 0 is what the live consumers made, and replaying
the events that charge (day passes with residencies) charges nothing twice."""

from __future__ import annotations

from billing_fixtures import (
    app,
    booking,
    day_pass,
    envelope,
    eventually,
    member,
    offering,
    part,
    publish_as_others,
    residency,
    sample,
    settings,
)
from fastapi import FastAPI

from billing.adapters.charges import Charges
from billing.bootstrap import build
from billing.settings import BillingSettings
from parkgrid.events import registry
from parkgrid.rebuild import rebuild
from parkgrid.settings import KitSettings
from parkgrid.store import Document

__all__ = ["app", "settings"]

PROJECTIONS = {"offerings": "offering_prices", "spaces": "spaces", "members": "members", "stays": "residencies"}


async def everything(app: FastAPI, collection: str) -> list[Document]:
    """The collection's documents, less the outbox and the relay's lease on it, which the relay
    empties and lets go in its own time."""
    charges = part(app, Charges)
    relays = {field: 0 for field in ("outbox", "outbox_pending", "outbox_lease_owner", "outbox_lease_until")}
    found = charges.collection.database[collection].find({}, relays).sort("_id", 1)
    listed: list[Document] = await found.to_list()
    return listed


async def test_every_projection_rebuilt_from_offset_0_equals_the_live_one(app: FastAPI, settings: KitSettings) -> None:
    space = envelope(
        "parkgrid.spaces.space.added",
        "sp-a",
        1,
        sample("parkgrid.spaces.space.added", space_id="sp-a", site_id="site-rabat", name="Bureau A03"),
    )
    await publish_as_others(
        settings,
        ("catalogue.offering", offering("off-1", 25_000)),
        ("catalogue.offering", offering("off-1", 30_000, sequence=2)),
        ("catalogue.offering", offering("off-free", None)),
        ("spaces.space", space),
        ("community.member", member()),
        ("spaces.residency", residency("started", "res-1", 1, space_id="sp-a")),
        (
            "spaces.residency",
            residency("extended", "res-1", 2, space_id="sp-a", ends_on="2027-09-30", previous_ends_on="2027-03-31"),
        ),
        ("spaces.day_pass", day_pass("dp-1")),
        ("bookings.booking", booking("confirmed", "bk-1", "off-1", sequence=2)),
    )
    charges = part(app, Charges)
    await eventually(lambda: charges.get("day_pass:dp-1"), "the day pass charged")
    await eventually(lambda: charges.get("booking:bk-1"), "the booking charged")

    async def extended() -> bool:
        docs = await everything(app, "residencies")
        return bool(docs) and docs[0]["last_day"] == "2027-09-30"

    await eventually(extended, "the extension applied")
    live = {name: await everything(app, collection) for name, collection in PROJECTIONS.items()}
    assert all(live.values()), live
    charged = await everything(app, "charges")

    wired = build(BillingSettings.of(settings), consumers=True)
    try:
        for name in PROJECTIONS:
            spec = wired.runtime.projections[name]
            await rebuild(
                spec, bootstrap_servers=settings.kafka_bootstrap_servers, registry=registry, settings=settings
            )
    finally:
        await wired.runtime.mongo.close()

    assert {name: await everything(app, collection) for name, collection in PROJECTIONS.items()} == live
    assert await everything(app, "charges") == charged
