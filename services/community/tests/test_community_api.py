"""The HTTP API of community against the real store and broker: members and their people,
events without a venue, registrations and tickets, bad input, roles, published events."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
from community_support import SITE, STARTS, bearer, created, event_body, member_body, member_token, read_topic, text

from community.bootstrap import Community
from parkgrid.settings import KitSettings

pytest_plugins = ["community_fixtures"]


def fields_of(response: httpx.Response) -> list[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return [e["field"] for e in response.json()["errors"]]


async def test_members_people_and_programme(
    client: httpx.AsyncClient, tokens: dict[str, str], settings: KitSettings
) -> None:
    desk = bearer(tokens["desk"])
    member = await created(client.post("/v1/members", json=member_body("member-argan", people=1), headers=desk))
    assert member["programme"]["stage"] == "incubation"
    assert member["programme"]["planned_end_on"] is not None  # ~18 months by default
    await created(
        client.post(
            "/v1/members/member-argan/people",
            json={"person_id": "person-salma", "name": "Salma", "email": "salma@argan.ma", "role": "CTO"},
            headers=desk,
        )
    )
    same_email = await client.post(
        "/v1/members",
        json=member_body("member-other", people=0)
        | {"people": [{"name": "X", "email": "SALMA@argan.ma", "role": "dev"}]},
        headers=desk,
    )
    assert "people.0.email" in fields_of(same_email)
    moved = await client.post(
        "/v1/members/member-argan/stage", json={"stage": "acceleration", "cohort": "2027-A"}, headers=desk
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["programme"]["stage"] == "acceleration"
    gone = await client.post("/v1/members/member-argan/people/person-salma/leave", headers=desk)
    assert [p["person_id"] for p in gone.json()["people"]] == ["member-argan-p0"]
    assert gone.json()["former_people"][0]["person"]["person_id"] == "person-salma"

    got = await client.get("/v1/members/member-argan", headers=desk)
    stale = got.headers["ETag"]
    renamed = await client.patch(
        "/v1/members/member-argan", json={"name": "Argan Tech"}, headers={**desk, "If-Match": stale}
    )
    assert renamed.status_code == 200, renamed.text
    again = await client.patch("/v1/members/member-argan", json={"name": "Old"}, headers={**desk, "If-Match": stale})
    assert again.status_code == 412
    assert (await client.patch("/v1/members/member-argan", json={"name": "x"}, headers=desk)).status_code == 428

    await created(client.post("/v1/members", json=member_body("member-zitoun", stage="pre_incubation"), headers=desk))
    found = await client.get("/v1/members", params={"q": "ARGAN"}, headers=desk)
    assert [m["member_id"] for m in found.json()["items"]] == ["member-argan"]
    found = await client.get("/v1/members", params={"stage": "pre_incubation", "site_id": SITE}, headers=desk)
    assert [m["member_id"] for m in found.json()["items"]] == ["member-zitoun"]
    first = await client.get("/v1/members", params={"limit": 1}, headers=desk)
    second = await client.get("/v1/members", params={"limit": 1, "cursor": first.json()["next_cursor"]}, headers=desk)
    assert first.json()["items"][0]["member_id"] != second.json()["items"][0]["member_id"]
    left = await client.post("/v1/members/member-zitoun/leave", json={"reason": "acquired"}, headers=desk)
    assert left.json()["status"] == "left"

    events = await read_topic(settings, "community.member", until=7)
    by_member: dict[str, list[str]] = {}
    for e in events:  # each member's events in order on its partition
        by_member.setdefault(e.subject, []).append(e.type.rsplit(".", 1)[1])
    assert by_member == {
        "member-argan": ["registered", "person_added", "stage_changed", "person_removed", "updated"],
        "member-zitoun": ["registered", "left"],
    }
    assert all(e.data["member_id"] == e.subject for e in events)
    # In order, numbered by the member's version (each person's key, on its own topic, takes a number too).
    assert [e.sequence for e in events if e.subject == "member-argan"] == [2, 4, 5, 6, 7]
    keys = await read_topic(settings, "community.subject_key", until=4)
    assert sorted(e.subject for e in keys) == [
        "member-argan-p0",
        "member-zitoun-p0",
        "member-zitoun-p1",
        "person-salma",
    ]
    assert {e.data["member_id"] for e in keys} == {"member-argan", "member-zitoun"}
    assert all("salma@argan.ma" not in str(e.data) for e in events)  # the address only ever sealed


async def test_an_admin_erases_a_person_and_every_subscriber_is_told(
    client: httpx.AsyncClient, tokens: dict[str, str], settings: KitSettings
) -> None:
    desk, admin = bearer(tokens["desk"]), bearer(tokens["admin"])
    await created(client.post("/v1/members", json=member_body("member-erase", people=2), headers=desk))
    await client.post("/v1/members/member-erase/people/member-erase-p1/leave", headers=desk)
    erase = "/v1/members/member-erase/people/{}/erase"
    refused = await client.post(erase.format("member-erase-p0"), headers=desk)
    assert refused.status_code == 403, refused.text  # a front desk cannot erase anyone
    unknown = await client.post(erase.format("person-nobody"), headers=admin)
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("application/problem+json")
    former = await client.post(erase.format("member-erase-p1"), headers=admin)
    assert former.status_code == 200, former.text
    assert former.json()["former_people"] == []
    current = await client.post(erase.format("member-erase-p0"), headers=admin)
    assert current.json()["people"] == []
    again = await client.post(erase.format("member-erase-p0"), headers=admin)
    assert (again.status_code, again.headers["ETag"]) == (200, current.headers["ETag"])  # no change, no event

    erased_address = member_body("member-erase", people=2)["people"][0]["email"]
    reused = await client.post(
        "/v1/members",
        json=member_body("member-after", people=0)
        | {"people": [{"name": "Y", "email": erased_address, "role": "dev"}]},
        headers=desk,
    )
    assert reused.status_code == 201, reused.text  # the directory let go of the address

    events = [e for e in await read_topic(settings, "community.member", until=5) if e.subject == "member-erase"]
    erased = [e for e in events if e.type.endswith(".person_erased")]
    assert [e.data["person_id"] for e in erased] == ["member-erase-p1", "member-erase-p0"]
    assert erased_address not in str(erased[-1].data)


async def test_an_organisation_that_left_is_erased_whole(
    client: httpx.AsyncClient, tokens: dict[str, str], settings: KitSettings
) -> None:
    desk, admin = bearer(tokens["desk"]), bearer(tokens["admin"])
    await created(client.post("/v1/members", json=member_body("member-whole", people=2), headers=desk))
    still_in = await client.post("/v1/members/member-whole/erase", headers=admin)
    assert still_in.status_code == 409, still_in.text
    await client.post("/v1/members/member-whole/leave", json={"reason": "closed"}, headers=desk)
    assert (await client.post("/v1/members/member-whole/erase", headers=desk)).status_code == 403
    erased = await client.post("/v1/members/member-whole/erase", headers=admin)
    assert erased.status_code == 200, erased.text
    assert erased.json()["people"] == []
    assert erased.json()["erased_people"] == ["member-whole-p0", "member-whole-p1"]
    events = await read_topic(settings, "community.member", until=4)
    assert [e.type.rsplit(".", 1)[1] for e in events] == ["registered", "left", "person_erased", "person_erased"]
    assert "@" not in str(events[-1].data)


async def test_registration_ticket_and_check_in(
    client: httpx.AsyncClient, tokens: dict[str, str], settings: KitSettings, community: Community
) -> None:
    desk = bearer(tokens["desk"])
    await created(client.post("/v1/members", json=member_body("member-a"), headers=desk))
    await created(client.post("/v1/members", json=member_body("member-b"), headers=desk))
    draft = await created(client.post("/v1/events", json=event_body("cevt-1", capacity=1), headers=desk))
    assert draft["status"] == "draft"
    assert draft["local_time"]["starts_at"] == "2027-01-12T10:00:00+01:00"
    member_a = bearer(member_token(settings, "member-a", "member-a-p0"))
    # A draft is not visible to members, nor open for registration.
    assert (await client.get("/v1/events/cevt-1", headers=member_a)).status_code == 404
    published = await client.post("/v1/events/cevt-1/publish", headers=desk)
    assert published.status_code == 200, published.text
    assert published.json()["status"] == "published"

    mine = await created(
        client.post("/v1/events/cevt-1/registrations", json={"person_id": "member-a-p0"}, headers=member_a)
    )
    assert mine["status"] == "confirmed"
    again = await client.post("/v1/events/cevt-1/registrations", json={"person_id": "member-a-p0"}, headers=member_a)
    assert again.status_code == 200
    assert again.json()["registration_id"] == mine["registration_id"]
    other_org = await client.post(
        "/v1/events/cevt-1/registrations", json={"person_id": "member-b-p0"}, headers=member_a
    )
    assert other_org.status_code == 403
    waiting = await created(
        client.post(
            "/v1/events/cevt-1/registrations", json={"person_id": "member-b-p0", "member_id": "member-b"}, headers=desk
        )
    )
    assert (waiting["status"], waiting["waitlist_position"]) == ("waitlisted", 1)
    assert (await client.get(f"/v1/registrations/{waiting['registration_id']}", headers=member_a)).status_code == 404
    listed = await client.get("/v1/registrations", headers=member_a)
    assert [r["registration_id"] for r in listed.json()["items"]] == [mine["registration_id"]]

    no_ticket = await client.get(f"/v1/registrations/{waiting['registration_id']}/ticket", headers=desk)
    assert no_ticket.status_code == 409
    ticket = await client.get(f"/v1/registrations/{mine['registration_id']}/ticket", headers=member_a)
    assert ticket.status_code == 200, ticket.text
    token = ticket.json()["token"]

    # Forged: the payload of another registration under the same signature.
    head, payload, signature = token.split(".")
    forged_payload = payload[:-4] + ("AAAA" if payload[-4:] != "AAAA" else "BBBB")
    forged = await client.post(
        "/v1/events/cevt-1/check-ins", json={"token": f"{head}.{forged_payload}.{signature}"}, headers=desk
    )
    assert "token" in fields_of(forged)
    # Another event's ticket.
    await created(client.post("/v1/events", json=event_body("cevt-2", publish=True), headers=desk))
    elsewhere = await client.post("/v1/events/cevt-2/check-ins", json={"token": token}, headers=desk)
    assert "token" in fields_of(elsewhere)
    assert "another event" in elsewhere.json()["detail"]
    # Expired: a ticket of this registration, valid until long ago.
    registration, _ = await community.registrations.get(mine["registration_id"])
    past = registration.model_copy(
        update={
            "event_time": registration.event_time.model_copy(
                update={
                    "starts_at": registration.event_time.starts_at.replace(year=2020),
                    "ends_at": registration.event_time.ends_at.replace(year=2020),
                }
            )
        }
    )
    expired = await client.post(
        "/v1/events/cevt-1/check-ins", json={"token": community.registrations.ticket(past)}, headers=desk
    )
    assert "expired" in expired.json()["detail"]
    assert "token" in fields_of(expired)
    # A member may not check in at the door.
    assert (
        await client.post("/v1/events/cevt-1/check-ins", json={"token": token}, headers=member_a)
    ).status_code == 403

    # Days before the event, the door is not open yet.
    early = await client.post("/v1/events/cevt-1/check-ins", json={"token": token}, headers=desk)
    assert early.status_code == 409, early.text
    assert early.json()["detail"] == "check-in opens at 12/01/2027 09:00"
    community.registrations.clock = lambda: datetime.fromisoformat(STARTS) - timedelta(minutes=20)
    first = await client.post("/v1/events/cevt-1/check-ins", json={"token": token}, headers=desk)
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "checked_in"
    second = await client.post("/v1/events/cevt-1/check-ins", json={"token": token}, headers=desk)
    assert second.status_code == 409
    assert second.json()["detail"] == "already checked in at 09:40"
    assert (
        await client.post(f"/v1/registrations/{mine['registration_id']}/cancel", headers=member_a)
    ).status_code == 409

    published_events = await read_topic(settings, "community.registration", until=3)
    assert sorted(e.type.rsplit(".", 1)[1] for e in published_events) == ["checked_in", "confirmed", "waitlisted"]


async def test_bad_input_names_the_field(client: httpx.AsyncClient, tokens: dict[str, str]) -> None:
    desk = bearer(tokens["desk"])
    await created(client.post("/v1/members", json=member_body("member-a"), headers=desk))
    await created(client.post("/v1/events", json=event_body("cevt-1", publish=True), headers=desk))
    long_text = "x" * 4001
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("/v1/events", event_body("e-1", site_id="site-nowhere"), "site_id"),
        (
            "/v1/events",
            event_body("e-2", time={"starts_at": "2027-01-12T12:00:00+01:00", "ends_at": "2027-01-12T10:00:00+01:00"}),
            "time.ends_at",
        ),
        ("/v1/events", event_body("e-3", capacity=0), "capacity"),
        ("/v1/events", event_body("e-4", title={"fr": long_text, "en": "ok"}), "title.fr"),
        ("/v1/events", {**event_body("e-5"), "colour": "blue"}, "colour"),
        (
            "/v1/events",
            event_body("e-6", time={"starts_at": "2027-01-12T10:00:00", "ends_at": "2027-01-12T12:00:00+01:00"}),
            "time.starts_at",
        ),
        (
            "/v1/events",
            event_body("e-7", venue_requirement={"kind": "event_hall", "seats": 5}),
            "venue_requirement.seats",
        ),
        ("/v1/events", event_body("e-8", site_id=None), "site_id"),
        ("/v1/members", member_body("m-1", home_site_id="site-nowhere"), "home_site_id"),
        (
            "/v1/members",
            member_body("m-2") | {"people": [{"name": "A", "email": "not-an-email", "role": "x"}]},
            "people.0.email",
        ),
        ("/v1/members", member_body("m-3", name="y" * 201), "name"),
        ("/v1/members", member_body("m-4", kind="spaceship"), "kind"),
        ("/v1/members", {**member_body("m-5"), "extra": 1}, "extra"),
        ("/v1/members/member-a/people", {"name": "B", "email": "b@", "role": "x"}, "email"),
        ("/v1/events/cevt-1/registrations", {"person_id": "nobody"}, "person_id"),
        ("/v1/events/cevt-1/registrations", {"person_id": "member-a-p0", "member_id": "member-zzz"}, "member_id"),
        ("/v1/events/cevt-1/registrations", {"person_id": "member-a-p0", "seat": 3}, "seat"),
        (
            "/v1/events/cevt-1/reschedule",
            {"starts_at": "2027-01-12T12:00:00+01:00", "ends_at": "2027-01-12T11:00:00+01:00"},
            "ends_at",
        ),
    ]
    for path, body, field in cases:
        response = await client.post(path, json=body, headers=desk)
        assert field in fields_of(response), (path, body, response.text)
    assert "cursor" in fields_of(await client.get("/v1/members", params={"cursor": "garbage"}, headers=desk))


async def test_roles(client: httpx.AsyncClient, tokens: dict[str, str], settings: KitSettings) -> None:
    desk = bearer(tokens["desk"])
    await created(client.post("/v1/members", json=member_body("member-a"), headers=desk))
    await created(client.post("/v1/events", json=event_body("cevt-1", publish=True), headers=desk))
    member = bearer(member_token(settings, "member-a", "member-a-p0"))
    staff_only: list[tuple[str, str, dict[str, Any] | None]] = [
        ("POST", "/v1/members", member_body("member-x")),
        ("GET", "/v1/members", None),
        ("PATCH", "/v1/members/member-a", {"name": "x"}),
        ("POST", "/v1/members/member-a/stage", {"stage": "alumni"}),
        ("POST", "/v1/members/member-a/people", {"name": "B", "email": "b@a.ma", "role": "x"}),
        ("POST", "/v1/members/member-a/people/member-a-p1/leave", None),
        ("POST", "/v1/members/member-a/leave", None),
        ("POST", "/v1/events", event_body("cevt-2")),
        ("POST", "/v1/events/cevt-1/publish", None),
        (
            "POST",
            "/v1/events/cevt-1/reschedule",
            {"starts_at": "2027-01-13T10:00:00+01:00", "ends_at": "2027-01-13T11:00:00+01:00"},
        ),
        ("POST", "/v1/events/cevt-1/cancel", {"reason": "x"}),
        ("GET", "/v1/events/cevt-1/registrations", None),
        ("POST", "/v1/events/cevt-1/check-ins", {"token": "x"}),
    ]
    for method, path, body in staff_only:
        response = await client.request(method, path, json=body, headers={**member, "If-Match": '"1"'})
        assert response.status_code == 403, (method, path, response.text)
    other_desk = bearer(tokens["other_desk"])
    # another site's event is not the other desk's to see (404, was 403 before the site scoping)
    assert (await client.post("/v1/events/cevt-1/cancel", json={"reason": "x"}, headers=other_desk)).status_code == 404
    assert (await client.post("/v1/members", json=member_body("member-y"), headers=other_desk)).status_code == 403
    assert (await client.get("/v1/members/member-b", headers=member)).status_code == 404
    assert (await client.get("/v1/members/member-a", headers=member)).status_code == 200
    assert (await client.get("/v1/events")).status_code == 401
    members_view = await client.get("/v1/events", headers=member)
    assert [e["event_id"] for e in members_view.json()["items"]] == ["cevt-1"]


async def test_audience_and_online_events(client: httpx.AsyncClient, tokens: dict[str, str]) -> None:
    desk = bearer(tokens["desk"])
    await created(client.post("/v1/members", json=member_body("member-a", kind="tpe"), headers=desk))
    online = event_body(
        "cevt-pitch",
        site_id=None,
        mode="online",
        kind="pitch_session",
        time_zone="Europe/Paris",
        audience={"member_kinds": ["startup"], "stages": ["acceleration"]},
        title=text("Pitch to investors"),
        publish=True,
    )
    event = await created(client.post("/v1/events", json=online, headers=desk))
    assert (event["status"], event["time_zone"]) == ("published", "Europe/Paris")
    refused = await client.post("/v1/events/cevt-pitch/registrations", json={"person_id": "member-a-p0"}, headers=desk)
    assert refused.status_code == 403
    assert "tpe" in refused.json()["detail"]
