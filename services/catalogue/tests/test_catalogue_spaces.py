"""What an offering may ask of a space, against the real broker and store: features from spaces'
one vocabulary, and publishing refused while no active space of the site can host it (the
spaces projection fed by `spaces.space` events, rebuilt from the topic like the others)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
from catalogue_fixtures import (
    app,
    auth,
    client,
    part,
    publish_spaces,
    register_sites,
    settings,
    space_event,
    wait_for_sites,
)
from catalogue_samples import details
from fastapi import FastAPI

from catalogue.adapters.spaces import KnownSpaces
from catalogue.bootstrap import build
from catalogue.settings import CatalogueSettings
from parkgrid.auth import Role
from parkgrid.events import registry
from parkgrid.rebuild import rebuild
from parkgrid.settings import KitSettings
from parkgrid.store import Document

__all__ = ["app", "client", "settings"]

HALL = {"kind": "meeting_room", "seats": 20, "features": ["projector", "whiteboard"]}
WHY = "no active meeting room at Technopark Rabat has 20 seats with projector, whiteboard"


def body(**changes: Any) -> dict[str, Any]:
    return details(**{"seats_per_session": 20, "space_requirement": HALL, **changes}).model_dump(mode="json")


async def projected(spaces: KnownSpaces, want: dict[str, str], within: float = 30.0) -> list[Document]:
    """Until each space is projected with the status wanted; returns the site's documents."""
    deadline = time.monotonic() + within
    while True:
        docs = await spaces.projection.collection.find({"site_id": "site-rabat"}).sort("_id", 1).to_list()
        if {d["_id"]: d["status"] for d in docs} == want:
            return docs
        assert time.monotonic() < deadline, f"the spaces projection did not catch up: {docs}"
        await asyncio.sleep(0.1)


async def test_a_room_offering_is_published_only_while_an_active_room_of_its_site_can_host_it(
    app: FastAPI, client: httpx.AsyncClient, settings: KitSettings
) -> None:
    admin = auth(settings, Role.ADMIN)
    await register_sites(settings, ["site-rabat"])
    await wait_for_sites(app, ["site-rabat"])
    spaces = part(app, KnownSpaces)
    whiteboard, projector = ["screen", "whiteboard"], ["projector", "whiteboard", "wifi"]
    await publish_spaces(
        settings,
        [
            space_event("rabat-small", "site-rabat", "meeting_room", 8, whiteboard),
            space_event("rabat-large", "site-rabat", "meeting_room", 20, projector),
            space_event("rabat-large", "site-rabat", "meeting_room", 20, projector, what="retired", sequence=2),
            space_event("rabat-hall", "site-rabat", "event_hall", 120, projector),
        ],
    )
    await projected(spaces, {"rabat-small": "active", "rabat-large": "retired", "rabat-hall": "active"})

    # a feature outside spaces' vocabulary is bad input, named
    video = await client.post(
        "/v1/offerings", json=body(space_requirement={**HALL, "features": ["projector", "video"]}), headers=admin
    )
    assert video.status_code == 422, video.text
    assert [e["field"] for e in video.json()["errors"]] == ["space_requirement.features.1"]

    created = await client.post("/v1/offerings", json=body(), headers=admin)
    assert created.status_code == 201, created.text
    location = created.headers["Location"]
    refused = await client.post(f"{location}/publish", headers=admin)
    assert refused.status_code == 409, refused.text
    assert refused.json()["detail"] == WHY

    # the room is back (a later event): now it can be published
    await publish_spaces(
        settings, [space_event("rabat-large", "site-rabat", "meeting_room", 20, projector, what="updated", sequence=3)]
    )
    docs = await projected(spaces, {"rabat-small": "active", "rabat-large": "active", "rabat-hall": "active"})
    published = await client.post(f"{location}/publish", headers=admin)
    assert published.status_code == 200, published.text

    # `parkgrid rebuild catalogue spaces` drops the projection and replays the topic: same documents
    wired = build(CatalogueSettings.of(settings))
    try:
        spec = wired.runtime.projections["spaces"]
        await rebuild(spec, bootstrap_servers=settings.kafka_bootstrap_servers, registry=registry, settings=settings)
    finally:
        await wired.runtime.mongo.close()
    assert await spaces.projection.collection.find({"site_id": "site-rabat"}).sort("_id", 1).to_list() == docs
