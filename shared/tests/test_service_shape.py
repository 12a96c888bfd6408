"""The kit's service-shape pieces: refusals as problems, access checks, subscriptions, topics, strict bodies."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field, ValidationError

from parkgrid.auth import Principal, Role
from parkgrid.consumer import Delivery
from parkgrid.contracts.common import WeeklyWindow
from parkgrid.contracts.topics import topic, topics
from parkgrid.events import registry
from parkgrid.http.access import Scope, acts_for, at_site, component, provide
from parkgrid.http.models import strict
from parkgrid.http.problems import Forbidden, NotFound, install_problem_handlers
from parkgrid.inputs import Day, Instant, LongText, Text
from parkgrid.refusals import Refused, StaleVersion
from parkgrid.runtime import ServiceRuntime, Subscription
from parkgrid.settings import KitSettings

DESK_RABAT = Principal(subject="desk", role=Role.FRONT_DESK, sites=["site-rabat"])
MEMBER = Principal(subject="p", role=Role.MEMBER, member_id="m-1")


def test_each_kind_of_refusal_answers_its_status_as_problem_json() -> None:
    app = FastAPI()
    install_problem_handlers(app)
    refusals = {
        "invalid": Refused.invalid("no such day", field="day"),
        "missing": Refused.not_found("there is no booking b-1"),
        "forbidden": Refused.forbidden("not yours"),
        "conflict": Refused.conflict("the session is full"),
        "stale": StaleVersion("the site changed since you read it"),
    }

    @app.get("/{name}")
    async def refuse(name: str) -> None:
        raise refusals[name]

    client = TestClient(app)
    answers = {name: client.get(f"/{name}") for name in refusals}
    assert {name: a.status_code for name, a in answers.items()} == {
        "invalid": 422,
        "missing": 404,
        "forbidden": 403,
        "conflict": 409,
        "stale": 412,
    }
    assert {a.headers["content-type"] for a in answers.values()} == {"application/problem+json"}
    assert answers["invalid"].json()["errors"] == [{"field": "day", "message": "no such day"}]
    assert answers["stale"].json()["errors"][0]["field"] == "If-Match"
    assert answers["conflict"].json()["detail"] == "the session is full"


def test_a_front_desk_acts_at_its_own_sites_and_a_member_for_its_own_organisation() -> None:
    at_site(DESK_RABAT, "site-rabat")
    at_site(DESK_RABAT, None)  # online: no site to guard
    with pytest.raises(Forbidden):
        at_site(DESK_RABAT, "site-fes")
    with pytest.raises(NotFound, match="there is no site site-fes"):
        at_site(DESK_RABAT, "site-fes", hidden=True)
    acts_for(MEMBER, "m-1")
    with pytest.raises(Forbidden) as refused:
        acts_for(MEMBER, "m-2", field="member_id")
    assert refused.value.field == "member_id"


def test_routes_get_the_components_the_app_provides() -> None:
    class Clock:
        now = "09:00"

    app = FastAPI()
    provide(app, Clock())

    @app.get("/now")
    async def now(clock: Clock = component(Clock)) -> str:
        return clock.now

    assert TestClient(app).get("/now").json() == "09:00"


async def test_a_subscription_with_a_batch_apply_is_rebuilt_in_batches() -> None:
    runtime = ServiceRuntime(KitSettings(PARKGRID_SERVICE_NAME="sample"), registry=registry)
    applied: list[int] = []

    async def handle(delivery: Delivery) -> None:
        applied.append(1)

    async def handle_batch(deliveries: Sequence[Delivery]) -> None:
        applied.append(len(deliveries))

    async def indexes() -> None:
        return None

    collection = runtime.db["members"]
    runtime.subscribe(
        Subscription(
            "members",
            topics("community.member"),
            handle,
            projections=[collection],
            apply_batch=handle_batch,
            after_drop=indexes,
        ),
        Subscription("commands", [topic("spaces.commands")], handle),
    )
    assert [r.name for r in runtime.consumers] == ["members", "commands"]
    spec = runtime.projections["members"]
    assert (spec.apply_batch, spec.after_drop, list(spec.collections)) == (handle_batch, indexes, [collection])
    assert "commands" not in runtime.projections
    await runtime.mongo.close()


def test_topics_are_found_by_name_and_an_unknown_name_says_so() -> None:
    assert topic("spaces.site").partitions == 1
    assert [t.name for t in topics("community.member", "spaces.commands")] == ["community.member", "spaces.commands"]
    with pytest.raises(KeyError, match="no topic"):
        topic("spaces.sites")


def test_a_strict_body_refuses_unknown_fields_and_is_made_once() -> None:
    window_in = strict(WeeklyWindow)
    assert strict(WeeklyWindow) is window_in
    assert window_in.model_validate({"weekday": 1, "opens": "09:00", "closes": "12:00"}).opens == "09:00"
    with pytest.raises(ValidationError, match="extra"):
        window_in.model_validate({"weekday": 1, "opens": "09:00", "closes": "12:00", "colour": "red"})
    WeeklyWindow.model_validate({"weekday": 1, "opens": "09:00", "closes": "12:00", "colour": "red"})


def test_the_scope_shows_staff_their_sites_members_their_organisation_and_admins_everything() -> None:
    admin = Scope(Principal(subject="a", role=Role.ADMIN))
    desk = Scope(DESK_RABAT)
    member = Scope(MEMBER)
    assert admin.sees(site_id="site-fes", member_id="m-9")
    assert desk.sees(site_id="site-rabat", member_id="m-9")
    assert not desk.sees(site_id="site-fes", member_id="m-1")
    assert not desk.sees(member_id="m-1")  # no site: nothing places it at theirs
    assert member.sees(site_id="site-fes", member_id="m-1")
    assert not member.sees(site_id="site-rabat", member_id="m-2")
    with pytest.raises(NotFound, match="there is no member m-2"):
        member.require("member m-2", member_id="m-2")
    assert admin.query() == {}
    assert desk.query(site_field="home_site_id") == {"home_site_id": {"$in": ["site-rabat"]}}
    assert member.query(member_field="_id") == {"_id": "m-1"}
    assert desk.query(site_field=None) == {"_id": {"$in": []}}


class Named(BaseModel):
    name: Annotated[Text, Field(min_length=1, max_length=20)]
    note: LongText = ""
    on: Day | None = None
    at: Instant | None = None


def test_text_is_trimmed_and_control_characters_are_refused_in_words() -> None:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/named")
    async def named(body: Named) -> Named:
        return body

    client = TestClient(app)
    ok = client.post("/named", json={"name": "  Fès MedTech ", "note": "line 1\nline 2"})
    assert ok.json()["name"] == "Fès MedTech"
    assert ok.json()["note"] == "line 1\nline 2"
    refused = client.post("/named", json={"name": "\u0000\u0001"}).json()
    assert refused["errors"] == [{"field": "name", "message": "control characters are not allowed here"}]
    assert client.post("/named", json={"name": "   "}).status_code == 422
    for field, value in (
        ("on", "9999-12-31"),
        ("at", "9999-12-31T23:00:00-05:00"),
        ("at", "0001-01-01T00:00:00+05:00"),
    ):
        answer = client.post("/named", json={"name": "x", field: value})
        assert answer.status_code == 422, (field, value)
        assert answer.json()["errors"][0]["field"] == field


def test_a_scope_names_the_sites_it_is_limited_to() -> None:
    assert Scope(DESK_RABAT).sites == frozenset({"site-rabat"})
    assert Scope(MEMBER).sites is None
    assert Scope(Principal(subject="a", role=Role.ADMIN)).sites is None
