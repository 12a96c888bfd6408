"""The platform as separate processes talking only over Kafka: facts flow between services.

Spaces registers a site; the catalogue learns it from the `spaces.site` topic (it never
calls spaces) and accepts an offering there. A catalogue killed with SIGKILL comes back
with everything it had accepted.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from e2e_fixtures import eventually, site_body
from pymongo import AsyncMongoClient

from parkgrid.auth import Role
from parkgrid.testing.infrastructure import Infrastructure
from parkgrid.testing.stack import Stack, running_stack


@pytest.fixture(scope="module")
def stack(infrastructure: Infrastructure) -> Iterator[Stack]:
    with running_stack(
        infrastructure.kafka_bootstrap_servers, infrastructure.mongodb_uri, services=["spaces", "catalogue"]
    ) as stack:
        yield stack


def offering_body(site_id: str) -> dict[str, Any]:
    return {
        "site_id": site_id,
        "category": "mentoring",
        "title": {"fr": "Mentorat produit", "en": "Product mentoring"},
        "description": {"fr": "Une heure avec un mentor", "en": "An hour with a mentor"},
        "provider": {"name": "Salma Idrissi", "kind": "expert"},
        "mode": "in_person",
        "session_minutes": 60,
        "seats_per_session": 1,
        "eligibility": {"member_kinds": ["startup"], "stages": ["incubation"]},
        "price": {"amount_minor": 0, "currency": "MAD"},
        "availability": [{"weekday": 1, "opens": "09:00", "closes": "12:00"}],
    }


async def test_a_site_registered_in_spaces_is_known_to_the_catalogue_over_kafka(stack: Stack) -> None:
    admin = stack.headers(Role.ADMIN)
    async with httpx.AsyncClient(timeout=10) as http:
        before = await http.post(
            f"{stack.url('catalogue')}/v1/offerings", json=offering_body("site-e2e"), headers=admin
        )
        assert before.status_code == 422, before.text  # no such site yet
        assert before.headers["content-type"] == "application/problem+json"

        site = await http.post(f"{stack.url('spaces')}/v1/sites", json=site_body("site-e2e"), headers=admin)
        assert site.status_code == 201, site.text

        async def accepted() -> httpx.Response | None:
            answer = await http.post(
                f"{stack.url('catalogue')}/v1/offerings", json=offering_body("site-e2e"), headers=admin
            )
            return answer if answer.status_code == 201 else None

        created = await eventually(accepted, what="the catalogue accepts an offering at the new site")
        offering_id = created.json()["id"]

    stack.restart("catalogue")  # SIGKILL, then a new process

    async with httpx.AsyncClient(timeout=10) as http:
        again = await http.get(f"{stack.url('catalogue')}/v1/offerings/{offering_id}", headers=admin)
        assert again.status_code == 200, again.text
        assert again.json()["site_id"] == "site-e2e"


async def test_a_projection_is_rebuilt_from_offset_0_by_the_operator_command(stack: Stack) -> None:
    admin = stack.headers(Role.ADMIN)
    async with httpx.AsyncClient(timeout=10) as http:
        site = await http.post(f"{stack.url('spaces')}/v1/sites", json=site_body("site-rebuild"), headers=admin)
        assert site.status_code == 201, site.text

        async def known() -> bool:
            answer = await http.post(
                f"{stack.url('catalogue')}/v1/offerings", json=offering_body("site-rebuild"), headers=admin
            )
            return answer.status_code == 201

        await eventually(known, what="the catalogue knows the site")

    env = {**stack.environment("catalogue"), "PARKGRID_LOG_LEVEL": "WARNING"}
    done = await asyncio.to_thread(
        subprocess.run,
        [str(Path(sys.executable).with_name("parkgrid")), "rebuild", "catalogue", "sites"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    assert "catalogue.sites:" in done.stdout, done.stdout
    assert "events applied" in done.stdout, done.stdout
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(stack.mongodb_uri)
    try:
        sites = {doc["_id"] async for doc in mongo[stack.database("catalogue")]["sites"].find({}, {"_id": 1})}
    finally:
        await mongo.close()
    assert "site-rebuild" in sites  # dropped, then replayed from the topic


async def test_every_service_of_the_stack_answers_health_and_readiness(stack: Stack) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        for service in ("spaces", "catalogue"):
            assert (await http.get(f"{stack.url(service)}/healthz")).status_code == 200
            ready = await http.get(f"{stack.url(service)}/readyz")
            assert ready.status_code == 200, ready.text
