"""Rate limiting: the bucket arithmetic with a fake clock, and the 429 a route answers."""

from __future__ import annotations

import pytest
from fastapi import Depends, FastAPI

from parkgrid.auth import Role, TokenVerifier, issue_token
from parkgrid.http.problems import install_problem_handlers
from parkgrid.http.ratelimit import TokenBuckets, rate_limit
from parkgrid.settings import KitSettings
from parkgrid.testing.http import app_client


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_refill_at_the_rate() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(per_minute=60, burst=3, clock=clock)
    assert [buckets.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a") == pytest.approx(1.0)
    clock.now += 0.5
    assert buckets.take("a") == pytest.approx(0.5)
    clock.now += 0.5
    assert buckets.take("a") == 0.0


def test_callers_have_their_own_buckets() -> None:
    buckets = TokenBuckets(per_minute=60, burst=1, clock=FakeClock())
    assert buckets.take("a") == 0.0
    assert buckets.take("a") > 0
    assert buckets.take("b") == 0.0


def test_memory_is_bounded_by_dropping_the_least_recent_caller() -> None:
    buckets = TokenBuckets(per_minute=60, burst=1, clock=FakeClock(), max_callers=2)
    buckets.take("a")
    buckets.take("b")
    buckets.take("c")
    assert buckets.take("a") == 0.0  # "a" was forgotten, so it starts with a full bucket


def test_nonsense_limits_are_refused() -> None:
    with pytest.raises(ValueError, match="per_minute must be positive"):
        TokenBuckets(per_minute=0, burst=1)
    with pytest.raises(ValueError, match="per_minute must be positive"):
        TokenBuckets(per_minute=10, burst=0)


@pytest.fixture
def settings() -> KitSettings:
    return KitSettings(PARKGRID_SERVICE_NAME="ratelimit-test")


@pytest.fixture
def app(settings: KitSettings) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.state.token_verifier = TokenVerifier(settings)
    limited = rate_limit(TokenBuckets(per_minute=1, burst=2))

    @app.post("/v1/bookings", dependencies=[Depends(limited)])
    async def book() -> dict[str, str]:
        return {"status": "confirmed"}

    return app


async def test_a_member_over_the_limit_gets_429_with_retry_after(app: FastAPI, settings: KitSettings) -> None:
    member = {"Authorization": f"Bearer {issue_token(settings, role=Role.MEMBER, member_id='member-a')}"}
    other = {"Authorization": f"Bearer {issue_token(settings, role=Role.MEMBER, member_id='member-b')}"}
    async with app_client(app, "test", raise_app_exceptions=True) as client:
        assert [(await client.post("/v1/bookings", headers=member)).status_code for _ in range(2)] == [200, 200]
        refused = await client.post("/v1/bookings", headers=member)
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert refused.json()["retry_after"] == int(refused.headers["Retry-After"])
        assert (await client.post("/v1/bookings", headers=other)).status_code == 200


async def test_front_desk_is_not_limited(app: FastAPI, settings: KitSettings) -> None:
    staff = {"Authorization": f"Bearer {issue_token(settings, role=Role.FRONT_DESK, sites=['site-rabat'])}"}
    async with app_client(app, "test", raise_app_exceptions=True) as client:
        assert {(await client.post("/v1/bookings", headers=staff)).status_code for _ in range(5)} == {200}
