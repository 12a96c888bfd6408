"""Issue 26 in community: a front desk sees its own sites only, and no date or text a client
can send answers anything but a 422 naming the field.

The rule (`entrypoints/http/scope.py`, the kit's `Scope`): a desk of Casablanca does not see
a Rabat organisation (404), nor find it in a list or a search, and naming Rabat in a filter is
403; it sees the online events (no site) and its own site's; a registration is seen by the
desk of the event's site and by the desk of the organisation's home site.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from community_support import SITE, STARTS, bearer, created, event_body, member_body, member_token, text
from pydantic import ValidationError

from community.entrypoints.http.inputs import EventIn, TimeRangeIn
from community.entrypoints.http.members import LeaveIn, MemberIn, MemberPatch, StageIn
from community.entrypoints.http.people import PersonIn
from community.entrypoints.http.scope import events_seen, members_seen
from parkgrid.auth import Principal, Role, issue_token
from parkgrid.settings import KitSettings

pytest_plugins = ["community_fixtures"]

CASA = "site-casablanca"
CONTROL = "\u0000\u0001"
FAR_DATES = ["9999-12-31", "0001-01-01", "1999-12-31", "2200-01-01"]
FAR_INSTANTS = ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00", "2200-01-01T00:00:00+00:00"]


def fields_of(response: httpx.Response) -> list[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return [e["field"] for e in response.json()["errors"]]


def desk_of(settings: KitSettings, site: str) -> dict[str, str]:
    return bearer(issue_token(settings, role=Role.FRONT_DESK, subject=f"desk-{site}", sites=[site]))


def ids(response: httpx.Response, key: str) -> list[str]:
    assert response.status_code == 200, response.text
    return [item[key] for item in response.json()["items"]]


# --- fast: the rule as store filters, and the bodies ----------------------------------


def test_lists_are_narrowed_to_the_callers_scope() -> None:
    desk = Principal(subject="d", role=Role.FRONT_DESK, sites=[CASA])
    assert members_seen(desk) == {"home_site_id": {"$in": [CASA]}}
    assert events_seen(desk) == {"site_id": {"$in": [CASA, None]}}  # online events are everyone's
    member = Principal(subject="m", role=Role.MEMBER, member_id="member-a")
    assert members_seen(member) == {"_id": "member-a"}
    assert members_seen(Principal(subject="a", role=Role.ADMIN)) == {}


FAR_BODIES: list[tuple[type[Any], dict[str, Any], str]] = [
    *((MemberIn, {**member_body("m"), "started_on": day}, "started_on") for day in FAR_DATES),
    *((MemberIn, {**member_body("m"), "planned_end_on": day}, "planned_end_on") for day in FAR_DATES),
    *((MemberPatch, {"planned_end_on": day}, "planned_end_on") for day in FAR_DATES),
    *((StageIn, {"stage": "alumni", "planned_end_on": day}, "planned_end_on") for day in FAR_DATES),
    *((LeaveIn, {"on": day}, "on") for day in FAR_DATES),
    *((TimeRangeIn, {"starts_at": at, "ends_at": "2027-01-12T12:00:00+01:00"}, "starts_at") for at in FAR_INSTANTS),
    *((TimeRangeIn, {"starts_at": "2027-01-12T10:00:00+01:00", "ends_at": at}, "ends_at") for at in FAR_INSTANTS),
    (MemberIn, member_body("m", name=CONTROL), "name"),
    (MemberIn, member_body("m", sector="agri\x1btech"), "sector"),
    (MemberIn, member_body("m", cohort="2026\x00"), "cohort"),
    (MemberIn, member_body("m", name="   "), "name"),
    (MemberPatch, {"name": CONTROL}, "name"),
    (StageIn, {"stage": "alumni", "cohort": "\x7f"}, "cohort"),
    (LeaveIn, {"reason": "bought\u0085out"}, "reason"),
    (PersonIn, {"name": CONTROL, "email": "a@b.ma", "role": "CEO"}, "name"),
    (PersonIn, {"name": "Salma", "email": "a@b.ma", "role": "C\tEO"}, "role"),
    (EventIn, event_body("e", title={"fr": "Atelier\n", "en": "Work\nshop"}), "title"),
    (EventIn, event_body("e", description={"fr": "ok", "en": "bell\u0007"}), "description"),
]


@pytest.mark.parametrize(("model", "body", "field"), FAR_BODIES)
def test_bodies_refuse_far_dates_and_control_characters(model: type[Any], body: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        model.model_validate(body)
    assert any(field in ".".join(str(p) for p in e["loc"]) for e in refused.value.errors()), refused.value


def test_text_is_trimmed_and_descriptions_keep_their_lines() -> None:
    member = MemberIn.model_validate(member_body("m", name="  Argan Tech  "))
    assert member.name == "Argan Tech"
    event = EventIn.model_validate(event_body("e", description={"fr": "ligne 1\nligne 2", "en": "\tline\r\n"}))
    assert event.description.fr == "ligne 1\nligne 2"


# --- the running service --------------------------------------------------------------


async def test_a_desk_sees_its_own_sites_members_only(
    client: httpx.AsyncClient, tokens: dict[str, str], settings: KitSettings
) -> None:
    admin = bearer(tokens["admin"])
    casa_desk = desk_of(settings, CASA)
    await created(client.post("/v1/members", json=member_body("member-rabat", name="Rabat Robotics"), headers=admin))
    await created(
        client.post("/v1/members", json=member_body("member-casa", name="Casa Pay", home_site_id=CASA), headers=admin)
    )

    assert (await client.get("/v1/members/member-rabat", headers=casa_desk)).status_code == 404
    assert (await client.get("/v1/members/member-nobody", headers=casa_desk)).status_code == 404  # the same answer
    assert (await client.get("/v1/members/member-casa", headers=casa_desk)).status_code == 200
    assert ids(await client.get("/v1/members", headers=casa_desk), "member_id") == ["member-casa"]
    assert ids(await client.get("/v1/members", params={"q": "rabat"}, headers=casa_desk), "member_id") == []
    assert ids(await client.get("/v1/members", params={"q": "casa"}, headers=casa_desk), "member_id") == ["member-casa"]
    named = await client.get("/v1/members", params={"site_id": SITE}, headers=casa_desk)
    assert named.status_code == 403, named.text
    own = await client.get("/v1/members", params={"site_id": CASA}, headers=casa_desk)
    assert ids(own, "member_id") == ["member-casa"]
    assert len(ids(await client.get("/v1/members", headers=admin), "member_id")) == 2

    writes: list[tuple[str, str, dict[str, Any] | None]] = [
        ("PATCH", "/v1/members/member-rabat", {"name": "Mine now"}),
        ("POST", "/v1/members/member-rabat/stage", {"stage": "alumni"}),
        ("POST", "/v1/members/member-rabat/people", {"name": "B", "email": "b@rabat.ma", "role": "x"}),
        ("POST", "/v1/members/member-rabat/people/member-rabat-p1/leave", None),
        ("POST", "/v1/members/member-rabat/leave", {}),
    ]
    for method, path, body in writes:
        answer = await client.request(method, path, json=body, headers={**casa_desk, "If-Match": '"1"'})
        assert answer.status_code == 404, (method, path, answer.text)
    moved = await client.patch(
        "/v1/members/member-casa", json={"home_site_id": SITE}, headers={**casa_desk, "If-Match": '"1"'}
    )
    assert moved.status_code == 403, moved.text
    member = bearer(member_token(settings, "member-casa", "member-casa-p0"))
    assert (await client.get("/v1/members/member-rabat", headers=member)).status_code == 404


async def test_a_desk_sees_its_sites_events_the_online_ones_and_their_registrations(
    client: httpx.AsyncClient, tokens: dict[str, str], settings: KitSettings
) -> None:
    admin = bearer(tokens["admin"])
    casa_desk, rabat_desk = desk_of(settings, CASA), desk_of(settings, SITE)
    await created(client.post("/v1/members", json=member_body("member-rabat"), headers=admin))
    await created(client.post("/v1/members", json=member_body("member-casa", home_site_id=CASA), headers=admin))
    await created(client.post("/v1/events", json=event_body("cevt-rabat", publish=True), headers=admin))
    online = event_body("cevt-online", site_id=None, mode="online", time_zone="Africa/Casablanca", publish=True)
    await created(client.post("/v1/events", json=online, headers=admin))

    assert ids(await client.get("/v1/events", headers=casa_desk), "event_id") == ["cevt-online"]
    assert (await client.get("/v1/events", params={"site_id": SITE}, headers=casa_desk)).status_code == 403
    assert (await client.get("/v1/events/cevt-rabat", headers=casa_desk)).status_code == 404
    assert (
        await client.post("/v1/events/cevt-rabat/cancel", json={"reason": "x"}, headers=casa_desk)
    ).status_code == 404
    assert (await client.get("/v1/events/cevt-rabat/registrations", headers=casa_desk)).status_code == 404
    assert sorted(ids(await client.get("/v1/events", headers=rabat_desk), "event_id")) == ["cevt-online", "cevt-rabat"]
    member = bearer(member_token(settings, "member-casa", "member-casa-p0"))
    assert len(ids(await client.get("/v1/events", headers=member), "event_id")) == 2  # published: every member's

    # the Rabat desk registers its own organisation (as before); the Casa member registers itself at Rabat
    rabat_at_rabat = await created(
        client.post("/v1/events/cevt-rabat/registrations", json={"person_id": "member-rabat-p0"}, headers=rabat_desk)
    )
    casa_at_rabat = await created(
        client.post("/v1/events/cevt-rabat/registrations", json={"person_id": "member-casa-p0"}, headers=member)
    )
    await created(
        client.post("/v1/events/cevt-online/registrations", json={"person_id": "member-rabat-p1"}, headers=admin)
    )
    casa_online = await created(
        client.post("/v1/events/cevt-online/registrations", json={"person_id": "member-casa-p1"}, headers=casa_desk)
    )
    foreign = await client.post(
        "/v1/events/cevt-online/registrations", json={"person_id": "member-rabat-p0"}, headers=casa_desk
    )
    assert fields_of(foreign) == ["person_id"]  # another site's person is no one the desk knows

    rid = rabat_at_rabat["registration_id"]
    for path in (f"/v1/registrations/{rid}", f"/v1/registrations/{rid}/ticket"):
        assert (await client.get(path, headers=casa_desk)).status_code == 404, path
    assert (await client.post(f"/v1/registrations/{rid}/cancel", headers=casa_desk)).status_code == 404
    for query in ({"member_id": "member-rabat"}, {"event_id": "cevt-rabat"}):
        assert (await client.get("/v1/registrations", params=query, headers=casa_desk)).status_code == 404, query
    by_person = await client.get("/v1/registrations", params={"person_id": "member-rabat-p0"}, headers=casa_desk)
    assert ids(by_person, "registration_id") == []
    # the list of an online event: the desk's own organisations only
    at_online = await client.get("/v1/events/cevt-online/registrations", headers=casa_desk)
    assert ids(at_online, "registration_id") == [casa_online["registration_id"]]
    # the list at the door of Rabat holds the Casa member too; and the Casa desk sees its member's
    at_door = await client.get("/v1/events/cevt-rabat/registrations", headers=rabat_desk)
    assert sorted(ids(at_door, "registration_id")) == sorted([rid, casa_at_rabat["registration_id"]])
    casa_rid = casa_at_rabat["registration_id"]
    assert (await client.get(f"/v1/registrations/{casa_rid}", headers=rabat_desk)).status_code == 200
    assert (await client.get(f"/v1/registrations/{casa_rid}", headers=casa_desk)).status_code == 200
    mine = await client.get("/v1/registrations", params={"member_id": "member-casa"}, headers=casa_desk)
    assert sorted(ids(mine, "registration_id")) == sorted([casa_rid, casa_online["registration_id"]])


async def test_far_dates_and_control_characters_are_422_on_every_route(
    client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    admin = bearer(tokens["admin"])
    await created(client.post("/v1/members", json=member_body("member-a"), headers=admin))
    await created(client.post("/v1/events", json=event_body("cevt-1", publish=True), headers=admin))
    ok_end = "2027-01-12T12:00:00+01:00"
    cases: list[tuple[str, str, dict[str, Any], str]] = [
        ("POST", "/v1/members", member_body("m-1", started_on="9999-12-31"), "started_on"),
        ("POST", "/v1/members", member_body("m-2", planned_end_on="0001-01-01"), "planned_end_on"),
        ("POST", "/v1/members", member_body("m-3", name=CONTROL), "name"),
        ("POST", "/v1/members", member_body("m-4", people=1) | {"people": [{"name": CONTROL}]}, "people.0.name"),
        ("PATCH", "/v1/members/member-a", {"planned_end_on": "9999-12-31"}, "planned_end_on"),
        ("PATCH", "/v1/members/member-a", {"name": CONTROL}, "name"),
        ("POST", "/v1/members/member-a/stage", {"stage": "alumni", "planned_end_on": "9999-12-31"}, "planned_end_on"),
        ("POST", "/v1/members/member-a/stage", {"stage": "alumni", "cohort": CONTROL}, "cohort"),
        ("POST", "/v1/members/member-a/leave", {"on": "0001-01-01"}, "on"),
        ("POST", "/v1/members/member-a/leave", {"reason": CONTROL}, "reason"),
        ("POST", "/v1/members/member-a/people", {"name": CONTROL, "email": "b@a.ma", "role": "x"}, "name"),
        ("POST", "/v1/members/member-a/people", {"name": "B", "email": "b@a.ma", "role": CONTROL}, "role"),
        *(
            ("POST", "/v1/events", event_body("e-1", time={"starts_at": at, "ends_at": ok_end}), "time.starts_at")
            for at in FAR_INSTANTS
        ),
        (
            "POST",
            "/v1/events",
            event_body("e-2", time={"starts_at": STARTS, "ends_at": "9999-12-31T23:00:00-05:00"}),
            "time.ends_at",
        ),
        ("POST", "/v1/events", event_body("e-3", title=text(CONTROL)), "title.fr"),
        ("POST", "/v1/events", event_body("e-4", description={"fr": "ok", "en": "\u0007"}), "description.en"),
        *(
            ("POST", "/v1/events/cevt-1/reschedule", {"starts_at": at, "ends_at": ok_end}, "starts_at")
            for at in FAR_INSTANTS
        ),
        ("POST", "/v1/events/cevt-1/reschedule", {"starts_at": STARTS, "ends_at": FAR_INSTANTS[1]}, "ends_at"),
        ("POST", "/v1/events/cevt-1/cancel", {"reason": CONTROL}, "reason"),
    ]
    for method, path, body, field in cases:
        answer = await client.request(method, path, json=body, headers={**admin, "If-Match": '"1"'})
        assert field in fields_of(answer), (method, path, body, answer.text)
    queries: list[tuple[str, dict[str, str], str]] = [
        *(("/v1/events", {"from": at}, "from") for at in FAR_INSTANTS),
        *(("/v1/events", {"to": at}, "to") for at in FAR_INSTANTS),
        ("/v1/events", {"from": "9999-12-31"}, "from"),
        ("/v1/members", {"q": CONTROL}, "q"),
        ("/v1/members", {"cohort": "2026\u001b"}, "cohort"),
    ]
    for path, query, field in queries:
        answer = await client.get(path, params=query, headers=admin)
        assert f"query.{field}" in fields_of(answer), (path, query, answer.text)
    assert (await client.get("/v1/members/member-a", headers=admin)).json()["name"] == "Startup member-a"
