"""A real OIDC provider process for the tests: oidc-provider-mock (PyPI), served by uvicorn.

`python tests/oidc/oidc_provider.py --port N --audience parkgrid --token-seconds 60 --user '{"sub": ...}'`

oidc-provider-mock issues opaque access tokens; ParkGrid's APIs take JWT access tokens
(RFC 9068, as Keycloak, Entra or Auth0 issue them). So this launcher gives the mock an
access-token generator that signs a JWT with the provider's own key (the one its JWKS
publishes): `iss` the provider, `aud` the APIs' audience, the user's claims. Two routes
for tests, beside the mock's own:
- `POST /test/rotate-key`: a new signing key (new `kid`); the JWKS publishes only it;
- `POST /test/sign` (JSON claims): a token signed with the current key, as issued (for
  the expired and wrong-audience cases).

`running_provider(...)` starts it on a free port, waits for its discovery document, and
stops it.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

HERE = os.path.abspath(__file__)


def _build(audience: str, token_seconds: int, users: list[dict[str, Any]]) -> Any:
    import flask
    import jwt
    from authlib import jose
    from oidc_provider_mock import User, init_app

    def storage() -> Any:
        return flask.g.oidc_provider_mock_storage

    def sign(claims: dict[str, Any]) -> str:
        key = storage().jwk
        private = jwt.PyJWK(key.as_dict(is_private=True)).key
        return jwt.encode(claims, private, algorithm="RS256", headers={"kid": key.as_dict()["kid"]})

    def access_token(client: Any, grant_type: str, user: Any, scope: str) -> str:
        now = int(time.time())
        claims = {
            **user.claims,
            "iss": flask.request.host_url.rstrip("/"),
            "sub": user.sub,
            "aud": audience,
            "client_id": client.get_client_id(),
            "scope": scope,
            "iat": now,
            "exp": now + token_seconds,
            "jti": uuid.uuid4().hex,
        }
        return sign(claims)

    app = flask.Flask("oidc_provider_mock._app")  # its templates
    app.config["OAUTH2_ACCESS_TOKEN_GENERATOR"] = access_token
    init_app(
        app,
        require_nonce=True,
        access_token_max_age=timedelta(seconds=token_seconds),
        user_claims=[User(sub=u["sub"], claims={k: v for k, v in u.items() if k != "sub"}) for u in users],
    )
    app.secret_key = os.urandom(16)

    @app.post("/test/rotate-key")
    def rotate_key() -> Any:
        storage().jwk = jose.RSAKey.generate_key(is_private=True)
        return flask.jsonify({"kid": storage().jwk.as_dict()["kid"]})

    @app.post("/test/sign")
    def sign_claims() -> Any:
        body = flask.request.get_json()
        claims = {"iss": flask.request.host_url.rstrip("/"), **body}
        return flask.jsonify({"token": sign(claims), "kid": storage().jwk.as_dict()["kid"]})

    return app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@dataclass
class Provider:
    """A running provider: its issuer URL (also its base URL) and process."""

    issuer: str
    process: subprocess.Popen[bytes]

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}/jwks"

    def rotate_key(self) -> str:
        kid: str = httpx.post(f"{self.issuer}/test/rotate-key").json()["kid"]
        return kid

    def sign(self, **claims: Any) -> str:
        token: str = httpx.post(f"{self.issuer}/test/sign", json=claims).json()["token"]
        return token

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_provider(*users: dict[str, Any], audience: str = "parkgrid", token_seconds: int = 300) -> Provider:
    port = free_port()
    command = [sys.executable, HERE, "--port", str(port), "--audience", audience, "--token-seconds", str(token_seconds)]
    for user in users:
        command += ["--user", json.dumps(user)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    provider = Provider(f"http://127.0.0.1:{port}", process)
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the OIDC provider exited with {process.returncode}")
        try:
            if httpx.get(f"{provider.issuer}/.well-known/openid-configuration", timeout=1).status_code == 200:
                return provider
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            provider.stop()
            raise RuntimeError("the OIDC provider did not answer within 30 s")
        time.sleep(0.1)


@contextmanager
def running_provider(
    *users: dict[str, Any], audience: str = "parkgrid", token_seconds: int = 300
) -> Iterator[Provider]:
    provider = start_provider(*users, audience=audience, token_seconds=token_seconds)
    try:
        yield provider
    finally:
        provider.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--audience", default="parkgrid")
    parser.add_argument("--token-seconds", type=int, default=300)
    parser.add_argument("--user", action="append", default=[], help="a user's claims as JSON, with sub")
    args = parser.parse_args()
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
    import uvicorn

    app = _build(args.audience, args.token_seconds, [json.loads(u) for u in args.user])
    uvicorn.run(app, interface="wsgi", host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
