"""The catalogue's HTTP API against the real store and broker: lifecycle and its events on
the topic, If-Match, roles, bad input, the outbox surviving a crash, and the seed."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from catalogue_fixtures import (
    app,
    auth,
    client,
    publish_spaces,
    read_topic,
    register_sites,
    settings,
    site_event,
    space_event,
    wait_for_sites,
)
from fastapi import FastAPI

from catalogue.adapters.known import site_lookup
from catalogue.adapters.offerings import Offerings
from catalogue.adapters.spaces import KnownSpaces
from catalogue.bootstrap import build_app
from catalogue.domain.offering import OfferingDetails
from catalogue.seed import seed
from catalogue.seed_data import DEMO_SITES
from catalogue.service_layer.handlers import Catalogue
from parkgrid.auth import Role
from parkgrid.contracts.catalogue import OfferingPublished, OfferingUpdated, OfferingWithdrawn
from parkgrid.envelope import Envelope
from parkgrid.events import IntegrationEvent, registry
from parkgrid.known import KnownSites
from parkgrid.settings import KitSettings
from parkgrid.store import Database, Document

__all__ = ["app", "client", "settings"]

PROBLEM = "application/problem+json"


def body(**changes: Any) -> dict[str, Any]:
    return {
        "site_id": "site-rabat",
        "category": "legal_clinic",
        "title": {"fr": "Clinique juridique", "en": "Legal clinic"},
        "description": {"fr": "Statuts et pacte d'associés", "en": "Articles and shareholders' pact"},
        "provider": {"name": "Maître Bennani", "kind": "expert", "organisation": "Cabinet Bennani"},
        "mode": "in_person",
        "session_minutes": 30,
        "seats_per_session": 1,
        "eligibility": {"member_kinds": ["startup"], "stages": ["incubation"]},
        "price": {"amount_minor": 20000, "currency": "MAD"},
        "availability": [{"weekday": 3, "opens": "14:00", "closes": "17:00"}],
        "closures": [{"first_day": "2026-05-26", "last_day": "2026-05-28", "reason": "Aïd al-Adha"}],
        "space_requirement": {"kind": "meeting_room", "seats": 2},
        **changes,
    }


@pytest.fixture
async def rabat(app: FastAPI, settings: KitSettings) -> None:
    await register_sites(settings, ["site-rabat"])
    await wait_for_sites(app, ["site-rabat"])


async def test_lifecycle_reaches_the_topic_as_the_contract_says(
    client: httpx.AsyncClient, settings: KitSettings, rabat: None
) -> None:
    admin = auth(settings, Role.ADMIN)
    created = await client.post("/v1/offerings", json=body(), headers=admin)
    assert created.status_code == 201, created.text
    location, tag = created.headers["Location"], created.headers["ETag"]
    offering_id = created.json()["id"]
    assert location == f"/v1/offerings/{offering_id}"
    assert created.json()["status"] == "draft"
    draft_change = await client.patch(location, json={"seats_per_session": 2}, headers={**admin, "If-Match": tag})
    assert draft_change.status_code == 200, draft_change.text
    published = await client.post(f"{location}/publish", headers=admin)
    assert published.status_code == 200, published.text
    updated = await client.put(
        location, json=body(session_minutes=45), headers={**admin, "If-Match": published.headers["ETag"]}
    )
    assert updated.status_code == 200, updated.text
    withdrawn = await client.post(f"{location}/withdraw", headers={**admin, "If-Match": updated.headers["ETag"]})
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "withdrawn"
    assert (await client.post(f"{location}/withdraw", headers=admin)).status_code == 409

    envelopes = await read_topic(settings, "catalogue.offering", 3)
    events = [registry.parse(e) for e in envelopes]
    published_types: list[type[IntegrationEvent]] = [OfferingPublished, OfferingUpdated, OfferingWithdrawn]
    assert [type(e) for e in events] == published_types
    assert [e.sequence for e in envelopes] == [3, 4, 5]
    assert {e.subject for e in envelopes} == {offering_id}
    assert all(e.dataschema is not None and e.dataschema.endswith(":v2") and e.source == "catalogue" for e in envelopes)
    first, second, third = (e.model_dump(mode="json") for e in events)
    assert first["seats_per_session"] == 2
    assert first["status"] == "published"
    assert first["price"] == {"amount_minor": 20000, "currency": "MAD"}
    assert first["time_zone"] == "Africa/Casablanca"
    assert second["session_minutes"] == 45
    assert second["seats_per_session"] == 1
    assert third["status"] == "withdrawn"
    assert third["session_minutes"] == 45
    # a withdrawn offering keeps its history and is still there for admins
    again = await client.get(location, headers=admin)
    assert again.status_code == 200
    assert again.json()["status"] == "withdrawn"
    assert again.headers["ETag"] == withdrawn.headers["ETag"]


async def test_if_match_is_required_and_checked(client: httpx.AsyncClient, settings: KitSettings, rabat: None) -> None:
    admin = auth(settings, Role.ADMIN)
    created = await client.post("/v1/offerings", json=body(), headers=admin)
    location, tag = created.headers["Location"], created.headers["ETag"]
    missing = await client.patch(location, json={"seats_per_session": 2}, headers=admin)
    assert missing.status_code == 428
    assert missing.headers["content-type"].startswith(PROBLEM)
    fresh = await client.patch(location, json={"seats_per_session": 2}, headers={**admin, "If-Match": tag})
    assert fresh.status_code == 200
    stale = await client.patch(location, json={"seats_per_session": 3}, headers={**admin, "If-Match": tag})
    assert stale.status_code == 412
    stale_put = await client.put(location, json=body(), headers={**admin, "If-Match": tag})
    assert stale_put.status_code == 412
    stale_publish = await client.post(f"{location}/publish", headers={**admin, "If-Match": tag})
    assert stale_publish.status_code == 412
    assert (await client.get(location, headers=admin)).json()["seats_per_session"] == 2


async def test_only_admins_write_and_members_see_only_published(
    client: httpx.AsyncClient, settings: KitSettings, rabat: None
) -> None:
    admin, member, desk = (auth(settings, r) for r in (Role.ADMIN, Role.MEMBER, Role.FRONT_DESK))
    for headers in (member, desk):
        refused = await client.post("/v1/offerings", json=body(), headers=headers)
        assert refused.status_code == 403
        assert refused.headers["content-type"].startswith(PROBLEM)
    assert (await client.post("/v1/offerings", json=body())).status_code == 401
    created = await client.post("/v1/offerings", json=body(), headers=admin)
    location = created.headers["Location"]
    assert (await client.post(f"{location}/publish", headers=desk)).status_code == 403
    assert (await client.get(location, headers=member)).status_code == 404
    assert (await client.get("/v1/offerings", headers=member)).json()["items"] == []
    assert len((await client.get("/v1/offerings", headers=admin)).json()["items"]) == 1
    await client.post(f"{location}/publish", headers=admin)
    assert (await client.get(location, headers=member)).status_code == 200
    assert [o["id"] for o in (await client.get("/v1/offerings", headers=desk)).json()["items"]] == [
        created.json()["id"]
    ]


BAD_INPUT: list[tuple[dict[str, Any], str]] = [
    ({"site_id": "site-atlantis"}, "site_id"),
    ({"availability": [{"weekday": 1, "opens": "12:00", "closes": "09:00"}]}, "availability.0"),
    ({"price": {"amount_minor": -100, "currency": "MAD"}}, "price.amount_minor"),
    ({"seats_per_session": 0}, "seats_per_session"),
    ({"category": "astrology"}, "category"),
    ({"eligibility": {"member_kinds": [], "stages": ["graduated"]}}, "eligibility.stages.0"),
    ({"description": {"fr": "x" * 5000, "en": "ok"}}, "description.fr"),
    ({"colour": "blue"}, "colour"),
    ({"provider": {"name": "X", "kind": "expert", "shoe_size": 42}}, "provider.shoe_size"),
    ({"credits": -1}, "credits"),
]


async def test_bad_input_is_422_naming_the_field(client: httpx.AsyncClient, settings: KitSettings, rabat: None) -> None:
    for changes, field in BAD_INPUT:
        response = await client.post("/v1/offerings", json=body(**changes), headers=auth(settings, Role.ADMIN))
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith(PROBLEM)
        assert field in [e["field"] for e in response.json()["errors"]], response.json()
    admin = auth(settings, Role.ADMIN)
    assert (await client.get("/v1/offerings", headers=admin)).json()["items"] == []
    created = await client.post("/v1/offerings", json=body(), headers=admin)
    patched = await client.patch(
        created.headers["Location"],
        json={"seats_per_session": 0, "colour": "blue"},
        headers={**admin, "If-Match": created.headers["ETag"]},
    )
    assert patched.status_code == 422
    assert {e["field"] for e in patched.json()["errors"]} == {"seats_per_session", "colour"}
    backwards = await client.get(
        "/v1/offerings", params={"available_from": "2026-06-10", "available_to": "2026-06-01"}, headers=admin
    )
    assert backwards.status_code == 422
    assert backwards.json()["errors"][0]["field"] == "available_to"


async def test_a_description_of_one_megabyte_is_refused(
    client: httpx.AsyncClient, settings: KitSettings, rabat: None
) -> None:
    huge = body(description={"fr": "x" * 1_000_000, "en": "ok"})
    response = await client.post("/v1/offerings", json=huge, headers=auth(settings, Role.ADMIN))
    assert response.status_code == 413
    assert response.headers["content-type"].startswith(PROBLEM)


async def test_an_idempotent_retry_creates_one_offering(
    client: httpx.AsyncClient, settings: KitSettings, rabat: None
) -> None:
    headers = {**auth(settings, Role.ADMIN), "Idempotency-Key": "create-legal-clinic"}
    first = await client.post("/v1/offerings", json=body(), headers=headers)
    second = await client.post("/v1/offerings", json=body(), headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    listed = await client.get("/v1/offerings", headers=auth(settings, Role.ADMIN))
    assert len(listed.json()["items"]) == 1


async def test_an_event_written_before_a_crash_is_published_once_after_restart(
    settings: KitSettings, database: Database, create_topics: Any
) -> None:
    """The store write happens with no relay running (the process 'dies' before publishing);
    the next process's relay publishes it, exactly once in content."""
    offerings, sites = Offerings(database["offerings"]), KnownSites(database["sites"])
    await sites.apply(site_event("site-rabat"), registry.parse(site_event("site-rabat")))  # type: ignore[arg-type]
    before_crash = Catalogue(offerings=offerings, site_facts=site_lookup(sites, KnownSpaces(database["spaces"])))
    _offering, _ = await before_crash.create_offering("o-crash", OfferingDetails.model_validate(body()))
    await before_crash.publish_offering("o-crash")

    async def stored() -> Document:
        doc = await database["offerings"].find_one({"_id": "o-crash"})
        assert doc is not None
        return doc

    assert (await stored())["outbox_pending"] is True

    restarted = build_app(settings)
    async with restarted.router.lifespan_context(restarted):
        envelopes = await read_topic(settings, "catalogue.offering", 1)
        deadline = time.monotonic() + 10
        while (await stored())["outbox_pending"]:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.1)
    assert len(envelopes) == 1
    event = registry.parse(envelopes[0])
    assert isinstance(event, OfferingPublished)
    assert event.offering_id == "o-crash"
    assert envelopes[0].sequence == 2


LARGE_SITES = {"site-rabat", "site-casablanca", "site-tanger"}
SMALL_SITES = {"site-oujda", "site-tiznit"}


def demo_spaces(site_id: str) -> list[Envelope]:
    """The spaces of the spaces seed (issue 23's vocabulary), by the site's size."""
    room, video = ["screen", "whiteboard", "wifi"], ["screen", "whiteboard", "wifi", "video_conferencing"]
    spaces: list[tuple[str, int, list[str]]] = [
        ("meeting_room", 4, room),
        ("meeting_room", 8, video),
        ("hot_desk_area", 16, ["wifi", "lockers"]),
    ]
    if site_id not in SMALL_SITES:
        spaces += [("meeting_room", 12, video), ("meeting_room", 20, ["projector", *video])]
    if site_id in LARGE_SITES:
        hall = ["screen", "projector", "video_conferencing", "sound_system", "accessibility", "wifi"]
        spaces += [("meeting_room", 6, room), ("event_hall", 120, hall)]
    return [space_event(f"{site_id}-{n}", site_id, kind, seats, f) for n, (kind, seats, f) in enumerate(spaces)]


async def test_seed_publishes_the_demo_grid_idempotently(settings: KitSettings, database: Database) -> None:
    await register_sites(settings, list(DEMO_SITES))
    await publish_spaces(settings, [e for site in DEMO_SITES for e in demo_spaces(site)])
    started = time.monotonic()
    first = await seed(settings, site_wait=30)
    print("first seed", time.monotonic() - started)
    started = time.monotonic()
    assert "skipped" not in first, first
    assert "drafts" not in first, first
    count = await database["offerings"].count_documents({"status": "published"})
    assert count == 64
    categories = await database["offerings_search"].distinct("category")
    assert len(categories) == 10
    second = await seed(settings, site_wait=30)
    print("second seed", time.monotonic() - started)
    assert "0 created, 0 published now" in second, second
    assert f"{count} published offerings" in first, first
    envelopes = await read_topic(settings, "catalogue.offering", count)
    assert len(envelopes) == count
    assert all(isinstance(registry.parse(e), OfferingPublished) for e in envelopes)


EDGE_DAYS = ["9999-12-31", "0001-01-01", "1999-12-31", "2200-01-01"]
EDGE_INSTANTS = ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00"]
CONTROL = "Clinique\u0000\u0001"


def closure_on(day: str) -> dict[str, Any]:
    return {"closures": [{"first_day": day, "last_day": day, "reason": "Fermé"}]}


BODY_EDGES: list[tuple[dict[str, Any], str]] = [
    *[(closure_on(day), "closures.0.first_day") for day in EDGE_DAYS],
    *[(closure_on(moment), "closures.0.first_day") for moment in EDGE_INSTANTS],
    ({"title": {"fr": CONTROL, "en": "Legal clinic"}}, "title.fr"),
    ({"title": {"fr": "Clinique", "en": "Legal\nclinic"}}, "title.en"),
    ({"title": {"fr": "Clinique", "en": "Legal clinic", "ar": "\u001b[31m"}}, "title.ar"),
    ({"description": {"fr": "Statuts", "en": "Pact\u0007"}}, "description.en"),
    ({"provider": {"name": "\u0000\u0001", "kind": "expert"}}, "provider.name"),
    ({"provider": {"name": "   ", "kind": "expert"}}, "provider.name"),
    ({"provider": {"name": "X", "kind": "expert", "organisation": "Cabi\u0085net"}}, "provider.organisation"),
    ({"closures": [{"first_day": "2026-05-26", "last_day": "2026-05-26", "reason": "A\tB"}]}, "closures.0.reason"),
]


async def test_edge_dates_and_control_characters_are_422_naming_the_field(
    client: httpx.AsyncClient, settings: KitSettings, rabat: None
) -> None:
    """Dates outside the network's calendar and control characters are refused at the edge,
    in every body (POST, PUT, PATCH) and in the search's query, never a 5xx."""
    admin = auth(settings, Role.ADMIN)
    created = await client.post("/v1/offerings", json=body(), headers=admin)
    location, tag = created.headers["Location"], created.headers["ETag"]
    for changes, field in BODY_EDGES:
        writes = [
            client.post("/v1/offerings", json=body(**changes), headers=admin),
            client.put(location, json=body(**changes), headers={**admin, "If-Match": tag}),
            client.patch(location, json=changes, headers={**admin, "If-Match": tag}),
        ]
        for response in await asyncio.gather(*writes):
            assert response.status_code == 422, (changes, response.request.method, response.text)
            assert response.headers["content-type"].startswith(PROBLEM)
            assert field in [e["field"] for e in response.json()["errors"]], response.json()
    control = await client.post("/v1/offerings", json=body(title={"fr": CONTROL, "en": "x"}), headers=admin)
    assert control.json()["errors"][0]["message"] == "control characters are not allowed here"

    queries: list[tuple[dict[str, str], str]] = [
        *[({"available_from": day, "available_to": "2026-06-01"}, "available_from") for day in EDGE_DAYS],
        *[({"available_from": "2026-06-01", "available_to": day}, "available_to") for day in EDGE_DAYS],
        *[({"available_from": m, "available_to": m}, "available_from") for m in EDGE_INSTANTS],
        ({"q": "clinique\u0000"}, "q"),
        ({"q": "\u0001\u0002"}, "q"),
        ({"q": "   "}, "q"),
        ({"site": "site-rabat\u0000"}, "site"),
        ({"member_id": "m-1\u001b"}, "member_id"),
    ]
    for member in (admin, auth(settings, Role.MEMBER), auth(settings, Role.FRONT_DESK)):
        for params, field in queries:
            response = await client.get("/v1/offerings", params=params, headers=member)
            assert response.status_code == 422, (params, response.text)
            assert response.headers["content-type"].startswith(PROBLEM)
            assert f"query.{field}" in [e["field"] for e in response.json()["errors"]], response.json()
    # the edges of the calendar itself are fine, and text is trimmed
    widest = await client.get(
        "/v1/offerings", params={"available_from": "2199-12-01", "available_to": "2199-12-31"}, headers=admin
    )
    assert widest.status_code == 200, widest.text
    earliest = await client.get(
        "/v1/offerings", params={"available_from": "2000-01-01", "available_to": "2000-01-31"}, headers=admin
    )
    assert earliest.status_code == 200, earliest.text
    trimmed = await client.post(
        "/v1/offerings", json=body(title={"fr": "  Clinique ", "en": "Legal\tclinic"}), headers=admin
    )
    assert trimmed.status_code == 422  # a tab is a control character in a one-line title
    spaced = await client.post("/v1/offerings", json=body(title={"fr": "  Clinique ", "en": " Legal "}), headers=admin)
    assert spaced.status_code == 201, spaced.text
    assert spaced.json()["title"] == {"fr": "Clinique", "en": "Legal", "ar": None}
    multi = body(description={"fr": "Statuts\net pacte", "en": "Articles\r\n\tpact"})
    assert (await client.post("/v1/offerings", json=multi, headers=admin)).status_code == 201


async def test_an_offering_requiring_staff_approval_says_so_on_its_events(
    client: httpx.AsyncClient, settings: KitSettings, rabat: None
) -> None:
    """Issue 25's approvals: the setting is one of the offering's booking rules, checked strictly
    (unknown fields, a window out of range) and carried whole by its events to bookings."""
    admin = auth(settings, Role.ADMIN)
    approval = {"required": True, "decide_within_hours": 24}
    odd = await client.post("/v1/offerings", json=body(rules={"approval": {**approval, "by": "x"}}), headers=admin)
    assert odd.status_code == 422, odd.text
    assert odd.headers["content-type"].startswith(PROBLEM)
    too_long = body(rules={"approval": {"required": True, "decide_within_hours": 24 * 31}})
    assert (await client.post("/v1/offerings", json=too_long, headers=admin)).status_code == 422
    created = await client.post("/v1/offerings", json=body(rules={"approval": approval}), headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["rules"]["approval"] == approval
    published = await client.post(f"/v1/offerings/{created.json()['id']}/publish", headers=admin)
    assert published.status_code == 200, published.text
    (envelope,) = await read_topic(settings, "catalogue.offering", 1)
    event = registry.parse(envelope)
    assert isinstance(event, OfferingPublished)
    assert event.rules.approval is not None
    assert event.rules.approval.decide_within_hours == 24
