"""Bearer JWT authentication and the roles of DESIGN.md.

Local development signs HS256 tokens with `PARKGRID_JWT_SECRET` (`parkgrid token`
issues them); production sets `PARKGRID_JWKS_URL` and verifies the OIDC issuer's
RS256/ES256 signatures instead (keys fetched asynchronously and cached, `parkgrid.jwks`).
ParkGrid's claims: `role`, and depending on it `member` + `person` (a member's
organisation and person), `sites` (front-desk staff), `service` (a service account).
An issuer that names them otherwise is mapped with `ClaimMapping` (`PARKGRID_OIDC_*_CLAIM`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from parkgrid.http.problems import Forbidden, Unauthorized
from parkgrid.jwks import JwksKeys
from parkgrid.logging import bind_actor
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


class ClaimSettings(BaseSettings):
    """Where an OIDC issuer's tokens hold what ParkGrid needs (`PARKGRID_OIDC_*_CLAIM`).

    The defaults are ParkGrid's own claim names, those `parkgrid token` writes: an issuer
    configured to emit them needs no mapping. A name may be a dotted path into nested
    claims (`realm_access.roles`). The role claim may hold one value or a list (the most
    privileged ParkGrid role in it wins); `PARKGRID_OIDC_ROLE_VALUES` maps the issuer's
    values to ParkGrid's roles, as JSON (`{"parkgrid-desk": "front_desk"}`). A person
    claim that is absent falls back to `sub` for members.
    """

    model_config = SettingsConfigDict(env_file=None, extra="ignore", populate_by_name=True)

    role_claim: str = Field("role", validation_alias="PARKGRID_OIDC_ROLE_CLAIM")
    member_claim: str = Field("member", validation_alias="PARKGRID_OIDC_MEMBER_CLAIM")
    person_claim: str = Field("person", validation_alias="PARKGRID_OIDC_PERSON_CLAIM")
    sites_claim: str = Field("sites", validation_alias="PARKGRID_OIDC_SITES_CLAIM")
    service_claim: str = Field("service", validation_alias="PARKGRID_OIDC_SERVICE_CLAIM")
    name_claim: str = Field("name", validation_alias="PARKGRID_OIDC_NAME_CLAIM")
    role_values: dict[str, Role] = Field(default_factory=dict, validation_alias="PARKGRID_OIDC_ROLE_VALUES")
    jwks_min_refresh_seconds: float = Field(
        30.0,
        ge=0,
        validation_alias="PARKGRID_JWKS_MIN_REFRESH_SECONDS",
        description="At most one JWKS fetch per this many seconds for tokens with an unknown kid.",
    )
    jwks_max_age_seconds: float = Field(
        3600.0, gt=0, validation_alias="PARKGRID_JWKS_MAX_AGE_SECONDS", description="Fetch the JWKS again after this."
    )


_ROLE_PRIVILEGE = (Role.ADMIN, Role.FRONT_DESK, Role.SERVICE, Role.MEMBER)


def _claim(claims: Mapping[str, Any], path: str) -> Any:
    if path in claims:  # a claim named with dots (a namespaced URL) before a path into nested claims
        return claims[path]
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


@dataclass(frozen=True)
class ClaimMapping:
    """Turns a verified token's claims into ParkGrid's `Principal` (see `ClaimSettings`)."""

    role: str = "role"
    member: str = "member"
    person: str = "person"
    sites: str = "sites"
    service: str = "service"
    name: str = "name"
    role_values: Mapping[str, Role] = field(default_factory=dict)

    @classmethod
    def of(cls, settings: ClaimSettings) -> ClaimMapping:
        return cls(
            role=settings.role_claim,
            member=settings.member_claim,
            person=settings.person_claim,
            sites=settings.sites_claim,
            service=settings.service_claim,
            name=settings.name_claim,
            role_values=dict(settings.role_values),
        )

    @property
    def is_parkgrids_own(self) -> bool:
        return self == ClaimMapping()

    def role_of(self, value: Any) -> Any:
        values = value if isinstance(value, list) else [value]
        known = {Role(v) for v in values if isinstance(v, str) and v in Role._value2member_map_}
        known |= {self.role_values[v] for v in values if isinstance(v, str) and v in self.role_values}
        for role in _ROLE_PRIVILEGE:
            if role in known:
                return role
        return value  # not a role: Principal refuses it

    def principal(self, claims: Mapping[str, Any]) -> Principal:
        """The principal these claims describe (ValidationError/KeyError when they do not describe one)."""
        sites = _claim(claims, self.sites)
        if isinstance(sites, str):
            sites = sites.split()
        role = self.role_of(_claim(claims, self.role))
        person = _claim(claims, self.person)
        if person is None and role == Role.MEMBER and not self.is_parkgrids_own:
            person = claims.get("sub")
        return Principal(
            subject=claims["sub"],
            role=role,
            member_id=_claim(claims, self.member),
            person_id=person,
            sites=sites if sites is not None else [],
            service=_claim(claims, self.service),
            name=_claim(claims, self.name),
        )


PARKGRID_CLAIMS = ClaimMapping()


class TokenVerifier:
    """Verifies bearer tokens against the local secret or the issuer's JWKS.

    A request's token was verified twice (the idempotency middleware needs the caller, then
    the route) and a client sends the same token for many requests: verifying was a tenth
    of a booking's CPU. So a verified token's principal is kept until the token expires, at
    most `REMEMBER_SECONDS` (a rotated key or JWKS takes effect within that).

    With a JWKS, `verify` (sync) uses only the keys already held: a token with a `kid` not
    held yet is refused (401) and starts a background fetch. `verify_async` (what the kit's
    dependencies await) fetches the unknown `kid`'s key without blocking the event loop and
    then verifies, so a rotated key is accepted on its first request.
    """

    REMEMBER_SECONDS = 60.0
    REMEMBERED = 4096

    def __init__(
        self, settings: KitSettings, *, claims: ClaimMapping | None = None, keys: JwksKeys | None = None
    ) -> None:
        self.settings = settings
        oidc = ClaimSettings() if settings.jwks_url and (claims is None or keys is None) else None
        self.claims = claims or (ClaimMapping.of(oidc) if oidc else PARKGRID_CLAIMS)
        if keys is None and settings.jwks_url and oidc is not None:
            keys = JwksKeys(
                settings.jwks_url, min_refresh=oidc.jwks_min_refresh_seconds, max_age=oidc.jwks_max_age_seconds
            )
        self.keys = keys
        self._verified: dict[str, tuple[Principal, float]] = {}

    def verify(self, token: str) -> Principal:
        remembered = self._remembered(token)
        if remembered is not None:
            return remembered
        return self._remember(token, *self._verify(token, self._cached_key(token)))

    async def verify_async(self, token: str) -> Principal:
        """`verify`, fetching the issuer's keys first when the token's `kid` is not held (non-blocking)."""
        remembered = self._remembered(token)
        if remembered is not None:
            return remembered
        key: Any = None
        if self.keys is not None:
            key = await self.keys.key(self._kid(token))
            if key is None:
                raise Unauthorized("the token is not valid: its signing key (kid) is not one of the issuer's")
        return self._remember(token, *self._verify(token, key))

    def _remembered(self, token: str) -> Principal | None:
        remembered = self._verified.get(token)
        if remembered is not None and time.time() < remembered[1]:
            return remembered[0]
        return None

    def _remember(self, token: str, principal: Principal, expires: float) -> Principal:
        if len(self._verified) >= self.REMEMBERED:
            self._verified.clear()
        self._verified[token] = (principal, min(expires, time.time() + self.REMEMBER_SECONDS))
        return principal

    @staticmethod
    def _kid(token: str) -> str | None:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"the token is not valid: {exc}") from None
        return kid if isinstance(kid, str) else None

    def _cached_key(self, token: str) -> Any:
        if self.keys is None:
            return None
        key = self.keys.cached(self._kid(token))
        if key is None:
            self.keys.refresh_soon()
            raise Unauthorized("the token is not valid: its signing key (kid) is not known yet; retry")
        if self.keys.stale():
            self.keys.refresh_soon()
        return key

    def _verify(self, token: str, issuer_key: Any) -> tuple[Principal, float]:
        try:
            if self.keys is not None:
                key: Any = issuer_key
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
            principal = (self.claims if self.keys is not None else PARKGRID_CLAIMS).principal(claims)
        except (ValidationError, KeyError) as exc:
            raise Unauthorized(f"the token's claims are not usable: {exc}") from None
        expires = claims.get("exp")
        return principal, float(expires) if isinstance(expires, int | float) else time.time()


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("send a bearer token in the Authorization header")
    return token.strip()


async def authenticated(request: Request) -> Principal:
    """The caller the bearer token names; fetches an issuer's new key without blocking (prefer to the sync one).

    From here on the request acts as them: the events it causes name them as their actor."""
    verifier: TokenVerifier = request.app.state.token_verifier
    principal = await verifier.verify_async(bearer_token(request))
    bind_actor(f"{principal.role.value}:{principal.subject}")
    return principal


async def principal_from(request: Request) -> Principal:
    # async on purpose: FastAPI runs a plain `def` dependency in its thread pool, and the
    # hand-off to a worker thread and back cost more than verifying the token.
    return await authenticated(request)


CurrentPrincipal = Annotated[Principal, Depends(principal_from)]


def require_roles(*roles: Role) -> Callable[[Request], Coroutine[Any, Any, Principal]]:
    """A dependency that admits only these roles (403 for the others)."""

    async def dependency(request: Request) -> Principal:
        principal = await authenticated(request)
        if principal.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise Forbidden(f"this needs one of the roles: {allowed}; you are {principal.role.value}")
        return principal

    return dependency
