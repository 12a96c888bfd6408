"""Integration tests of `parkgrid.runtime.create_app`: the HTTP conventions of DESIGN.md
around a tiny router, against the real store and broker (see parkgrid.testing.plugin).
"""

from __future__ import annotations

import asyncio
import gc
import json
import re
import time
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from pydantic import BaseModel, Field
from pymongo import AsyncMongoClient

from parkgrid.auth import CurrentPrincipal, Principal, Role, issue_token, require_roles
from parkgrid.events import EventRegistry
from parkgrid.http.problems import Conflict, NotFound
from parkgrid.runtime import ServiceRuntime, create_app
from parkgrid.settings import KitSettings
from parkgrid.store import Database, Document, ping
from parkgrid.testing.http import app_client

MAX_BODY = 2048
READY_WITHIN = 30.0  # seconds; the broker may be (re)starting while the tests run
STORE_WITHIN = 90.0
PROBLEM_JSON = "application/problem+json"
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


# ---------------------------------------------------------------- the router under test


class ThingIn(BaseModel):
    name: str = Field(min_length=1, max_length=40)
    seats: int = Field(ge=1, le=50)
    note: str = ""


Writer = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.FRONT_DESK))]


def build_router() -> APIRouter:
    router = APIRouter(prefix="/v1")

    def calls(request: Request) -> dict[str, int]:
        counters: dict[str, int] = request.app.state.calls
        return counters

    @router.post("/things", status_code=201)
    async def create_thing(body: ThingIn, request: Request, response: Response, principal: Writer) -> dict[str, Any]:
        calls(request)["create"] += 1
        runtime: ServiceRuntime = request.app.state.runtime
        # A random id on purpose: a second run of the handler would insert a second document.
        thing_id = str(uuid.uuid4())
        await runtime.db["things"].insert_one(
            {"_id": thing_id, **body.model_dump(), "state": "open", "created_by": principal.subject}
        )
        response.headers["Location"] = f"/v1/things/{thing_id}"
        return {"id": thing_id, **body.model_dump(), "state": "open"}

    @router.get("/things/{thing_id}")
    async def get_thing(thing_id: str, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
        runtime: ServiceRuntime = request.app.state.runtime
        doc = await runtime.db["things"].find_one({"_id": thing_id})
        if doc is None:
            raise NotFound(f"there is no thing {thing_id}")
        return {"id": doc.pop("_id"), **doc}

    @router.post("/things/{thing_id}/close")
    async def close_thing(thing_id: str, request: Request, principal: Writer) -> dict[str, str]:
        runtime: ServiceRuntime = request.app.state.runtime
        result = await runtime.db["things"].update_one(
            {"_id": thing_id, "state": "open"}, {"$set": {"state": "closed"}}
        )
        if result.modified_count == 0:
            if await runtime.db["things"].count_documents({"_id": thing_id}) == 0:
                raise NotFound(f"there is no thing {thing_id}")
            raise Conflict(f"thing {thing_id} is already closed")
        return {"id": thing_id, "state": "closed"}

    @router.get("/boom")
    async def boom() -> None:
        raise RuntimeError("internal detail: password=hunter2 at /srv/secret/db.py")

    @router.post("/flaky", status_code=201)
    async def flaky(request: Request, principal: Writer) -> dict[str, int]:
        calls(request)["flaky"] += 1
        if calls(request)["flaky"] == 1:
            raise RuntimeError("the first attempt fails")
        return {"attempt": calls(request)["flaky"]}

    @router.post("/slow", status_code=201)
    async def slow(request: Request, principal: Writer) -> dict[str, str]:
        calls(request)["slow"] += 1
        request.app.state.slow_entered.set()
        await request.app.state.slow_release.wait()
        return {"done": "yes"}

    return router


# ---------------------------------------------------------------- fixtures


@pytest.fixture
async def store_up(mongodb_uri: str) -> None:
    """Wait for the store: the local infrastructure may be restarting."""
    client: AsyncMongoClient[Document] = AsyncMongoClient(mongodb_uri, serverSelectionTimeoutMS=2000)
    deadline = time.monotonic() + STORE_WITHIN
    try:
        while True:
            try:
                await ping(client)
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(1)
    finally:
        await client.close()


@pytest.fixture
def settings(
    store_up: None, mongodb_uri: str, kafka_bootstrap: str, topic_prefix: str, database: Database
) -> KitSettings:
    return KitSettings(
        service_name="httptest",
        mongodb_uri=mongodb_uri,
        database_name=database.name,
        kafka_bootstrap_servers=kafka_bootstrap,
        topic_prefix=topic_prefix,
        max_body_bytes=MAX_BODY,
        log_json=False,
    )


@pytest.fixture
async def app(settings: KitSettings) -> AsyncIterator[FastAPI]:
    runtime = ServiceRuntime(settings, registry=EventRegistry())
    application = create_app(runtime, title="httptest", routers=[build_router()])
    application.state.calls = {"create": 0, "flaky": 0, "slow": 0}
    application.state.slow_entered = asyncio.Event()
    application.state.slow_release = asyncio.Event()
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    # raise_app_exceptions=False: Starlette re-raises an unhandled error after answering 500
    # (so that servers log it); a real server would not pass it to the client either.
    async with app_client(app, "httptest") as http:
        yield http


@pytest.fixture
def tokens(settings: KitSettings) -> dict[str, str]:
    return {
        "admin": issue_token(settings, role=Role.ADMIN, subject="admin-a"),
        "admin2": issue_token(settings, role=Role.ADMIN, subject="admin-b"),
        "desk": issue_token(settings, role=Role.FRONT_DESK, subject="desk-1", sites=["rabat"]),
        "member": issue_token(settings, role=Role.MEMBER, member_id="org-1", person_id="person-1"),
    }


def bearer(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0].strip() == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    for member in ("type", "title", "status", "detail"):
        assert member in body, f"{member} missing from {body}"
    assert body["status"] == status
    assert isinstance(body["detail"], str)
    assert body["detail"]
    return body


async def count_things(database: Database) -> int:
    return await database["things"].count_documents({})


THING = {"name": "Meeting room A", "seats": 8}


# ---------------------------------------------------------------- health, readiness, metrics


async def test_what_exists_once_the_app_has_started_is_set_aside_from_garbage_collection(app: FastAPI) -> None:
    # A full collection in bookings under load took 68-91 ms with its start-up objects walked,
    # 3-4 ms with them frozen (bench/README.md, 2026-12-07).
    assert gc.get_freeze_count() > 10_000


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "alive"}


async def test_readyz_turns_ready_once_store_and_kafka_answer(client: httpx.AsyncClient) -> None:
    deadline = time.monotonic() + READY_WITHIN
    while True:
        response = await client.get("/readyz")
        if response.status_code == 200 or time.monotonic() > deadline:
            break
        assert response.status_code == 503
        assert response.json()["status"] == "not-ready"
        await asyncio.sleep(0.5)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"]["store"] == "ok"
    assert body["checks"]["kafka"] == "ok"


async def test_metrics_count_requests_by_route_template(client: httpx.AsyncClient, tokens: dict[str, str]) -> None:
    raw_id = f"metric-{uuid.uuid4().hex}"
    response = await client.get(f"/v1/things/{raw_id}", headers=bearer(tokens["admin"]))
    assert response.status_code == 404
    response = await client.get("/metrics")
    assert response.status_code == 200
    text = response.text
    samples = [
        line
        for line in text.splitlines()
        if line.startswith("parkgrid_http_requests_total{") and 'service="httptest"' in line
    ]
    assert any(
        'method="GET"' in line and 'route="/v1/things/{thing_id}"' in line and 'status="404"' in line
        for line in samples
    ), samples
    assert raw_id not in text
    assert "parkgrid_http_request_seconds" in text


# ---------------------------------------------------------------- the happy path and correlation


async def test_create_answers_201_with_location_and_get_finds_it(
    client: httpx.AsyncClient, tokens: dict[str, str], database: Database
) -> None:
    response = await client.post("/v1/things", json=THING, headers=bearer(tokens["desk"]))
    assert response.status_code == 201, response.text
    location = response.headers["location"]
    assert location == f"/v1/things/{response.json()['id']}"
    assert "idempotent-replayed" not in response.headers

    found = await client.get(location, headers=bearer(tokens["member"]))
    assert found.status_code == 200
    assert found.json()["name"] == THING["name"]
    assert found.json()["created_by"] == "desk-1"
    assert await count_things(database) == 1


async def test_correlation_id_is_echoed(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz", headers={"X-Correlation-ID": "corr-123"})
    assert response.headers["x-correlation-id"] == "corr-123"


async def test_correlation_id_is_generated_when_missing(client: httpx.AsyncClient) -> None:
    first = await client.get("/healthz")
    second = await client.get("/healthz")
    assert UUID_RE.match(first.headers["x-correlation-id"])
    assert UUID_RE.match(second.headers["x-correlation-id"])
    assert first.headers["x-correlation-id"] != second.headers["x-correlation-id"]


async def test_correlation_id_is_echoed_on_problems(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/things", json=THING, headers={"X-Correlation-ID": "corr-401"})
    assert_problem(response, 401)
    assert response.headers["x-correlation-id"] == "corr-401"


# ---------------------------------------------------------------- errors as problem+json


async def test_not_found_is_a_problem(client: httpx.AsyncClient, tokens: dict[str, str]) -> None:
    response = await client.get("/v1/things/nope", headers=bearer(tokens["admin"]))
    body = assert_problem(response, 404)
    assert "nope" in body["detail"]
    assert body["instance"] == "/v1/things/nope"


async def test_unknown_route_and_method_are_problems(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/v1/nowhere"), 404)
    assert_problem(await client.delete("/healthz"), 405)


async def test_conflict_is_a_problem(client: httpx.AsyncClient, tokens: dict[str, str]) -> None:
    created = await client.post("/v1/things", json=THING, headers=bearer(tokens["admin"]))
    thing_id = created.json()["id"]
    closed = await client.post(f"/v1/things/{thing_id}/close", headers=bearer(tokens["admin"]))
    assert closed.status_code == 200
    again = await client.post(f"/v1/things/{thing_id}/close", headers=bearer(tokens["admin"]))
    body = assert_problem(again, 409)
    assert "already closed" in body["detail"]


async def test_unexpected_error_is_a_500_without_internals(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/boom")
    body = assert_problem(response, 500)
    for leak in ("hunter2", "/srv/secret", "RuntimeError", "Traceback", "internal detail"):
        assert leak not in response.text
    assert set(body) <= {"type", "title", "status", "detail", "instance"}


async def test_invalid_body_is_422_naming_the_fields(
    client: httpx.AsyncClient, tokens: dict[str, str], database: Database
) -> None:
    response = await client.post("/v1/things", json={"seats": 0}, headers=bearer(tokens["admin"]))
    body = assert_problem(response, 422)
    fields = {error["field"] for error in body["errors"]}
    assert fields == {"name", "seats"}
    assert all(error["message"] for error in body["errors"])
    assert "seats" in body["detail"]

    too_long = await client.post("/v1/things", json={"name": "x" * 41, "seats": 3}, headers=bearer(tokens["admin"]))
    assert [e["field"] for e in assert_problem(too_long, 422)["errors"]] == ["name"]
    assert await count_things(database) == 0


async def test_malformed_json_is_422(client: httpx.AsyncClient, tokens: dict[str, str]) -> None:
    response = await client.post(
        "/v1/things",
        content=b'{"name": "x", ',
        headers=bearer(tokens["admin"], **{"Content-Type": "application/json"}),
    )
    body = assert_problem(response, 422)
    assert body["errors"]


# ---------------------------------------------------------------- authentication and roles


async def test_missing_token_is_401_with_bearer_challenge(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/things", json=THING)
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("authorization", ["Bearer not-a-token", "Basic dXNlcjpwYXNz", "Bearer "])
async def test_bad_credentials_are_401(client: httpx.AsyncClient, authorization: str) -> None:
    response = await client.get("/v1/things/x", headers={"Authorization": authorization})
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


async def test_expired_token_is_401(client: httpx.AsyncClient, settings: KitSettings) -> None:
    from datetime import timedelta

    token = issue_token(settings, role=Role.ADMIN, ttl=timedelta(seconds=-10))
    response = await client.get("/v1/things/x", headers=bearer(token))
    body = assert_problem(response, 401)
    assert "expired" in body["detail"]


async def test_wrong_role_is_403(client: httpx.AsyncClient, tokens: dict[str, str], database: Database) -> None:
    response = await client.post("/v1/things", json=THING, headers=bearer(tokens["member"]))
    body = assert_problem(response, 403)
    assert "member" in body["detail"]
    assert await count_things(database) == 0


# ---------------------------------------------------------------- body size limit


def big_thing() -> bytes:
    body = json.dumps({**THING, "note": "x" * (MAX_BODY + 100)}).encode()
    assert len(body) > MAX_BODY
    return body


@pytest.mark.parametrize("idempotency_key", [None, "big-1"])
async def test_body_over_limit_with_content_length_is_413(
    client: httpx.AsyncClient, tokens: dict[str, str], database: Database, idempotency_key: str | None
) -> None:
    headers = bearer(tokens["admin"], **{"Content-Type": "application/json"})
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    body = big_thing()
    request = client.build_request("POST", "/v1/things", content=body, headers=headers)
    assert request.headers["content-length"] == str(len(body))
    response = await client.send(request)
    assert_problem(response, 413)
    assert await count_things(database) == 0


@pytest.mark.parametrize("idempotency_key", [None, "big-2"])
async def test_streamed_body_over_limit_is_413(
    client: httpx.AsyncClient, tokens: dict[str, str], database: Database, idempotency_key: str | None
) -> None:
    body = big_thing()

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 512):
            yield body[start : start + 512]

    headers = bearer(tokens["admin"], **{"Content-Type": "application/json"})
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    request = client.build_request("POST", "/v1/things", content=chunks(), headers=headers)
    assert "content-length" not in request.headers
    assert request.headers["transfer-encoding"] == "chunked"
    response = await client.send(request)
    assert_problem(response, 413)
    assert await count_things(database) == 0
    if idempotency_key:  # the key was not spent on the refused body
        retry = await client.post(
            "/v1/things", json=THING, headers=bearer(tokens["admin"], **{"Idempotency-Key": idempotency_key})
        )
        assert retry.status_code == 201, retry.text


async def test_streamed_body_under_limit_is_accepted(
    client: httpx.AsyncClient, tokens: dict[str, str], database: Database
) -> None:
    body = json.dumps({**THING, "note": "y" * 1000}).encode()
    assert len(body) <= MAX_BODY

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 100):
            yield body[start : start + 100]

    response = await client.post(
        "/v1/things", content=chunks(), headers=bearer(tokens["admin"], **{"Content-Type": "application/json"})
    )
    assert response.status_code == 201, response.text
    assert await count_things(database) == 1


# ---------------------------------------------------------------- Idempotency-Key


def keyed(token: str, key: str) -> dict[str, str]:
    return bearer(token, **{"Idempotency-Key": key})


async def test_same_key_same_body_replays_the_first_answer(
    app: FastAPI, client: httpx.AsyncClient, tokens: dict[str, str], database: Database
) -> None:
    first = await client.post("/v1/things", json=THING, headers=keyed(tokens["admin"], "key-1"))
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers

    for _ in range(2):
        again = await client.post("/v1/things", json=THING, headers=keyed(tokens["admin"], "key-1"))
        assert again.status_code == 201
        assert again.content == first.content
        assert again.headers["location"] == first.headers["location"]
        assert again.headers["content-type"] == first.headers["content-type"]
        assert again.headers["idempotent-replayed"] == "true"

    assert await count_things(database) == 1
    assert app.state.calls["create"] == 1


async def test_without_a_key_each_post_is_a_new_effect(
    client: httpx.AsyncClient, tokens: dict[str, str], database: Database
) -> None:
    first = await client.post("/v1/things", json=THING, headers=bearer(tokens["admin"]))
    second = await client.post("/v1/things", json=THING, headers=bearer(tokens["admin"]))
    assert first.headers["location"] != second.headers["location"]
    assert await count_things(database) == 2


async def test_same_key_other_body_is_422(
    client: httpx.AsyncClient, tokens: dict[str, str], database: Database
) -> None:
    first = await client.post("/v1/things", json=THING, headers=keyed(tokens["admin"], "key-2"))
    assert first.status_code == 201
    other = await client.post("/v1/things", json={**THING, "seats": 9}, headers=keyed(tokens["admin"], "key-2"))
    body = assert_problem(other, 422)
    assert [e["field"] for e in body["errors"]] == ["Idempotency-Key"]
    assert "idempotent-replayed" not in other.headers
    assert await count_things(database) == 1


async def test_same_key_on_another_path_is_422(client: httpx.AsyncClient, tokens: dict[str, str]) -> None:
    first = await client.post("/v1/things", json=THING, headers=keyed(tokens["admin"], "key-3"))
    assert first.status_code == 201
    other = await client.post("/v1/flaky", json=THING, headers=keyed(tokens["admin"], "key-3"))
    assert_problem(other, 422)


async def test_callers_do_not_share_keys(
    app: FastAPI, client: httpx.AsyncClient, tokens: dict[str, str], database: Database
) -> None:
    a = await client.post("/v1/things", json=THING, headers=keyed(tokens["admin"], "shared-key"))
    b = await client.post("/v1/things", json=THING, headers=keyed(tokens["admin2"], "shared-key"))
    c = await client.post("/v1/things", json={**THING, "seats": 2}, headers=keyed(tokens["desk"], "shared-key"))
    for response in (a, b, c):
        assert response.status_code == 201, response.text
        assert "idempotent-replayed" not in response.headers
    assert len({a.headers["location"], b.headers["location"], c.headers["location"]}) == 3
    assert await count_things(database) == 3
    assert app.state.calls["create"] == 3


async def test_a_server_error_is_not_stored_so_a_retry_runs_again(
    app: FastAPI, client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    failed = await client.post("/v1/flaky", headers=keyed(tokens["admin"], "flaky-1"))
    assert_problem(failed, 500)
    retried = await client.post("/v1/flaky", headers=keyed(tokens["admin"], "flaky-1"))
    assert retried.status_code == 201, retried.text
    assert "idempotent-replayed" not in retried.headers
    assert retried.json() == {"attempt": 2}
    replayed = await client.post("/v1/flaky", headers=keyed(tokens["admin"], "flaky-1"))
    assert replayed.status_code == 201
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.json() == {"attempt": 2}
    assert app.state.calls["flaky"] == 2


async def test_a_client_error_is_stored_and_replayed(
    client: httpx.AsyncClient, tokens: dict[str, str], database: Database
) -> None:
    invalid = {"name": "", "seats": 3}
    first = await client.post("/v1/things", json=invalid, headers=keyed(tokens["admin"], "bad-1"))
    assert_problem(first, 422)
    again = await client.post("/v1/things", json=invalid, headers=keyed(tokens["admin"], "bad-1"))
    assert_problem(again, 422)
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert await count_things(database) == 0


async def test_same_key_while_the_first_is_running_is_409(
    app: FastAPI, client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    first = asyncio.create_task(client.post("/v1/slow", headers=keyed(tokens["admin"], "slow-1")))
    try:
        await asyncio.wait_for(app.state.slow_entered.wait(), 10)
        second = await client.post("/v1/slow", headers=keyed(tokens["admin"], "slow-1"))
        assert_problem(second, 409)
    finally:
        app.state.slow_release.set()
    assert (await first).status_code == 201
    assert app.state.calls["slow"] == 1
