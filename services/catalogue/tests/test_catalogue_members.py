"""Eligibility from the members projection: community events on the real broker, projected into
the real store, and GET /v1/offerings?member_id=... compared with a brute-force expectation."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from catalogue_fixtures import app, auth, client, part, publishing_as, settings
from fastapi import FastAPI

from catalogue.adapters.known import member_facts
from catalogue.adapters.offerings import Offerings
from catalogue.domain import offering as rules
from catalogue.domain.offering import OfferingDetails
from parkgrid.auth import Role, issue_token
from parkgrid.contracts.catalogue import OfferingCategory, OfferingStatus
from parkgrid.contracts.common import MemberKind, ProgrammeStage
from parkgrid.contracts.community import (
    MemberLeft,
    MemberRegistered,
    MemberStageChanged,
    MemberUpdated,
    PersonAdded,
)
from parkgrid.contracts.topics import topic
from parkgrid.envelope import Envelope
from parkgrid.events import IntegrationEvent, registry
from parkgrid.kafka import EventPublisher
from parkgrid.known import KnownMembers
from parkgrid.settings import KitSettings

MEMBERS_TOPIC = topic("community.member")

__all__ = ["app", "client", "settings"]

COHORTS: list[list[str]] = [[], [], ["2026-A"], ["2026-A", "2026-B"], ["2025-B"]]
PERSON = {"person_id": "p-1", "name": "Salma Idrissi", "email": "salma@example.ma", "role": "CEO"}


def snapshot(member_id: str, kind: str, stage: str, *, left: bool = False, cohort: str | None = None) -> dict[str, Any]:
    return {
        "member_id": member_id,
        "name": f"Organisation {member_id}",
        "kind": kind,
        "sector": "agritech",
        "home_site_id": "site-rabat",
        "status": "left" if left else "active",
        "programme": {"stage": stage, "started_on": "2026-01-05", "cohort": cohort},
        "people": [PERSON],
    }


def registered(member_id: str, kind: str, stage: str, sequence: int = 1, cohort: str | None = None) -> Envelope:
    return wrap(MemberRegistered.model_validate(snapshot(member_id, kind, stage, cohort=cohort)), member_id, sequence)


def wrap(event: IntegrationEvent, member_id: str, sequence: int) -> Envelope:
    return registry.envelope(event, source="community", subject=member_id, sequence=sequence)


@pytest.fixture
async def publisher(settings: KitSettings) -> AsyncIterator[EventPublisher]:
    async with publishing_as(settings, "community", [MEMBERS_TOPIC]) as community:
        yield community


async def wait_for(members: KnownMembers, expected: dict[str, tuple[str, str, bool]], within: float = 30.0) -> None:
    """Until every member is projected as (kind, stage, left)."""
    deadline = time.monotonic() + within
    while True:
        facts = {m: member_facts(await members.get(m)) for m in expected}
        if all(f is not None and (f.kind, f.stage, f.left) == expected[m] for m, f in facts.items()):
            return
        assert time.monotonic() < deadline, f"the members projection did not catch up: {facts}"
        await asyncio.sleep(0.1)


@pytest.fixture
async def loaded(app: FastAPI) -> list[dict[str, Any]]:
    """Network-wide offerings with random eligibility, bulk-loaded with their search entries."""
    offerings = part(app, Offerings)
    rng = random.Random(6)
    rows: list[dict[str, Any]] = []
    for index in range(80):
        details = OfferingDetails.model_validate(
            {
                "category": rng.choice(list(OfferingCategory)).value,
                "title": {"fr": f"Séance {index}", "en": f"Session {index}"},
                "description": {"fr": "Accompagnement", "en": "Support"},
                "provider": {"name": "Experte", "kind": "expert"},
                "mode": "online",
                "session_minutes": 60,
                "seats_per_session": 4,
                "eligibility": {
                    "member_kinds": rng.sample([k.value for k in MemberKind], rng.randrange(0, 3)),
                    "stages": rng.sample([s.value for s in ProgrammeStage], rng.randrange(0, 3)),
                    "cohorts": COHORTS[index % len(COHORTS)],
                },
            }
        )
        status = rng.choice(["draft", "published", "published"])
        created = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=index)
        drafted, _ = rules.draft(f"o-{index:03d}", details, None, created)
        offering = replace(drafted, status=OfferingStatus(status))
        rows.append({"id": offering.offering_id, "details": details, "status": status, "offering": offering})
    await offerings.load([r["offering"] for r in rows])
    return rows


def expected(
    rows: list[dict[str, Any]], kind: str, stage: str, also_kind: str | None = None, cohort: str | None = None
) -> set[str]:
    """By definition: published, and the one eligibility rule (`Eligibility.unmet`) admits the member."""
    found = set()
    for row in rows:
        d: OfferingDetails = row["details"]
        kinds = [k.value for k in d.eligibility.member_kinds]
        if row["status"] != "published" or d.eligibility.unmet(kind, stage, cohort) is not None:
            continue
        if also_kind is not None and kinds and also_kind not in kinds:
            continue
        found.add(row["id"])
    return found


async def ids(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> set[str]:
    """The ids found (published only: administrators see drafts too unless they ask)."""
    params = {"limit": 100, "status": "published", **params}
    response = await client.get("/v1/offerings", params=params, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["next_cursor"] is None
    return {item["id"] for item in response.json()["items"]}


@dataclass
class Grid:
    """The app's side (a client, its members projection, the loaded offerings) and community's (a publisher)."""

    client: httpx.AsyncClient
    settings: KitSettings
    publisher: EventPublisher
    members: KnownMembers
    loaded: list[dict[str, Any]]


@pytest.fixture
def grid(
    app: FastAPI,
    client: httpx.AsyncClient,
    settings: KitSettings,
    publisher: EventPublisher,
    loaded: list[dict[str, Any]],
) -> Grid:
    return Grid(client, settings, publisher, part(app, KnownMembers), loaded)


def member_token(settings: KitSettings, member_id: str) -> dict[str, str]:
    token = issue_token(settings, role=Role.MEMBER, member_id=member_id, person_id="p-1")
    return {"Authorization": f"Bearer {token}"}


async def test_member_eligibility_matches_a_brute_force_filter(grid: Grid) -> None:
    client, settings, publisher, loaded = grid.client, grid.settings, grid.publisher, grid.loaded
    members = {
        "m-startup": ("startup", "incubation"),
        "m-tpe": ("tpe", "acceleration"),
        "m-holder": ("project_holder", "pre_incubation"),
        "m-partner": ("partner", "alumni"),
    }
    cohorts = {"m-startup": "2026-A", "m-tpe": "2026-B", "m-holder": "2025-B", "m-partner": None}
    left = MemberLeft.model_validate(
        {**snapshot("m-gone", "startup", "incubation", left=True), "left_on": "2026-03-01"}
    )
    await publisher.publish_many(
        [(MEMBERS_TOPIC.name, registered(m, k, s, cohort=cohorts[m])) for m, (k, s) in members.items()]
        + [
            (MEMBERS_TOPIC.name, registered("m-gone", "startup", "incubation")),
            (MEMBERS_TOPIC.name, wrap(left, "m-gone", 2)),
        ]
    )
    await wait_for(
        grid.members,
        {**{m: (k, s, False) for m, (k, s) in members.items()}, "m-gone": ("startup", "incubation", True)},
    )
    admin = auth(settings, Role.ADMIN)
    for member_id, (kind, stage) in members.items():
        want = expected(loaded, kind, stage, cohort=cohorts[member_id])
        assert await ids(client, admin, member_id=member_id) == want, member_id
        # a member's own eligibility, by id or by eligible=true
        own = member_token(settings, member_id)
        assert await ids(client, own, eligible="true") == want, member_id
        assert await ids(client, own, member_id=member_id) == want, member_id
        # combined with the kind filter: both must hold
        assert await ids(client, admin, member_id=member_id, member_kind="tpe") == expected(
            loaded, kind, stage, also_kind="tpe", cohort=cohorts[member_id]
        )
    assert want  # the data exercises non-empty answers
    assert await ids(client, admin, member_id="m-gone") == set()
    assert await ids(client, member_token(settings, "m-gone"), eligible="true") == set()
    unknown = await client.get("/v1/offerings", params={"member_id": "m-nobody"}, headers=admin)
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "member_id"
    without = await client.get("/v1/offerings", params={"eligible": "true"}, headers=admin)
    assert without.status_code == 422
    assert without.json()["errors"][0]["field"] == "member_id"
    other = await client.get(
        "/v1/offerings", params={"member_id": "m-tpe"}, headers=member_token(settings, "m-startup")
    )
    assert other.status_code == 403
    # a front desk asks about the members of its own sites; another site's member is not there for it
    rabat_desk = auth(settings, Role.FRONT_DESK)
    assert await ids(client, rabat_desk, member_id="m-startup") == expected(
        loaded, "startup", "incubation", cohort="2026-A"
    )
    casablanca = issue_token(settings, role=Role.FRONT_DESK, sites=["site-casablanca"])
    elsewhere = await client.get(
        "/v1/offerings", params={"member_id": "m-startup"}, headers={"Authorization": f"Bearer {casablanca}"}
    )
    assert elsewhere.status_code == 404, elsewhere.text
    assert elsewhere.json()["detail"] == "there is no member organisation m-startup"
    # without eligible, a member sees every published offering as before
    everyone = {r["id"] for r in loaded if r["status"] == "published"}
    assert await ids(client, member_token(settings, "m-startup")) == everyone


async def test_stage_changes_refilter_and_stale_events_leave_the_newest_state(grid: Grid) -> None:
    client, settings, publisher, loaded = grid.client, grid.settings, grid.publisher, grid.loaded
    admin = auth(settings, Role.ADMIN)
    await publisher.publish(MEMBERS_TOPIC.name, registered("m-1", "startup", "incubation"))
    await wait_for(grid.members, {"m-1": ("startup", "incubation", False)})
    before = await ids(client, admin, member_id="m-1")
    assert before == expected(loaded, "startup", "incubation")

    def changed(stage: str, previous: str, sequence: int) -> Envelope:
        event = MemberStageChanged.model_validate({**snapshot("m-1", "startup", stage), "previous_stage": previous})
        return wrap(event, "m-1", sequence)

    await publisher.publish(MEMBERS_TOPIC.name, changed("acceleration", "incubation", 2))
    await wait_for(grid.members, {"m-1": ("startup", "acceleration", False)})
    after = await ids(client, admin, member_id="m-1")
    assert after == expected(loaded, "startup", "acceleration")
    assert after != before

    # newest first (a kind change at 4), then a duplicate of it and older events arriving late
    updated = wrap(MemberUpdated.model_validate(snapshot("m-1", "tpe", "acceleration")), "m-1", 4)
    person = PersonAdded.model_validate({**snapshot("m-1", "startup", "resident"), "person": PERSON})
    sent = await publisher.publish_many(
        [
            (MEMBERS_TOPIC.name, updated),
            (MEMBERS_TOPIC.name, updated),
            (MEMBERS_TOPIC.name, wrap(person, "m-1", 3)),
            (MEMBERS_TOPIC.name, changed("alumni", "acceleration", 2)),
            (MEMBERS_TOPIC.name, registered("m-1", "partner", "pre_incubation")),
        ]
    )
    # a sentinel on the same partition: once it is projected, everything before it was handled
    partition = sent[-1].partition
    sentinel = registered("m-sentinel", "partner", "alumni")
    await publisher.producer.send_and_wait(
        settings.topic_prefix + MEMBERS_TOPIC.name,
        value=sentinel.kafka_value(),
        key=sentinel.kafka_key(),
        headers=sentinel.kafka_headers(),
        partition=partition,
    )
    await wait_for(grid.members, {"m-sentinel": ("partner", "alumni", False), "m-1": ("tpe", "acceleration", False)})
    assert await ids(client, admin, member_id="m-1") == expected(loaded, "tpe", "acceleration")
