"""Visitors against the real store and broker: a member registers a guest, the desk sees the day's
guests and checks them in and out, a double check-in makes one arrival, cancelling, who sees
what, and the guest forgotten once the retention has passed; the `spaces.visit` events."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from spaces_support import SITE, Clock, add_site_with_rooms, bearer, fields_of, registered

from parkgrid.auth import Role, issue_token
from parkgrid.contracts.community import MemberRegistered, SealedPerson
from parkgrid.events import registry
from parkgrid.known import KnownMembers
from parkgrid.settings import KitSettings
from parkgrid.store import Database
from parkgrid.testing.topics import read_topic
from spaces.service_layer.visits import Visits

pytest_plugins = ["spaces_fixtures"]

TODAY = "2026-12-01"  # the pinned clock's Tuesday at the test site
TOMORROW = "2026-12-02"


async def host_members(database: Database) -> None:
    """org-1 with its people person-1 and person-2, org-2 with person-9 (straight into spaces' projection)."""
    members = KnownMembers(database["members"])
    for member_id, people in (("org-1", ("person-1", "person-2")), ("org-2", ("person-9",))):
        fields = registered(member_id).model_dump()
        fields["people"] = [
            SealedPerson(person_id=p, name=p.title(), email=f"{p}@example.org", role="CEO") for p in people
        ]
        event = MemberRegistered(**fields)
        await members.apply(registry.envelope(event, source="community", subject=member_id, sequence=1), event)


def invitation(day: str = TODAY, **extra: Any) -> dict[str, Any]:
    return {
        "site_id": SITE,
        "day": day,
        "member_id": "org-1",
        "guest_name": "Salma Idrissi",
        "guest_company": "Maghreb Seed Fund",
        "expected_at": "10:30",
        **extra,
    }


async def setup(client: httpx.AsyncClient, tokens: dict[str, str], database: Database) -> None:
    await add_site_with_rooms(client, tokens["admin"], [{"space_id": "room-1", "name": "Salle Atlas", "capacity": 8}])
    await host_members(database)


async def test_a_member_invites_and_the_desk_checks_the_guest_in_and_out(
    app: FastAPI, client: httpx.AsyncClient, tokens: dict[str, str], settings: KitSettings, database: Database
) -> None:
    await setup(client, tokens, database)
    member, desk = bearer(tokens["member"], **{"Idempotency-Key": "invite-1"}), bearer(tokens["desk"])

    made = await client.post("/v1/visits", json=invitation(), headers=member)
    assert made.status_code == 201, made.text
    visit = made.json()
    assert visit["status"] == "expected"
    assert (visit["host_person_id"], visit["time_zone"], visit["day"]) == ("person-1", "Africa/Casablanca", TODAY)
    assert visit["registered_by"] == {"role": "member", "subject": "person-1"}
    again = await client.post("/v1/visits", json=invitation(), headers=member)
    assert (again.status_code, again.json()["visit_id"]) == (201, visit["visit_id"])
    assert again.headers["idempotent-replayed"] == "true"
    by_desk = await client.post(
        "/v1/visits",
        json=invitation(TOMORROW, guest_name="Karim Benali", host_person_id="person-2", expected_at=None),
        headers=desk,
    )
    assert by_desk.status_code == 201, by_desk.text

    today = await client.get(f"/v1/sites/{SITE}/visits", headers=desk)
    assert today.status_code == 200, today.text
    assert [(v["guest_name"], v["member_name"]) for v in today.json()["items"]] == [("Salma Idrissi", "Startup org-1")]
    assert [
        v["guest_name"]
        for v in (await client.get(f"/v1/sites/{SITE}/visits?date={TOMORROW}", headers=desk)).json()["items"]
    ] == ["Karim Benali"]
    own = await client.get("/v1/visits?member_id=org-1", headers=bearer(tokens["member"]))
    assert [v["day"] for v in own.json()["items"]] == [TODAY, TOMORROW]

    # Only on its day: tomorrow's guest cannot be checked in today; leaving before arriving is a conflict.
    assert (await client.post(f"/v1/visits/{by_desk.json()['visit_id']}/arrive", headers=desk)).status_code == 409
    assert (await client.post(f"/v1/visits/{visit['visit_id']}/leave", headers=desk)).status_code == 409
    arrived = await client.post(f"/v1/visits/{visit['visit_id']}/arrive", headers=desk)
    assert (arrived.status_code, arrived.json()["status"]) == (200, "arrived"), arrived.text
    assert arrived.json()["arrived_at"].startswith("2026-12-01T09:00")
    assert (await client.post(f"/v1/visits/{visit['visit_id']}/cancel", headers=desk)).status_code == 409
    left = await client.post(f"/v1/visits/{visit['visit_id']}/leave", headers=desk)
    assert (left.status_code, left.json()["status"]) == (200, "left")
    cancelled = await client.post(f"/v1/visits/{by_desk.json()['visit_id']}/cancel", headers=bearer(tokens["member"]))
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    assert (await client.post(f"/v1/visits/{by_desk.json()['visit_id']}/arrive", headers=desk)).status_code == 409

    events = await read_topic(settings, "spaces.visit", 5)
    told = {v: [e.type.rsplit(".", 1)[-1] for e in events if e.subject == v] for v in {e.subject for e in events}}
    assert told == {
        visit["visit_id"]: ["expected", "arrived", "left"],
        by_desk.json()["visit_id"]: ["expected", "cancelled"],
    }
    parsed = registry.parse(next(e for e in events if e.type.endswith(".arrived")))
    assert (parsed.guest_name, parsed.host_person_id, parsed.member_id) == ("Salma Idrissi", "person-1", "org-1")  # type: ignore[attr-defined]
    assert registry.parse(next(e for e in events if e.type.endswith(".cancelled"))).cancelled_by.role == "member"  # type: ignore[attr-defined]


async def test_what_is_refused_and_who_sees_what(
    app: FastAPI, client: httpx.AsyncClient, tokens: dict[str, str], settings: KitSettings, database: Database
) -> None:
    await setup(client, tokens, database)
    member, desk, other_desk = bearer(tokens["member"]), bearer(tokens["desk"]), bearer(tokens["other_desk"])

    assert fields_of(await client.post("/v1/visits", json=invitation("2026-11-30"), headers=member)) == ["day"]
    assert fields_of(await client.post("/v1/visits", json=invitation("2026-12-06"), headers=member)) == [
        "day"
    ]  # Sunday
    assert fields_of(await client.post("/v1/visits", json=invitation(guest_name="  "), headers=member)) == [
        "guest_name"
    ]
    assert fields_of(await client.post("/v1/visits", json=invitation(guest_name="a\x00b"), headers=member)) == [
        "guest_name"
    ]
    assert fields_of(await client.post("/v1/visits", json=invitation(expected_at="25:00"), headers=member)) == [
        "expected_at"
    ]
    assert fields_of(await client.post("/v1/visits", json=invitation(site_id="site-nowhere"), headers=member)) == [
        "site_id"
    ]
    assert fields_of(await client.post("/v1/visits", json=invitation(host_person_id="person-9"), headers=desk)) == [
        "host_person_id"
    ]
    assert fields_of(await client.post("/v1/visits", json=invitation(), headers=desk)) == ["host_person_id"]
    assert (await client.post("/v1/visits", json=invitation(member_id="org-2"), headers=member)).status_code == 403
    assert (
        await client.post("/v1/visits", json=invitation(host_person_id="person-2"), headers=member)
    ).status_code == 403
    assert (
        await client.post("/v1/visits", json=invitation(host_person_id="person-1"), headers=other_desk)
    ).status_code == 403

    made = await client.post("/v1/visits", json=invitation(), headers=member)
    assert made.status_code == 201, made.text
    visit_id = made.json()["visit_id"]
    org2 = bearer(issue_token(settings, role=Role.MEMBER, member_id="org-2", person_id="person-9"))
    assert (await client.get(f"/v1/visits/{visit_id}", headers=org2)).status_code == 404
    assert (await client.get(f"/v1/visits/{visit_id}", headers=other_desk)).status_code == 404
    assert (await client.post(f"/v1/visits/{visit_id}/cancel", headers=org2)).status_code == 404
    assert (await client.post(f"/v1/visits/{visit_id}/arrive", headers=other_desk)).status_code == 404
    assert (await client.post(f"/v1/visits/{visit_id}/arrive", headers=member)).status_code == 403
    assert (await client.get(f"/v1/sites/{SITE}/visits", headers=other_desk)).status_code == 404
    assert (await client.get(f"/v1/sites/{SITE}/visits", headers=member)).status_code == 403
    assert (await client.get("/v1/visits", headers=org2)).json()["items"] == []
    assert (await client.get("/v1/visits", headers=other_desk)).json()["items"] == []
    assert (await client.get("/v1/visits?member_id=org-1", headers=org2)).status_code == 403
    assert fields_of(await client.get(f"/v1/sites/{SITE}/visits?date=9999-12-31", headers=desk)) == ["query.date"]


async def test_desks_checking_one_guest_in_at_once_make_one_arrival(
    app: FastAPI, client: httpx.AsyncClient, tokens: dict[str, str], settings: KitSettings, database: Database
) -> None:
    """Each check-in reads the visit as expected; only the one whose write still finds the version
    it read arrives (without the version guard in `change`, each would publish an arrival)."""
    await setup(client, tokens, database)
    made = await client.post("/v1/visits", json=invitation(), headers=bearer(tokens["member"]))
    visit_id = made.json()["visit_id"]
    desk = bearer(tokens["desk"])

    answers = await asyncio.gather(*(client.post(f"/v1/visits/{visit_id}/arrive", headers=desk) for _ in range(6)))
    assert [a.status_code for a in answers] == [200] * 6
    assert {a.json()["arrived_at"] for a in answers} == {answers[0].json()["arrived_at"]}
    events = await read_topic(settings, "spaces.visit", 2, grace=2.0)
    assert [e.type for e in events] == ["parkgrid.spaces.visit.expected", "parkgrid.spaces.visit.arrived"]
    stored = await database["visits"].find_one({"_id": visit_id})
    assert stored is not None
    assert stored["version"] == 2


async def test_the_guest_is_forgotten_once_the_retention_has_passed(
    app: FastAPI, client: httpx.AsyncClient, tokens: dict[str, str], clock: Clock, database: Database
) -> None:
    await setup(client, tokens, database)
    member = bearer(tokens["member"])
    early = (await client.post("/v1/visits", json=invitation(), headers=member)).json()
    later = (
        await client.post("/v1/visits", json=invitation(TOMORROW, guest_name="Karim Benali"), headers=member)
    ).json()
    visits: Visits = app.state.components[Visits]

    clock.advance(timedelta(days=30))
    assert await visits.erase_past() == 0  # 30 days after the first: still kept
    clock.advance(timedelta(days=1))
    assert await visits.erase_past() == 1
    assert await visits.erase_past() == 0
    forgotten = (await client.get(f"/v1/visits/{early['visit_id']}", headers=member)).json()
    assert (forgotten["guest_name"], forgotten["guest_company"], forgotten["erased"]) == (None, None, True)
    assert (forgotten["status"], forgotten["member_id"], forgotten["day"]) == ("expected", "org-1", TODAY)
    kept = (await client.get(f"/v1/visits/{later['visit_id']}", headers=member)).json()
    assert kept["guest_name"] == "Karim Benali"
    stored = await database["visits"].find_one({"_id": early["visit_id"]})
    assert stored is not None
    assert "Salma" not in str({k: v for k, v in stored.items() if k != "outbox"})
    assert (await client.post(f"/v1/visits/{early['visit_id']}/cancel", headers=member)).status_code == 409
