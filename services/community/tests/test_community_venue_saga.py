"""Acceptance: the venue saga with the real spaces service, over the real broker and store.

A refused reservation leaves the event in draft with the reason; a confirmed one publishes
it; a reschedule holds the new venue before releasing the old; a cancelled event releases
its reservation and cancels its registrations. Then crashes: spaces down while community
asks, community stopped while spaces answers, an event cancelled while its request is
still unanswered. After restarts everything is consistent: no published event without a
venue held for it, no venue held by a cancelled event.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any

import pytest
from community_support import (
    SITE,
    STARTS,
    bearer,
    created,
    event_body,
    member_body,
    part_of,
    read_topic,
    running_service,
    running_spaces,
    wait_for,
)

from community.bootstrap import Community
from parkgrid.auth import Role, issue_token
from parkgrid.settings import KitSettings
from parkgrid.store import Document

pytest_plugins = ["community_fixtures"]

HALL = {"kind": "event_hall", "seats": 80, "features": ["sound_system"]}


def venue_event(event_id: str, **extra: Any) -> dict[str, Any]:
    body = event_body(event_id, capacity=80, venue_requirement=HALL, kind="demo_day")
    return {**body, **extra}


async def status_of(community: Community, event_id: str) -> str:
    event, _ = await community.events.get(event_id)
    return event.status.value


async def wait_status(community: Community, event_id: str, status: str, within: float = 30) -> None:
    await wait_for(
        functools.partial(status_of, community, event_id), lambda s: s == status, within, f"{event_id} {status}"
    )


async def reservations_of(spaces: Any, event_id: str) -> list[Document]:
    collection = part_of(spaces, "spaces_store", "SpacesStore").reservations.collection
    docs: list[Document] = await collection.find({"reference_id": event_id}).sort("_id").to_list()
    return docs


async def assert_consistent(community: Community, spaces: Any, event_ids: list[str]) -> None:
    """No published event without its venue held; no venue held by a cancelled or draft event."""
    for event_id in event_ids:
        event, _ = await community.events.get(event_id)
        held = [r for r in await reservations_of(spaces, event_id) if r["status"] == "confirmed"]
        if event.status.value == "published":
            assert event.venue is not None, event_id
            assert [r["request_id"] for r in held] == [event.venue.reservation_request_id], (event_id, held)
        elif event.status.value in ("cancelled", "draft"):
            assert held == [], (event_id, held)


@pytest.mark.slow
async def test_refused_confirmed_rescheduled_cancelled(
    settings: KitSettings, spaces_settings: KitSettings, tokens: dict[str, str]
) -> None:
    desk = bearer(tokens["desk"])
    async with running_spaces(spaces_settings, [SITE]) as spaces, running_service(settings) as (client, community):
        await wait_for(community.store.sites.known_ids, lambda ids: SITE in ids, what="sites from spaces")

        too_big = venue_event("cevt-huge", capacity=500, venue_requirement={"kind": "event_hall", "seats": 500})
        await created(client.post("/v1/events", json=too_big, headers=desk))
        pending = await client.post("/v1/events/cevt-huge/publish", headers=desk)
        assert pending.status_code == 202, pending.text
        assert pending.json()["status"] == "venue_pending"
        await wait_status(community, "cevt-huge", "draft")
        refused = (await client.get("/v1/events/cevt-huge", headers=desk)).json()
        assert refused["venue_refusal"].startswith("no_space_fits")

        await created(client.post("/v1/events", json=venue_event("cevt-demo"), headers=desk))
        assert (await client.post("/v1/events/cevt-demo/publish", headers=desk)).status_code == 202
        await wait_status(community, "cevt-demo", "published")
        event = (await client.get("/v1/events/cevt-demo", headers=desk)).json()
        first_request = event["venue"]["reservation_request_id"]
        assert event["venue"]["space_name"] == "Auditorium"

        moved = await client.post(
            "/v1/events/cevt-demo/reschedule",
            json={"starts_at": "2027-01-13T14:00:00+01:00", "ends_at": "2027-01-13T16:00:00+01:00"},
            headers=desk,
        )
        assert moved.status_code == 202, moved.text
        assert moved.json()["time"]["starts_at"] == STARTS  # the old time holds until the new venue is confirmed

        async def moved_time() -> datetime:
            event, _ = await community.events.get("cevt-demo")
            return event.time.starts_at

        await wait_for(moved_time, lambda t: t == datetime(2027, 1, 13, 13, tzinfo=UTC), what="rescheduled")
        await wait_for(
            functools.partial(reservations_of, spaces, "cevt-demo"),
            lambda rs: [r["status"] for r in rs] == ["released", "confirmed"] and rs[0]["request_id"] == first_request,
            what="old venue released, new one held",
        )

        await created(client.post("/v1/members", json=member_body("member-a"), headers=desk))
        registration = await created(
            client.post("/v1/events/cevt-demo/registrations", json={"person_id": "member-a-p0"}, headers=desk)
        )
        cancelled = await client.post("/v1/events/cevt-demo/cancel", json={"reason": "speaker ill"}, headers=desk)
        assert cancelled.status_code == 200
        await wait_for(
            functools.partial(reservations_of, spaces, "cevt-demo"),
            lambda rs: [r["status"] for r in rs] == ["released", "released"],
            what="venue released",
        )
        await wait_for(
            functools.partial(community.registrations.get, registration["registration_id"]),
            lambda r: r[0].status.value == "cancelled",
            what="registration cancelled",
        )
        late = await client.post("/v1/events/cevt-demo/registrations", json={"person_id": "member-a-p1"}, headers=desk)
        assert late.status_code == 409
        await assert_consistent(community, spaces, ["cevt-huge", "cevt-demo"])

    events = await read_topic(settings, "community.event", until=6)
    demo = [e.type.rsplit(".", 1)[1] for e in events if e.subject == "cevt-demo"]
    assert demo == ["scheduled", "published", "rescheduled", "cancelled"]
    huge = [e.type.rsplit(".", 1)[1] for e in events if e.subject == "cevt-huge"]
    assert huge == ["scheduled", "scheduled"]  # back to draft, with the reason
    commands = await read_topic(settings, "spaces.commands", until=5)
    kinds = sorted(c.type.rsplit(".", 1)[1] for c in commands)
    assert kinds == ["release_requested", "release_requested", "requested", "requested", "requested"]
    assert all(c.subject == SITE for c in commands)  # keyed by site, as spaces expects


@pytest.mark.slow
async def test_crashes_in_the_middle_end_consistent(settings: KitSettings, spaces_settings: KitSettings) -> None:
    desk = bearer(issue_token(settings, role=Role.ADMIN))
    ids = ["cevt-spaces-down", "cevt-community-down", "cevt-cancelled-meanwhile"]
    async with running_spaces(spaces_settings, [SITE]):
        pass  # spaces registers the site and its spaces, then stops

    async with running_service(settings) as (client, community):
        await wait_for(community.store.sites.known_ids, lambda ids: SITE in ids, what="sites from spaces")
        # Spaces is down: the request waits in the topic.
        await created(client.post("/v1/events", json=venue_event(ids[0], publish=True), headers=desk), 201)
        # The third is cancelled before spaces ever answers: its release follows its request.
        later = {"starts_at": "2027-01-14T10:00:00+01:00", "ends_at": "2027-01-14T12:00:00+01:00"}
        await created(client.post("/v1/events", json=venue_event(ids[2], time=later, publish=True), headers=desk))
        assert (
            await client.post(f"/v1/events/{ids[2]}/cancel", json={"reason": "budget"}, headers=desk)
        ).status_code == 200
        assert await status_of(community, ids[0]) == "venue_pending"

    # Community is down while spaces answers, and one more request was left in its outbox.
    async with running_service(settings) as (client, community):
        other = {"starts_at": "2027-01-15T10:00:00+01:00", "ends_at": "2027-01-15T12:00:00+01:00"}
        await created(client.post("/v1/events", json=venue_event(ids[1], time=other, publish=True), headers=desk))
    async with running_spaces(spaces_settings) as spaces:
        await wait_for(
            functools.partial(reservations_of, spaces, ids[2]),
            lambda rs: [r["status"] for r in rs] == ["released"],
            what="the cancelled event's late reservation released",
        )
        async with running_service(settings) as (client, community):
            for event_id in ids[:2]:
                await wait_status(community, event_id, "published")
            assert await status_of(community, ids[2]) == "cancelled"
            await assert_consistent(community, spaces, ids)
