"""Acceptance: capacity is never exceeded, the waitlist keeps arrival order, and each freed
seat promotes exactly the next person once, even with duplicate deliveries and restarts.

300 registrations for an event of 50 seats arrive at once through the API; then 10
confirmed people cancel. The promotions come from the Kafka reaction to each cancellation;
the cancellations are then delivered again (re-published, and re-read from the start by a
restarted service in a new consumer group), and nobody more is promoted.
"""

from __future__ import annotations

import asyncio
import functools
from datetime import timedelta
from typing import Any

import httpx
import pytest
from community_support import (
    bearer,
    created,
    event_body,
    publish,
    reactions_processed,
    read_topic,
    running_service,
    wait_for,
)

from community.adapters.stores import registration_state
from community.bootstrap import Community
from community.domain.registrations import Status
from parkgrid.contracts.common import MemberKind, ProgrammeStage
from parkgrid.contracts.community import Person
from parkgrid.settings import KitSettings

pytest_plugins = ["community_fixtures"]

ORGANISATIONS, PEOPLE, SEATS = 30, 10, 50
PROMOTED = "parkgrid.community.registration.promoted"
CANCELLED = "parkgrid.community.registration.cancelled"


async def register_startup(community: Community, member_id: str, name: str, people: list[Person]) -> None:
    """An incubated software startup of Rabat with `people`, as the load tests need them."""
    await community.members.register(
        member_id,
        name=name,
        kind=MemberKind.STARTUP,
        sector="software",
        home_site_id="site-rabat",
        stage=ProgrammeStage.INCUBATION,
        cohort=None,
        started_on=None,
        planned_end_on=None,
        people=people,
    )


async def seed_people(community: Community) -> list[str]:
    people = []
    for m in range(ORGANISATIONS):
        member_id = f"member-load-{m:02d}"
        staff = [
            Person(person_id=f"{member_id}-p{p}", name=f"P{p}", email=f"p{p}@{member_id}.ma", role="dev")
            for p in range(PEOPLE)
        ]
        await register_startup(community, member_id, f"Load {m}", staff)
        people += [p.person_id for p in staff]
    return people


async def counts(community: Community, event_id: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for registration, _ in await community.store.registrations_of_event(event_id):
        found[registration.status.value] = found.get(registration.status.value, 0) + 1
    return found


@pytest.mark.slow
async def test_three_hundred_for_fifty_seats_then_ten_cancellations(
    client: httpx.AsyncClient, community: Community, tokens: dict[str, str], settings: KitSettings
) -> None:
    desk = bearer(tokens["desk"])
    people = await seed_people(community)
    await created(client.post("/v1/events", json=event_body("cevt-full", capacity=SEATS, publish=True), headers=desk))

    async def register(person_id: str) -> dict[str, Any]:
        return await created(
            client.post("/v1/events/cevt-full/registrations", json={"person_id": person_id}, headers=desk)
        )

    answers = await asyncio.gather(*(register(p) for p in people))
    confirmed = [a for a in answers if a["status"] == "confirmed"]
    waitlisted = [a for a in answers if a["status"] == "waitlisted"]
    assert (len(confirmed), len(waitlisted)) == (SEATS, 300 - SEATS)
    # Arrival order: the stored arrival numbers order the waitlist, and every confirmed
    # person arrived before every waiting one.
    stored = {r.registration_id: r for r, _ in await community.store.registrations_of_event("cevt-full")}
    arrivals = {rid: stored[rid].arrival for rid in stored}
    assert all(a is not None for a in arrivals.values())
    queue = sorted((a["registration_id"] for a in waitlisted), key=lambda rid: arrivals[rid] or 0)
    assert [
        a["waitlist_position"] for a in sorted(waitlisted, key=lambda a: arrivals[a["registration_id"]] or 0)
    ] == list(range(1, 251))
    assert max(arrivals[a["registration_id"]] or 0 for a in confirmed) < min(arrivals[rid] or 0 for rid in queue)
    occupancy = await community.store.seats.occupancy("cevt-full")
    assert occupancy is not None
    assert (occupancy.taken, occupancy.waiting) == (SEATS, 250)
    assert [k.rsplit(":", 1)[0] for k in occupancy.queue] == queue

    # Ten cancellations: the next ten in line are promoted by the reaction, each once.
    leaving = [a["registration_id"] for a in confirmed[:10]]
    cancels = await asyncio.gather(*(client.post(f"/v1/registrations/{rid}/cancel", headers=desk) for rid in leaving))
    assert all(c.status_code == 200 and c.json()["status"] == "cancelled" for c in cancels)
    await wait_for(
        lambda: counts(community, "cevt-full"),
        lambda c: c.get("confirmed") == SEATS,
        what="ten promotions",
    )
    after = {r.registration_id: r for r, _ in await community.store.registrations_of_event("cevt-full")}
    promoted_now = [rid for rid in queue if after[rid].status == Status.CONFIRMED]
    assert promoted_now == queue[:10]
    waiting_view = await client.get(f"/v1/registrations/{queue[10]}", headers=desk)
    assert waiting_view.json()["waitlist_position"] == 1

    # Duplicate deliveries: the cancellations again, as they were on the topic.
    cancelled_events = await read_topic(settings, "community.registration", until=10, types={CANCELLED})
    assert len(cancelled_events) == 10
    reactions = next(r for r in community.runtime.consumers if r.name == "reactions")
    handled = reactions.processed_count
    await publish(settings, [("community.registration", e) for e in cancelled_events])
    await asyncio.gather(*(community.registrations.on_cancelled(rid) for rid in leaving * 2))
    await reactions_processed(community, handled + 10)
    assert await counts(community, "cevt-full") == {"confirmed": SEATS, "waitlisted": 240, "cancelled": 10}

    promotions = await read_topic(settings, "community.registration", until=10, types={PROMOTED})
    assert sorted(e.subject for e in promotions) == sorted(queue[:10])
    occupancy = await community.store.seats.occupancy("cevt-full")
    assert occupancy is not None
    assert (occupancy.taken, occupancy.waiting, occupancy.promoting) == (SEATS, 240, [])


async def test_restart_redelivers_everything_and_promotes_nobody_twice(
    service: tuple[httpx.AsyncClient, Community], tokens: dict[str, str], settings: KitSettings
) -> None:
    """A restarted service whose reactions read every cancellation again (a new consumer group)."""
    client, community = service
    desk = bearer(tokens["desk"])
    await seed_people_small(community)
    await created(client.post("/v1/events", json=event_body("cevt-small", capacity=2, publish=True), headers=desk))
    rids = [
        (await created(client.post("/v1/events/cevt-small/registrations", json={"person_id": p}, headers=desk)))[
            "registration_id"
        ]
        for p in ("member-s-p0", "member-s-p1", "member-s-p2", "member-s-p3")
    ]
    assert (await client.post(f"/v1/registrations/{rids[0]}/cancel", headers=desk)).status_code == 200
    await wait_for(lambda: community.registrations.get(rids[2]), lambda r: r[0].status == Status.CONFIRMED)

    # A crash between seating the next person and telling them: the seat document says so.
    assert (await client.post(f"/v1/registrations/{rids[1]}/cancel", headers=desk)).status_code == 200
    restarted = settings.model_copy(update={"service_name": settings.service_name + "-again"})
    async with running_service(restarted) as (_, again):
        fourth = functools.partial(again.registrations.get, rids[3])
        await wait_for(fourth, lambda r: r[0].status == Status.CONFIRMED)
        everything = await read_topic(settings, "community.registration", until=8)
        everything += await read_topic(settings, "community.event", until=2)
        await reactions_processed(again, len(everything))  # the new group re-read every message
        assert await counts(again, "cevt-small") == {"confirmed": 2, "cancelled": 2}
    promotions = await read_topic(settings, "community.registration", until=2, types={PROMOTED})
    assert sorted(e.subject for e in promotions) == sorted(rids[2:])


async def seed_people_small(community: Community) -> None:
    people = [Person(person_id=f"member-s-p{i}", name=f"P{i}", email=f"p{i}@s.ma", role="dev") for i in range(4)]
    await register_startup(community, "member-s", "Small", people)


async def test_reconciler_finishes_what_a_crash_left(
    client: httpx.AsyncClient, community: Community, tokens: dict[str, str]
) -> None:
    """A crash between seating the next in line and telling them, and one between creating a
    registration and deciding its seat: the reconciler completes both, once."""
    desk = bearer(tokens["desk"])
    await seed_people_small(community)
    await created(client.post("/v1/events", json=event_body("cevt-crash", capacity=1, publish=True), headers=desk))
    first = await created(
        client.post("/v1/events/cevt-crash/registrations", json={"person_id": "member-s-p0"}, headers=desk)
    )
    second = await created(
        client.post("/v1/events/cevt-crash/registrations", json={"person_id": "member-s-p1"}, headers=desk)
    )
    seats = community.store.seats
    # The seat is given up and the next in line seated, but the process dies before telling them.
    await seats.release("cevt-crash", f"{first['registration_id']}:1")
    assert await seats.move_head("cevt-crash", community.registrations.clock()) == f"{second['registration_id']}:1"
    # And a registration is written, its seat not yet decided, when the process dies.
    registration, _ = await community.registrations.get(second["registration_id"])
    stray = registration.model_copy(
        update={"registration_id": "reg-stray", "person_id": "member-s-p2", "placing": True}
    )
    await community.store.registrations.create("reg-stray", registration_state(stray), [])
    assert (await client.get("/v1/registrations/reg-stray", headers=desk)).json()["status"] == "pending"

    for _ in range(2):  # twice: the second pass finds nothing left to do
        await community.registrations.reconcile(settle=timedelta(0))
    promoted, _ = await community.registrations.get(second["registration_id"])
    placed, _ = await community.registrations.get("reg-stray")
    assert (promoted.status, placed.status, placed.waitlist_position) == (Status.CONFIRMED, Status.WAITLISTED, 1)
    occupancy = await seats.occupancy("cevt-crash")
    assert occupancy is not None
    assert (occupancy.taken, occupancy.waiting, occupancy.promoting) == (1, 1, [])
