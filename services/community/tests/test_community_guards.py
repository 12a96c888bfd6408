"""Issue 23's rules of community, each decided inside the write that acts on it, against the
real store and broker through the HTTP app: the door's window and a second scan, seat counts
that follow registrations, no promotion once an event started, event edits (a capacity never
below the seats given), cohorts, the reconciler's bounded scan, and dates an event may have."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from community_support import STARTS, bearer, created, event_body, member_body, read_topic, text

from community.bootstrap import Community
from community.domain.registrations import Status
from parkgrid.settings import KitSettings

pytest_plugins = ["community_fixtures"]

START = datetime.fromisoformat(STARTS)
REVISED = "parkgrid.community.event.revised"


def at(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def set_clock(community: Community, moment: datetime) -> None:
    """The service's one clock, for the registrations and the events alike."""
    community.registrations.clock = community.events.clock = at(moment)


async def register(client: httpx.AsyncClient, desk: dict[str, str], event_id: str, member_id: str, n: int) -> Any:
    return await client.post(
        f"/v1/events/{event_id}/registrations",
        json={"person_id": f"{member_id}-p{n}", "member_id": member_id},
        headers=desk,
    )


async def open_event_for(
    client: httpx.AsyncClient, desk: dict[str, str], event_id: str, *, people: int = 2, capacity: int = 20
) -> dict[str, Any]:
    """Where most guards start: member-a with `people` people, and `event_id` published with `capacity` seats.

    Returns the event as created (its version for an `If-Match`)."""
    await created(client.post("/v1/members", json=member_body("member-a", people=people), headers=desk))
    return await created(
        client.post("/v1/events", json=event_body(event_id, capacity=capacity, publish=True), headers=desk)
    )


async def one_open_one_called_off(client: httpx.AsyncClient, desk: dict[str, str], open_id: str, off_id: str) -> None:
    """Two published events, the second cancelled: the seat book must close the one and not count the other."""
    await created(client.post("/v1/events", json=event_body(open_id, publish=True), headers=desk))
    await created(client.post("/v1/events", json=event_body(off_id, publish=True), headers=desk))
    await created(client.post(f"/v1/events/{off_id}/cancel", json={"reason": "ill"}, headers=desk), 200)


async def statuses(community: Community, event_id: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for registration, _ in await community.store.registrations_of_event(event_id):
        found[registration.status.value] = found.get(registration.status.value, 0) + 1
    return found


async def test_two_simultaneous_scans_of_one_ticket_check_in_once(
    client: httpx.AsyncClient, tokens: dict[str, str], community: Community
) -> None:
    desk = bearer(tokens["desk"])
    await open_event_for(client, desk, "cevt-door")
    mine = await created(register(client, desk, "cevt-door", "member-a", 0))
    token = (await client.get(f"/v1/registrations/{mine['registration_id']}/ticket", headers=desk)).json()["token"]

    set_clock(community, START + timedelta(hours=2))  # the event's end: the door is closed
    late = await client.post("/v1/events/cevt-door/check-ins", json={"token": token}, headers=desk)
    assert (late.status_code, late.json()["detail"]) == (409, "check-in closed at 12/01/2027 12:00: the event is over")

    set_clock(community, START - timedelta(minutes=60))  # the door opens an hour before
    for _ in range(3):  # three rounds of two scans at once, on fresh registrations
        scans = await asyncio.gather(
            *(client.post("/v1/events/cevt-door/check-ins", json={"token": token}, headers=desk) for _ in range(2))
        )
        assert sorted(s.status_code for s in scans) == [200, 409], [s.text for s in scans]
        refused = next(s for s in scans if s.status_code == 409)
        assert refused.json()["detail"] == "already checked in at 09:00"
        registration, _ = await community.registrations.get(mine["registration_id"])
        assert registration.status == Status.CHECKED_IN
        # Make the next round start from a confirmed registration again.
        await community.store.registrations.collection.update_one(
            {"_id": mine["registration_id"]}, {"$set": {"status": "confirmed", "checked_in_at": None}}
        )


async def test_the_event_counts_follow_its_registrations(
    client: httpx.AsyncClient, tokens: dict[str, str], settings: KitSettings
) -> None:
    desk = bearer(tokens["desk"])
    await created(client.post("/v1/members", json=member_body("member-a"), headers=desk))
    await created(client.post("/v1/members", json=member_body("member-b"), headers=desk))
    await created(client.post("/v1/events", json=event_body("cevt-count", capacity=2, publish=True), headers=desk))
    for member_id in ("member-a", "member-b"):
        await created(register(client, desk, "cevt-count", member_id, 0))
    await created(register(client, desk, "cevt-count", "member-a", 1))

    one = (await client.get("/v1/events/cevt-count", headers=desk)).json()
    listed = (await client.get("/v1/events", params={"site_id": "site-rabat"}, headers=desk)).json()["items"]
    assert (one["registered"], one["waitlisted"]) == (2, 1)
    assert [(e["registered"], e["waitlisted"]) for e in listed if e["event_id"] == "cevt-count"] == [(2, 1)]
    # The next snapshot published carries them too.
    revised = await client.patch("/v1/events/cevt-count", json={"title": text("Counted")}, headers=desk)
    assert revised.status_code == 200, revised.text
    [published] = await read_topic(settings, "community.event", until=1, types={REVISED})
    assert (published.data["registered"], published.data["waitlisted"]) == (2, 1)


async def test_nobody_is_promoted_once_the_event_started(
    client: httpx.AsyncClient, tokens: dict[str, str], community: Community
) -> None:
    desk = bearer(tokens["desk"])
    await open_event_for(client, desk, "cevt-started", people=6, capacity=3)
    placed = [await created(register(client, desk, "cevt-started", "member-a", n)) for n in range(6)]
    assert [p["status"] for p in placed] == ["confirmed"] * 3 + ["waitlisted"] * 3

    set_clock(community, START + timedelta(minutes=1))
    cancels = [client.post(f"/v1/registrations/{p['registration_id']}/cancel", headers=desk) for p in placed[:3]]
    promotions = [community.registrations.promote("cevt-started") for _ in range(3)]
    # one gather of each kind (each makes its tasks at once, in this order): the answers keep their types
    cancelled, _ = await asyncio.gather(asyncio.gather(*cancels), asyncio.gather(*promotions))
    assert [a.status_code for a in cancelled] == [200] * 3
    await community.registrations.reconcile(settle=timedelta(0))
    await asyncio.sleep(1.0)  # the reactions to the cancellations, which promote nobody either
    assert await statuses(community, "cevt-started") == {"cancelled": 3, "waitlisted": 3}
    occupancy = await community.store.seats.occupancy("cevt-started")
    assert occupancy is not None
    assert (occupancy.taken, occupancy.waiting, occupancy.promoting) == (0, 3, [])


async def test_staff_edit_an_event(
    client: httpx.AsyncClient, tokens: dict[str, str], settings: KitSettings, community: Community
) -> None:
    desk = bearer(tokens["desk"])
    event = await open_event_for(client, desk, "cevt-edit", people=4, capacity=2)
    placed = [await created(register(client, desk, "cevt-edit", "member-a", n)) for n in range(4)]
    assert [p["status"] for p in placed] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]

    stale = await client.patch(
        "/v1/events/cevt-edit", json={"title": text("New")}, headers={**desk, "If-Match": f'"{event["version"] - 1}"'}
    )
    assert stale.status_code == 412
    below = await client.patch("/v1/events/cevt-edit", json={"capacity": 1}, headers=desk)
    assert below.status_code == 409
    assert below.json()["detail"] == "capacity 1 is below the 2 confirmed registrations"
    bad = await client.patch("/v1/events/cevt-edit", json={"capacity": 0, "audience": {"cohorts": [""]}}, headers=desk)
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"capacity", "audience.cohorts.0"}
    assert (await client.patch("/v1/events/cevt-edit", json={}, headers=desk)).status_code == 422
    elsewhere = await client.patch("/v1/events/cevt-edit", json={"capacity": 9}, headers=bearer(tokens["other_desk"]))
    assert elsewhere.status_code == 404

    current = (await client.get("/v1/events/cevt-edit", headers=desk)).json()
    bigger = await client.patch(
        "/v1/events/cevt-edit",
        json={"capacity": 3, "title": text("Bigger workshop"), "audience": {"cohorts": ["2026-A"]}},
        headers={**desk, "If-Match": f'"{current["version"]}"'},
    )
    assert bigger.status_code == 200, bigger.text
    assert (bigger.json()["capacity"], bigger.json()["registered"], bigger.json()["waitlisted"]) == (3, 3, 1)
    assert bigger.json()["title"]["en"] == "Bigger workshop"
    first_in_line, _ = await community.registrations.get(placed[2]["registration_id"])
    second_in_line, _ = await community.registrations.get(placed[3]["registration_id"])
    assert (first_in_line.status, second_in_line.status) == (Status.CONFIRMED, Status.WAITLISTED)
    [revised] = await read_topic(settings, "community.event", until=1, types={REVISED})
    assert revised.data["changed"] == ["title", "capacity", "audience"]
    assert revised.data["audience"]["cohorts"] == ["2026-A"]

    await created(client.post("/v1/events/cevt-edit/cancel", json={"reason": "speaker ill"}, headers=desk), 200)
    refused = await client.patch("/v1/events/cevt-edit", json={"title": text("Too late")}, headers=desk)
    assert (refused.status_code, refused.json()["detail"]) == (409, "a cancelled event cannot be edited")


async def test_a_smaller_capacity_racing_registrations_never_leaves_more_seated_than_seats(
    client: httpx.AsyncClient, tokens: dict[str, str], community: Community
) -> None:
    desk = bearer(tokens["desk"])
    await created(client.post("/v1/members", json=member_body("member-a", people=12), headers=desk))
    outcomes: list[int] = []
    for round_ in range(6):
        event_id = f"cevt-shrink-{round_}"
        await created(client.post("/v1/events", json=event_body(event_id, capacity=20, publish=True), headers=desk))
        for n in range(4):
            await created(register(client, desk, event_id, "member-a", n))
        # The edit sent first, or after the registrations: it lands before, among or after their seats.
        edit = client.patch(f"/v1/events/{event_id}", json={"capacity": 5}, headers=desk)
        registrations = [register(client, desk, event_id, "member-a", n) for n in range(4, 12)]
        answers = (
            await asyncio.gather(edit, *registrations) if round_ % 2 else await asyncio.gather(*registrations, edit)
        )
        shrink = answers[0] if round_ % 2 else answers[-1]
        assert shrink.status_code in (200, 409), shrink.text
        assert all(a.status_code == 201 for a in answers if a is not shrink)
        outcomes.append(shrink.status_code)
        occupancy = await community.store.seats.occupancy(event_id)
        event, _ = await community.events.get(event_id)
        assert occupancy is not None
        assert occupancy.capacity == event.capacity
        assert occupancy.taken <= occupancy.capacity, (shrink.status_code, occupancy)
        # Nobody waits while a seat is free (a capacity set and then taken back would leave some).
        assert occupancy.waiting == 0 or occupancy.taken == occupancy.capacity, (shrink.status_code, occupancy)
        counted = await statuses(community, event_id)
        assert counted.get("confirmed", 0) == occupancy.taken
    print("capacity edits:", outcomes)


async def test_the_audience_may_name_cohorts(client: httpx.AsyncClient, tokens: dict[str, str]) -> None:
    desk = bearer(tokens["desk"])
    await created(client.post("/v1/members", json=member_body("member-a", cohort="2026-A"), headers=desk))
    await created(client.post("/v1/members", json=member_body("member-b", cohort="2025-B"), headers=desk))
    body = event_body("cevt-cohort", audience={"member_kinds": ["startup"], "cohorts": ["2026-A"]}, publish=True)
    await created(client.post("/v1/events", json=body, headers=desk))
    await created(register(client, desk, "cevt-cohort", "member-a", 0))
    refused = await register(client, desk, "cevt-cohort", "member-b", 0)
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        "Workshop cevt-cohort is for members of cohort 2026-A; Startup member-b is in cohort 2025-B"
    )


async def test_what_is_over_is_closed_and_the_scan_reads_only_open_seats(
    client: httpx.AsyncClient, tokens: dict[str, str], community: Community
) -> None:
    desk = bearer(tokens["desk"])
    await one_open_one_called_off(client, desk, "cevt-over", "cevt-off")
    set_clock(community, START + timedelta(hours=3))
    assert await community.registrations.complete_ended() == 1
    seats = community.store.seats
    for event_id in ("cevt-over", "cevt-off"):
        occupancy = await seats.occupancy(event_id)
        assert occupancy is not None
        assert occupancy.closed, event_id

    # Documents with a free seat and people waiting: the open ones are found, over several
    # batches; a closed one with the same is never read.
    later = START + timedelta(days=1)
    for n in range(5):
        await seats.open(f"cevt-wait-{n}", 2, later)
        await seats.collection.update_one({"_id": f"cevt-wait-{n}"}, {"$set": {"waiting": 1, "queue": ["r:1"]}})
    await seats.open("cevt-x-done", 2, later)
    await seats.close("cevt-x-done")
    for closed in ("cevt-off", "cevt-x-done"):
        await seats.collection.update_one({"_id": closed}, {"$set": {"waiting": 1, "queue": ["r:1"]}})
    assert await seats.events_to_promote(batch=2) == [f"cevt-wait-{n}" for n in range(5)]
    assert "open" in await seats.collection.index_information()  # what the scan reads by


async def test_an_event_is_planned_neither_in_the_past_nor_beyond_two_years(
    client: httpx.AsyncClient, tokens: dict[str, str], community: Community
) -> None:
    desk = bearer(tokens["desk"])
    now = datetime.now(UTC)
    cases = {
        "past": ("2020-01-01T10:00:00+01:00", "2020-01-01T12:00:00+01:00"),
        "far": ((now + timedelta(days=731)).isoformat(), (now + timedelta(days=731, hours=2)).isoformat()),
        "end": ("9999-12-31T10:00:00+01:00", "9999-12-31T12:00:00+01:00"),
    }
    for name, (starts_at, ends_at) in cases.items():
        body = event_body(f"cevt-{name}", time={"starts_at": starts_at, "ends_at": ends_at})
        answer = await client.post("/v1/events", json=body, headers=desk)
        assert answer.status_code == 422, (name, answer.text)
        assert "time.starts_at" in [e["field"] for e in answer.json()["errors"]], name
    await created(client.post("/v1/events", json=event_body("cevt-ok"), headers=desk))
    for starts_at, ends_at in cases.values():
        moved = await client.post(
            "/v1/events/cevt-ok/reschedule", json={"starts_at": starts_at, "ends_at": ends_at}, headers=desk
        )
        assert moved.status_code == 422, moved.text
        assert "starts_at" in [e["field"] for e in moved.json()["errors"]]


async def test_older_seat_documents_learn_their_start_and_close_when_over(
    client: httpx.AsyncClient, tokens: dict[str, str], community: Community
) -> None:
    """Documents written before this release: no `starts_at`, and open though their event ended."""
    desk = bearer(tokens["desk"])
    await one_open_one_called_off(client, desk, "cevt-old", "cevt-old-off")
    seats = community.store.seats.collection
    await seats.update_many({}, {"$unset": {"starts_at": ""}, "$set": {"closed": False}})
    assert await community.store.bring_seats_up_to_date() == 3
    old = await seats.find_one({"_id": "cevt-old"})
    off = await seats.find_one({"_id": "cevt-old-off"})
    assert old is not None
    assert off is not None
    assert (old["starts_at"].replace(tzinfo=UTC), old["closed"], off["closed"]) == (START, False, True)


async def test_a_venue_asks_for_features_spaces_knows(client: httpx.AsyncClient, tokens: dict[str, str]) -> None:
    hall = {"kind": "event_hall", "seats": 20, "features": ["sound_system", "sound"]}
    answer = await client.post(
        "/v1/events", json=event_body("cevt-sound", venue_requirement=hall), headers=bearer(tokens["desk"])
    )
    assert answer.status_code == 422, answer.text
    assert [e["field"] for e in answer.json()["errors"]] == ["venue_requirement.features.1"]


async def test_nobody_registers_once_the_event_started(
    client: httpx.AsyncClient, tokens: dict[str, str], community: Community
) -> None:
    """Decided by the seat book's update (`starts_at > now` in its condition), not by a read before it."""
    desk = bearer(tokens["desk"])
    await open_event_for(client, desk, "cevt-late", people=12, capacity=3)
    before = [await created(register(client, desk, "cevt-late", "member-a", n)) for n in range(2)]
    cancelled = await created(
        client.post(f"/v1/registrations/{before[1]['registration_id']}/cancel", headers=desk), 200
    )
    assert cancelled["status"] == "cancelled"

    set_clock(community, START + timedelta(minutes=1))
    # Ten newcomers and one who cancelled registering again, at once, with the reconciler running.
    late = [register(client, desk, "cevt-late", "member-a", n) for n in [1, *range(2, 12)]]
    answers = await asyncio.gather(*late, community.registrations.reconcile(settle=timedelta(0)))
    for answer in answers[:-1]:
        assert answer.status_code == 409, answer.text
        assert answer.json()["detail"] == "the event has started; registration is closed"
    occupancy = await community.store.seats.occupancy("cevt-late")
    assert occupancy is not None
    assert (occupancy.taken, occupancy.waiting, occupancy.queue) == (1, 0, [])
    assert await statuses(community, "cevt-late") == {"confirmed": 1, "cancelled": 1}  # nothing left placing


async def test_the_reconciler_gives_the_seats_the_start_a_reschedule_did_not_copy(
    client: httpx.AsyncClient, tokens: dict[str, str], community: Community
) -> None:
    """A crash between saving the moved event and retiming its seats leaves the old start there."""
    desk = bearer(tokens["desk"])
    await open_event_for(client, desk, "cevt-moved", people=3)
    later = START + timedelta(days=1)
    moved = await client.post(
        "/v1/events/cevt-moved/reschedule",
        json={"starts_at": later.isoformat(), "ends_at": (later + timedelta(hours=2)).isoformat()},
        headers=desk,
    )
    assert moved.status_code == 200, moved.text
    seats = community.store.seats
    await seats.collection.update_one({"_id": "cevt-moved"}, {"$set": {"starts_at": START}})  # the lost write

    set_clock(community, START + timedelta(minutes=1))  # after the old start, before the new one
    await community.registrations.reconcile(settle=timedelta(0))
    doc = await seats.collection.find_one({"_id": "cevt-moved"})
    assert doc is not None
    assert doc["starts_at"] == later
    assert await community.store.align_seat_starts() == 0  # repeated: nothing more to do
    mine = await created(register(client, desk, "cevt-moved", "member-a", 0))
    assert mine["status"] == "confirmed"

    # The repair is a compare-and-set on the start it read: a newer retime is never overwritten.
    assert not await seats.retime("cevt-moved", START, was=START - timedelta(days=1))
    doc = await seats.collection.find_one({"_id": "cevt-moved"})
    assert doc is not None
    assert doc["starts_at"] == later
