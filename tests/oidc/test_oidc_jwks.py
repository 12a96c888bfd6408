"""APIs verify the issuer's RS256 tokens against its JWKS: a real OIDC provider process
(tests/oidc/oidc_provider.py, once for the module) and a kit API served by uvicorn over
real HTTP. Valid, expired, wrong audience, a rotated key fetched without blocking the event
loop, a flood of unknown kids costing one fetch, the issuer down, and the claim mapping."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
import uvicorn
from fastapi import FastAPI
from oidc_provider import Provider, free_port, running_provider

from parkgrid.auth import ClaimMapping, CurrentPrincipal, Role, TokenVerifier, issue_token
from parkgrid.http.problems import Unauthorized, install_problem_handlers
from parkgrid.jwks import JwksKeys
from parkgrid.settings import KitSettings

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.processes]  # a provider process: not --unit

DESK = {"role": "front_desk", "sites": ["site-casablanca"], "name": "Nadia"}


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with running_provider() as running:
        yield running


def settings_for(provider: Provider) -> KitSettings:
    return KitSettings(jwks_url=provider.jwks_url, jwt_issuer=provider.issuer, jwt_audience="parkgrid")


def claims(**more: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"sub": "nadia", "aud": "parkgrid", "iat": now, "exp": now + 300, **DESK, **more}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def api(provider: Provider) -> AsyncIterator[tuple[str, TokenVerifier]]:
    """A kit API (the kit's own auth dependency and problem answers) on a real port."""
    app = FastAPI()
    install_problem_handlers(app)
    verifier = TokenVerifier(settings_for(provider), keys=JwksKeys(provider.jwks_url, min_refresh=0.5))
    app.state.token_verifier = verifier

    @app.get("/whoami")
    async def whoami(principal: CurrentPrincipal) -> dict[str, Any]:
        return principal.model_dump(mode="json")

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", verifier
    finally:
        server.should_exit = True
        await task


async def whoami(base: str, token: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=base) as http:
        return await http.get("/whoami", headers={"Authorization": f"Bearer {token}"})


async def test_a_token_of_the_issuer_is_accepted(api: tuple[str, TokenVerifier], provider: Provider) -> None:
    base, _ = api
    response = await whoami(base, provider.sign(**claims()))
    assert response.status_code == 200, response.text
    assert response.json() | {"subject": "nadia"} == {
        "subject": "nadia",
        "role": "front_desk",
        "member_id": None,
        "person_id": None,
        "sites": ["site-casablanca"],
        "service": None,
        "name": "Nadia",
    }


async def test_an_expired_token_is_401(api: tuple[str, TokenVerifier], provider: Provider) -> None:
    base, _ = api
    response = await whoami(base, provider.sign(**claims(iat=int(time.time()) - 600, exp=int(time.time()) - 60)))
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "expired" in response.json()["detail"]


async def test_another_audience_is_401(api: tuple[str, TokenVerifier], provider: Provider) -> None:
    base, _ = api
    response = await whoami(base, provider.sign(**claims(aud="another-api")))
    assert response.status_code == 401
    assert "audience" in response.json()["detail"].lower()


async def test_a_development_token_is_refused_when_verifying_against_the_issuer(
    api: tuple[str, TokenVerifier],
) -> None:
    base, _ = api
    token = issue_token(KitSettings(), role=Role.ADMIN)
    response = await whoami(base, token)
    assert response.status_code == 401


async def test_a_garbage_token_is_401(api: tuple[str, TokenVerifier]) -> None:
    base, _ = api
    response = await whoami(base, "not-a-jwt")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_rotated_key_is_fetched_without_blocking_the_event_loop(
    api: tuple[str, TokenVerifier], provider: Provider
) -> None:
    base, verifier = api
    assert (await whoami(base, provider.sign(**claims(sub="before")))).status_code == 200
    assert verifier.keys is not None
    old_kids = verifier.keys.kids
    await asyncio.sleep(0.6)  # past the module's min_refresh
    new_kid = await asyncio.to_thread(provider.rotate_key)
    assert new_kid not in old_kids
    token = await asyncio.to_thread(provider.sign, **claims(sub="after-rotation"))

    ticks = 0
    fetching = True

    async def ticker() -> None:
        nonlocal ticks
        while fetching:
            ticks += 1
            await asyncio.sleep(0)

    ticking = asyncio.create_task(ticker())
    fetches = verifier.keys.fetches
    try:
        principal = await verifier.verify_async(token)
    finally:
        fetching = False
        await ticking
    assert principal.subject == "after-rotation"
    assert verifier.keys.fetches == fetches + 1
    assert new_kid in verifier.keys.kids
    assert ticks > 1, "the event loop ran other work while the key set was fetched"
    # and through the API
    assert (await whoami(base, await asyncio.to_thread(provider.sign, **claims(sub="api-after")))).status_code == 200


async def test_unknown_kids_cost_at_most_one_fetch_per_interval(provider: Provider) -> None:
    keys = JwksKeys(provider.jwks_url, min_refresh=60)
    verifier = TokenVerifier(settings_for(provider), keys=keys)
    assert (await verifier.verify_async(provider.sign(**claims()))).subject == "nadia"
    _, payload, signature = provider.sign(**claims(sub="forged")).split(".")
    forged_headers = []
    for n in range(20):
        forged = {"alg": "RS256", "typ": "JWT", "kid": f"unknown-{n}"}
        encoded = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
        forged_headers.append(f"{encoded}.{payload}.{signature}")
    results = await asyncio.gather(*(verifier.verify_async(t) for t in forged_headers), return_exceptions=True)
    assert all(isinstance(r, Unauthorized) for r in results)
    assert keys.fetches == 1, "unknown kids within the interval did not refetch the key set"


async def test_held_keys_keep_serving_while_the_issuer_is_down(provider: Provider) -> None:
    keys = JwksKeys(provider.jwks_url, min_refresh=0, max_age=0.01)
    verifier = TokenVerifier(settings_for(provider), keys=keys)
    await keys.refresh()
    keys.url = f"http://127.0.0.1:{free_port()}/jwks"  # the issuer stops answering
    token = provider.sign(**claims(sub="during-outage"))
    assert (await verifier.verify_async(token)).subject == "during-outage"
    await asyncio.sleep(0.05)  # the background refresh (stale set) failed...
    assert keys.kids  # ...and the keys are still held
    assert verifier.verify(provider.sign(**claims(sub="still"))).subject == "still"


async def test_the_sync_path_refuses_an_unknown_kid_and_fetches_it_in_the_background(provider: Provider) -> None:
    keys = JwksKeys(provider.jwks_url, min_refresh=0)
    verifier = TokenVerifier(settings_for(provider), keys=keys)
    token = provider.sign(**claims(sub="sync"))
    with pytest.raises(Unauthorized):
        verifier.verify(token)
    for _ in range(100):
        if keys.kids:
            break
        await asyncio.sleep(0.02)
    assert verifier.verify(token).subject == "sync"


async def test_the_claim_mapping_reads_an_issuers_own_claim_names(provider: Provider) -> None:
    mapping = ClaimMapping(
        role="realm_access.roles",
        member="org",
        sites="https://parkgrid.ma/sites",
        role_values={"parkgrid-member": Role.MEMBER, "parkgrid-desk": Role.FRONT_DESK},
    )
    verifier = TokenVerifier(settings_for(provider), claims=mapping, keys=JwksKeys(provider.jwks_url))
    now = int(time.time())
    base = {"aud": "parkgrid", "iat": now, "exp": now + 300}
    member = await verifier.verify_async(
        provider.sign(**base, sub="salma", org="m-startup", realm_access={"roles": ["offline", "parkgrid-member"]})
    )
    assert (member.role, member.member_id, member.person_id) == (Role.MEMBER, "m-startup", "salma")
    desk = await verifier.verify_async(
        provider.sign(
            **base,
            sub="nadia",
            realm_access={"roles": ["parkgrid-member", "parkgrid-desk"]},
            **{"https://parkgrid.ma/sites": "site-rabat site-fes"},
        )
    )
    assert (desk.role, desk.sites) == (Role.FRONT_DESK, ["site-rabat", "site-fes"])
    with pytest.raises(Unauthorized, match="claims"):
        await verifier.verify_async(provider.sign(**base, sub="nobody", realm_access={"roles": ["offline"]}))
