"""Outside development a service refuses to start on the public development secrets (issue 19,
item 2), as a process would be started by an image: community without PARKGRID_TICKET_KEY, insights
without INSIGHTS_WEBHOOK_SEALING_KEY (or with the development one), the web app on the development
JWT secret, each with a message on stderr that names the setting and does not print the secrets it
was given. Given secrets of their own they start, and the web app offers no demo sign-in.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator

import httpx
import pytest

from insights.settings import DEVELOPMENT_SEALING_KEY
from parkgrid.settings import DEVELOPMENT_JWT_SECRET
from parkgrid.testing.infrastructure import Infrastructure
from parkgrid.testing.stack import REPO, Stack

SECRET = "a-secret-of-the-park-" + uuid.uuid4().hex


def refusal(app: str, infrastructure: Infrastructure, **env: str) -> str:
    """Start `app` under uvicorn with PARKGRID_ENV=production and `env`; it must exit non-zero. Its stderr."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PARKGRID_", "FRONTDESK_", "INSIGHTS_"))}
    clean.update(
        PARKGRID_ENV="production",
        KAFKA_BOOTSTRAP_SERVERS=infrastructure.kafka_bootstrap_servers,
        MONGODB_URI=infrastructure.mongodb_uri,
        **env,
    )
    done = subprocess.run(
        [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", "0"],
        env=clean,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0, f"{app} started with PARKGRID_ENV=production and {sorted(env)}: {done.stderr}"
    return done.stderr


def test_community_refuses_to_start_without_a_ticket_key(infrastructure: Infrastructure) -> None:
    stderr = refusal("community.bootstrap:app", infrastructure, PARKGRID_JWT_SECRET=SECRET)
    assert "PARKGRID_TICKET_KEY is required with PARKGRID_ENV=production" in stderr
    assert SECRET not in stderr


def test_community_refuses_the_development_jwt_secret(infrastructure: Infrastructure) -> None:
    stderr = refusal("community.bootstrap:app", infrastructure, PARKGRID_TICKET_KEY=SECRET)
    assert "PARKGRID_JWT_SECRET is the public development default, refused with PARKGRID_ENV=production" in stderr
    assert SECRET not in stderr


@pytest.mark.parametrize("jwt_secret", [None, DEVELOPMENT_JWT_SECRET])
def test_the_web_app_refuses_the_development_jwt_secret(infrastructure: Infrastructure, jwt_secret: str | None) -> None:
    env = {} if jwt_secret is None else {"PARKGRID_JWT_SECRET": jwt_secret}
    stderr = refusal("frontdesk.bootstrap:app", infrastructure, **env)
    assert "PARKGRID_JWT_SECRET is the public development default, refused with PARKGRID_ENV=production" in stderr


def test_insights_refuses_to_start_without_a_sealing_key(infrastructure: Infrastructure) -> None:
    stderr = refusal("insights.bootstrap:app", infrastructure, PARKGRID_JWT_SECRET=SECRET)
    assert "INSIGHTS_WEBHOOK_SEALING_KEY is required with PARKGRID_ENV=production" in stderr
    assert SECRET not in stderr


def test_insights_refuses_the_development_sealing_key(infrastructure: Infrastructure) -> None:
    keys = f"{SECRET},{DEVELOPMENT_SEALING_KEY}"  # even as an old key kept for unsealing
    stderr = refusal(
        "insights.bootstrap:app", infrastructure, PARKGRID_JWT_SECRET=SECRET, INSIGHTS_WEBHOOK_SEALING_KEY=keys
    )
    assert "INSIGHTS_WEBHOOK_SEALING_KEY is the public development default" in stderr
    assert SECRET not in stderr


@pytest.fixture(scope="module")
def production(infrastructure: Infrastructure) -> Iterator[Stack]:
    stack = Stack(
        infrastructure.kafka_bootstrap_servers,
        infrastructure.mongodb_uri,
        logs=REPO / ".local" / "logs" / "production-secrets",
        jwt_secret=SECRET,
        extra_env={
            "PARKGRID_ENV": "production",
            "PARKGRID_TICKET_KEY": "ticket-" + uuid.uuid4().hex,
            "INSIGHTS_WEBHOOK_SEALING_KEY": "sealing-" + uuid.uuid4().hex,
        },
    )
    try:
        stack.start_all(["community", "insights", "frontdesk"])
        yield stack
    finally:
        stack.stop()


def test_with_secrets_of_their_own_they_start_and_offer_no_demo_sign_in(production: Stack) -> None:
    for service in ("community", "insights", "frontdesk"):
        assert httpx.get(f"{production.url(service)}/readyz", timeout=5).status_code == 200
    page = httpx.get(f"{production.url('frontdesk')}/sign-in", timeout=10)
    assert page.status_code == 200
    assert "/sign-in/demo" not in page.text
    for method in ("GET", "POST"):
        demo = httpx.request(method, f"{production.url('frontdesk')}/sign-in/demo", timeout=10)
        assert demo.status_code == 404, (method, demo.text)


def test_development_said_explicitly_offers_demo_sign_in(infrastructure: Infrastructure) -> None:
    """The stack says PARKGRID_ENV=development itself: the demo logins are there (the contrast that
    shows the production test above is not passing for want of a page)."""
    stack = Stack(infrastructure.kafka_bootstrap_servers, infrastructure.mongodb_uri, logs=REPO / ".local" / "logs")
    assert stack.environment("frontdesk")["PARKGRID_ENV"] == "development"
    try:
        stack.start_all(["frontdesk"])
        assert "/sign-in/demo" in httpx.get(f"{stack.url('frontdesk')}/sign-in", timeout=10).text
    finally:
        stack.stop()
