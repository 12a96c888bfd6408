"""Helpers of the spaces tests: requests, commands and reading published events."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from parkgrid.contracts.common import MemberKind, ProgrammeStage, SpaceKind, SpaceRequirement, TimeRange
from parkgrid.contracts.community import MemberLeft, MemberRegistered, MemberStatus, Programme
from parkgrid.contracts.spaces import Requester
from parkgrid.events import IntegrationEvent, registry
from parkgrid.settings import KitSettings
from parkgrid.store import Database
from parkgrid.testing.topics import publish
from spaces.service_layer.handlers import ReservationRequest

SITE = "site-test"
WEEK = [{"weekday": d, "opens": "08:30", "closes": "18:30"} for d in range(1, 6)] + [
    {"weekday": 6, "opens": "09:00", "closes": "13:00"}
]


TODAY = datetime(2026, 12, 1, 9, tzinfo=UTC)
"""Where the service's clock stands in these tests (a Tuesday, 10:00 in Casablanca)."""


class Clock:
    """A clock a test sets or moves on."""

    def __init__(self, now: datetime = TODAY) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by


def bearer(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


def fields_of(response: httpx.Response) -> list[str]:
    """The fields a 422 problem names."""
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return [e["field"] for e in response.json()["errors"]]


def site_body(site_id: str = SITE, zone: str = "Africa/Casablanca", **extra: Any) -> dict[str, Any]:
    return {
        "site_id": site_id,
        "name": f"Site {site_id}",
        "city": "Casablanca",
        "country": "MA",
        "time_zone": zone,
        "opening_hours": WEEK,
        **extra,
    }


async def add_site_with_rooms(
    client: httpx.AsyncClient, admin: str, rooms: Iterable[dict[str, Any]], site_id: str = SITE, **site: Any
) -> None:
    response = await client.post("/v1/sites", json=site_body(site_id, **site), headers=bearer(admin))
    assert response.status_code == 201, response.text
    for room in rooms:
        response = await client.post(
            f"/v1/sites/{site_id}/spaces", json={"kind": "meeting_room", **room}, headers=bearer(admin)
        )
        assert response.status_code == 201, response.text


def reservation_request(
    request_id: str,
    kind: SpaceKind,
    time: TimeRange,
    *,
    seats: int = 2,
    requested_by: Requester = Requester.COMMUNITY,
    reference_id: str | None = None,
) -> ReservationRequest:
    """A request for `seats` of a `kind` of space at the test site, as the service layer takes it
    (from a `spaces.commands` message); its reference is its own id unless another is given."""
    return ReservationRequest(
        request_id=request_id,
        requested_by=requested_by,
        reference_id=reference_id or request_id,
        site_id=SITE,
        requirement=SpaceRequirement(kind=kind, seats=seats),
        time=time,
    )


async def publish_commands(settings: KitSettings, events: Iterable[IntegrationEvent], subject: str) -> None:
    await publish(
        settings,
        (("spaces.commands", registry.envelope(e, source="bookings", subject=subject, sequence=1)) for e in events),
        client_id="spaces-tests",
    )


def member_fields(
    member_id: str, name: str | None = None, status: MemberStatus = MemberStatus.ACTIVE
) -> dict[str, Any]:
    return {
        "member_id": member_id,
        "name": name or f"Startup {member_id}",
        "kind": MemberKind.STARTUP,
        "sector": "agritech",
        "home_site_id": SITE,
        "status": status,
        "programme": Programme(stage=ProgrammeStage.INCUBATION, started_on=date(2026, 1, 5)),
    }


def registered(member_id: str, name: str | None = None) -> MemberRegistered:
    return MemberRegistered(**member_fields(member_id, name))


def left(member_id: str, name: str | None = None) -> MemberLeft:
    return MemberLeft(**member_fields(member_id, name, MemberStatus.LEFT), left_on=date(2026, 11, 1))


async def publish_members(settings: KitSettings, events: Iterable[tuple[IntegrationEvent, int]]) -> None:
    """Publish community member events (each with its sequence) as the community service would."""
    await publish(
        settings,
        (
            (
                "community.member",
                registry.envelope(e, source="community", subject=e.member_id, sequence=seq),  # type: ignore[attr-defined]
            )
            for e, seq in events
        ),
        client_id="spaces-tests",
    )


async def wait_projected(database: Database, members: dict[str, int], within: float = 30.0) -> None:
    """Wait until spaces projected each member up to the given sequence."""
    deadline = time.monotonic() + within
    while True:
        docs = await database["members"].find({"_id": {"$in": list(members)}}, {"_seq": 1}).to_list()
        held = {d["_id"]: d["_seq"] for d in docs}
        if all(held.get(m, 0) >= seq for m, seq in members.items()):
            return
        assert time.monotonic() < deadline, f"members not projected: {members} (held {held})"
        await asyncio.sleep(0.1)


async def register_members(settings: KitSettings, database: Database, *member_ids: str) -> None:
    await publish_members(settings, [(registered(m), 1) for m in member_ids])
    await wait_projected(database, dict.fromkeys(member_ids, 1))


async def project_members(database: Database, *member_ids: str) -> None:
    """Put members straight into spaces' projection (the Kafka path is tested by `register_members`)."""
    from parkgrid.known import KnownMembers

    members = KnownMembers(database["members"])
    for member_id in member_ids:
        event = registered(member_id)
        await members.apply(registry.envelope(event, source="community", subject=member_id, sequence=1), event)
