"""Bearer JWT authentication and the roles of DESIGN.md.

Local development signs HS256 tokens with `PARKGRID_JWT_SECRET` (`parkgrid token`
issues them); production sets `PARKGRID_JWKS_URL` and verifies the OIDC issuer's
signatures instead. Claims: `role`, and depending on it `member` + `person`
(a member's organisation and person), `sites` (front-desk staff), `service`
(a service account).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from parkgrid.http.problems import Forbidden, Unauthorized
from parkgrid.settings import KitSettings


class Role(StrEnum):
    MEMBER = "member"
    FRONT_DESK = "front_desk"
    ADMIN = "admin"
    SERVICE = "service"


class Principal(BaseModel):
    """Who is calling, as the token says."""

    model_config = ConfigDict(frozen=True)  # shared between the requests of one token (see TokenVerifier)

    subject: str
    role: Role
    member_id: str | None = None
    person_id: str | None = None
    sites: list[str] = Field(default_factory=list)
    service: str | None = None
    name: str | None = None

    def may_act_for_member(self, member_id: str) -> bool:
        """Members act for their own organisation; staff and services for anyone (site checks are the caller's)."""
        return self.role != Role.MEMBER or self.member_id == member_id

    def may_act_at_site(self, site_id: str) -> bool:
        if self.role in (Role.ADMIN, Role.SERVICE):
            return True
        if self.role == Role.FRONT_DESK:
            return site_id in self.sites
        return True


def issue_token(
    settings: KitSettings,
    *,
    role: Role,
    subject: str | None = None,
    member_id: str | None = None,
    person_id: str | None = None,
    sites: list[str] | None = None,
    service: str | None = None,
    name: str | None = None,
    ttl: timedelta = timedelta(hours=12),
) -> str:
    """A development token signed with the local secret."""
    if role == Role.MEMBER and not member_id:
        raise ValueError("a member token needs --member")
    if role == Role.FRONT_DESK and not sites:
        raise ValueError("a front_desk token needs at least one --site")
    if role == Role.SERVICE and not service:
        raise ValueError("a service token needs --service")
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": subject or person_id or member_id or service or f"{role.value}-dev",
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + ttl,
        "role": role.value,
    }
    for key, value in (("member", member_id), ("person", person_id), ("service", service), ("name", name)):
        if value:
            claims[key] = value
    if sites:
        claims["sites"] = sites
    return jwt.encode(claims, settings.jwt_secret.get_secret_value(), algorithm="HS256")


class TokenVerifier:
    """Verifies bearer tokens against the local secret or the issuer's JWKS.

    A request's token was verified twice (the idempotency middleware needs the caller, then
    the route) and a client sends the same token for many requests: verifying was a tenth
    of a booking's CPU. So a verified token's principal is kept until the token expires, at
    most `REMEMBER_SECONDS` (a rotated key or JWKS takes effect within that).
    """

    REMEMBER_SECONDS = 60.0
    REMEMBERED = 4096

    def __init__(self, settings: KitSettings) -> None:
        self.settings = settings
        self._jwks = jwt.PyJWKClient(settings.jwks_url) if settings.jwks_url else None
        self._verified: dict[str, tuple[Principal, float]] = {}

    def verify(self, token: str) -> Principal:
        now = time.time()
        remembered = self._verified.get(token)
        if remembered is not None and now < remembered[1]:
            return remembered[0]
        principal, expires = self._verify(token)
        if len(self._verified) >= self.REMEMBERED:
            self._verified.clear()
        self._verified[token] = (principal, min(expires, now + self.REMEMBER_SECONDS))
        return principal

    def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            if self._jwks is not None:
                key: Any = self._jwks.get_signing_key_from_jwt(token).key
                algorithms = ["RS256", "ES256"]
            else:
                key = self.settings.jwt_secret.get_secret_value()
                algorithms = ["HS256"]
            claims = jwt.decode(
                token, key, algorithms=algorithms, audience=self.settings.jwt_audience, issuer=self.settings.jwt_issuer
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("the token has expired") from None
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"the token is not valid: {exc}") from None
        try:
            principal = Principal(
                subject=claims["sub"],
                role=claims.get("role"),
                member_id=claims.get("member"),
                person_id=claims.get("person"),
                sites=claims.get("sites", []),
                service=claims.get("service"),
                name=claims.get("name"),
            )
        except (ValidationError, KeyError) as exc:
            raise Unauthorized(f"the token's claims are not usable: {exc}") from None
        expires = claims.get("exp")
        return principal, float(expires) if isinstance(expires, int | float) else time.time()


def verified_principal(request: Request) -> Principal:
    """The caller the bearer token names (401 without a usable one)."""
    verifier: TokenVerifier = request.app.state.token_verifier
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("send a bearer token in the Authorization header")
    return verifier.verify(token.strip())


async def principal_from(request: Request) -> Principal:
    # async on purpose: FastAPI runs a plain `def` dependency in its thread pool, and the
    # hand-off to a worker thread and back cost more than verifying the token.
    return verified_principal(request)


CurrentPrincipal = Annotated[Principal, Depends(principal_from)]


def require_roles(*roles: Role) -> Callable[[Request], Coroutine[Any, Any, Principal]]:
    """A dependency that admits only these roles (403 for the others)."""

    async def dependency(request: Request) -> Principal:
        principal = verified_principal(request)
        if principal.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise Forbidden(f"this needs one of the roles: {allowed}; you are {principal.role.value}")
        return principal

    return dependency
