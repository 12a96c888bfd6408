"""Signing people in with an OIDC provider: the authorization-code flow with PKCE (RFC 7636).

The web app is a confidential client: it sends the browser to the provider's
authorization endpoint (with `state`, `nonce` and a S256 code challenge), takes the code
back on its redirect URL, exchanges it server-side for tokens, verifies the ID token
(signature against the provider's JWKS, issuer, audience = client id, nonce) and keeps
the access token, which the APIs verify themselves (`PARKGRID_JWKS_URL`). A refresh
token renews the access token when it expires.

Settings (`PARKGRID_OIDC_*`); sign-in with the provider is on when the issuer and the
client id are set:
- `PARKGRID_OIDC_ISSUER`: the issuer URL; its discovery document is
  `<issuer>/.well-known/openid-configuration`;
- `PARKGRID_OIDC_CLIENT_ID`, `PARKGRID_OIDC_CLIENT_SECRET`;
- `PARKGRID_OIDC_REDIRECT_URL`: the web app's callback as registered at the provider
  (`https://desk.example/sign-in/oidc/callback`); unset, it is derived from the request;
- `PARKGRID_OIDC_SCOPES` (default `openid profile email offline_access`).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from parkgrid.jwks import JwksKeys


class OidcSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", populate_by_name=True)

    issuer: str | None = Field(None, validation_alias="PARKGRID_OIDC_ISSUER")
    client_id: str | None = Field(None, validation_alias="PARKGRID_OIDC_CLIENT_ID")
    client_secret: SecretStr | None = Field(None, validation_alias="PARKGRID_OIDC_CLIENT_SECRET")
    redirect_url: str | None = Field(None, validation_alias="PARKGRID_OIDC_REDIRECT_URL")
    scopes: str = Field("openid profile email offline_access", validation_alias="PARKGRID_OIDC_SCOPES")
    timeout: float = Field(10.0, gt=0, validation_alias="PARKGRID_OIDC_TIMEOUT_SECONDS")

    @property
    def enabled(self) -> bool:
        return bool(self.issuer and self.client_id)


class ProviderRefused(Exception):
    """The provider refused (an error answer, an invalid token) or could not be reached; `detail` says which."""

    def __init__(self, detail: str, error: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.error = error


@dataclass(frozen=True)
class Pending:
    """What the callback must find again: the state, nonce and PKCE verifier of one sign-in."""

    state: str
    nonce: str
    verifier: str

    @classmethod
    def new(cls) -> Pending:
        return cls(secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48))

    @property
    def challenge(self) -> str:
        digest = hashlib.sha256(self.verifier.encode("ascii")).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def encode(self) -> str:
        return f"{self.state}.{self.nonce}.{self.verifier}"

    @classmethod
    def decode(cls, value: str | None) -> Pending | None:
        parts = (value or "").split(".")
        return cls(*parts) if len(parts) == 3 and all(parts) else None


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str | None
    id_token: str | None
    expires_at: float


@dataclass
class OidcClient:
    """One provider, its discovery document fetched once (asynchronously)."""

    settings: OidcSettings
    _discovery: dict[str, Any] | None = None
    _keys: JwksKeys | None = None
    _http: httpx.AsyncClient | None = field(default=None, repr=False)

    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self.settings.timeout)
        return self._http

    async def discovery(self) -> dict[str, Any]:
        if self._discovery is None:
            issuer = (self.settings.issuer or "").rstrip("/")
            try:
                response = await self.http().get(f"{issuer}/.well-known/openid-configuration")
                response.raise_for_status()
                document = response.json()
            except (httpx.HTTPError, ValueError) as exc:
                raise ProviderRefused(f"the identity provider's discovery document is unavailable: {exc}") from None
            if document.get("issuer", "").rstrip("/") != issuer:
                raise ProviderRefused(f"the provider names itself {document.get('issuer')!r}, not {issuer!r}")
            self._discovery = document
            self._keys = JwksKeys(document["jwks_uri"], client=self.http())
        return self._discovery

    async def authorization_url(self, pending: Pending, redirect_url: str) -> str:
        endpoint = (await self.discovery())["authorization_endpoint"]
        query = {
            "response_type": "code",
            "client_id": self.settings.client_id,
            "redirect_uri": redirect_url,
            "scope": self.settings.scopes,
            "state": pending.state,
            "nonce": pending.nonce,
            "code_challenge": pending.challenge,
            "code_challenge_method": "S256",
        }
        return f"{endpoint}?{urlencode(query)}"

    async def exchange(self, code: str, pending: Pending, redirect_url: str) -> Tokens:
        """The code's tokens, the ID token verified (signature, issuer, audience, nonce)."""
        tokens = await self._token_request(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_url},
            code_verifier=pending.verifier,
        )
        if not tokens.id_token:
            raise ProviderRefused("the provider answered without an ID token")
        claims = await self.verify_id_token(tokens.id_token)
        if claims.get("nonce") != pending.nonce:
            raise ProviderRefused("the ID token's nonce is not this sign-in's")
        return tokens

    async def refresh(self, refresh_token: str) -> Tokens:
        tokens = await self._token_request({"grant_type": "refresh_token", "refresh_token": refresh_token})
        return Tokens(tokens.access_token, tokens.refresh_token or refresh_token, tokens.id_token, tokens.expires_at)

    async def end_session_url(self, id_token: str | None, after: str) -> str | None:
        """Where to send the browser to sign out at the provider too (None when it has no such endpoint)."""
        try:
            endpoint = (await self.discovery()).get("end_session_endpoint")
        except ProviderRefused:
            return None
        if not endpoint:
            return None
        query = {"post_logout_redirect_uri": after, "client_id": self.settings.client_id or ""}
        if id_token:
            query["id_token_hint"] = id_token
        return f"{endpoint}?{urlencode(query)}"

    async def verify_id_token(self, id_token: str) -> dict[str, Any]:
        document = await self.discovery()
        assert self._keys is not None
        try:
            kid = jwt.get_unverified_header(id_token).get("kid")
            key = await self._keys.key(kid if isinstance(kid, str) else None)
            if key is None:
                raise ProviderRefused("the ID token is signed with a key the provider does not publish")
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key,
                algorithms=["RS256", "ES256"],
                audience=self.settings.client_id,
                issuer=document["issuer"],
                leeway=30,
            )
        except jwt.PyJWTError as exc:
            raise ProviderRefused(f"the ID token is not valid: {exc}") from None
        return claims

    async def _token_request(self, form: dict[str, str], code_verifier: str | None = None) -> Tokens:
        endpoint = (await self.discovery())["token_endpoint"]
        if code_verifier:
            form["code_verifier"] = code_verifier
        secret = self.settings.client_secret.get_secret_value() if self.settings.client_secret else ""
        auth = httpx.BasicAuth(self.settings.client_id or "", secret) if secret else None
        if not secret:
            form["client_id"] = self.settings.client_id or ""
        try:
            response = (
                await self.http().post(endpoint, data=form, auth=auth)
                if auth
                else await self.http().post(endpoint, data=form)
            )
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ProviderRefused(f"the identity provider did not answer: {exc}") from None
        if response.status_code != 200 or "access_token" not in body:
            error = body.get("error") if isinstance(body, dict) else None
            description = body.get("error_description") if isinstance(body, dict) else None
            raise ProviderRefused(
                f"the identity provider refused: {description or error or response.status_code}", error
            )
        expires_in = body.get("expires_in")
        return Tokens(
            access_token=body["access_token"],
            refresh_token=body.get("refresh_token"),
            id_token=body.get("id_token"),
            expires_at=time.time() + (float(expires_in) if isinstance(expires_in, int | float) else 300.0),
        )

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None
