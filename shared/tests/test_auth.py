"""Unit tests of parkgrid.auth: development tokens, their verification, and the role rules."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from pydantic import SecretStr, ValidationError

from parkgrid.auth import Principal, Role, TokenVerifier, issue_token
from parkgrid.http.problems import Unauthorized
from parkgrid.settings import KitSettings


@pytest.fixture
def settings() -> KitSettings:
    return KitSettings(jwt_secret=SecretStr("unit-test-secret-of-a-decent-length-0123456789"))


def roundtrip(settings: KitSettings, **kwargs: object) -> Principal:
    return TokenVerifier(settings).verify(issue_token(settings, **kwargs))  # type: ignore[arg-type]


def test_member_token_round_trip(settings: KitSettings) -> None:
    principal = roundtrip(settings, role=Role.MEMBER, member_id="org-1", person_id="person-7", name="Amina")
    assert principal.role is Role.MEMBER
    assert principal.member_id == "org-1"
    assert principal.person_id == "person-7"
    assert principal.name == "Amina"
    assert principal.subject == "person-7"  # the person is the subject when none is given
    assert principal.sites == []
    assert principal.service is None


def test_member_token_without_person_uses_the_member_as_subject(settings: KitSettings) -> None:
    principal = roundtrip(settings, role=Role.MEMBER, member_id="org-1")
    assert principal.subject == "org-1"
    assert principal.person_id is None


def test_front_desk_token_round_trip(settings: KitSettings) -> None:
    principal = roundtrip(settings, role=Role.FRONT_DESK, subject="desk-anna", sites=["rabat", "casa"])
    assert principal.role is Role.FRONT_DESK
    assert principal.subject == "desk-anna"
    assert principal.sites == ["rabat", "casa"]
    assert principal.member_id is None
    assert principal.person_id is None


def test_admin_token_round_trip(settings: KitSettings) -> None:
    principal = roundtrip(settings, role=Role.ADMIN)
    assert principal.role is Role.ADMIN
    assert principal.subject == "admin-dev"
    assert principal.member_id is None
    assert principal.sites == []


def test_service_token_round_trip(settings: KitSettings) -> None:
    principal = roundtrip(settings, role=Role.SERVICE, service="bookings")
    assert principal.role is Role.SERVICE
    assert principal.service == "bookings"
    assert principal.subject == "bookings"


def test_explicit_subject_wins(settings: KitSettings) -> None:
    principal = roundtrip(settings, role=Role.MEMBER, subject="user-42", member_id="org-1", person_id="p-1")
    assert principal.subject == "user-42"


def test_token_carries_issuer_audience_and_expiry(settings: KitSettings) -> None:
    token = issue_token(settings, role=Role.ADMIN, ttl=timedelta(minutes=5))
    claims = jwt.decode(
        token,
        settings.jwt_secret.get_secret_value(),
        algorithms=["HS256"],
        audience=settings.jwt_audience,
        issuer=settings.jwt_issuer,
    )
    assert claims["role"] == "admin"
    remaining = claims["exp"] - datetime.now(UTC).timestamp()
    assert 0 < remaining <= 5 * 60 + 1


def test_expired_token_is_unauthorized(settings: KitSettings) -> None:
    token = issue_token(settings, role=Role.ADMIN, ttl=timedelta(seconds=-30))
    with pytest.raises(Unauthorized, match="expired") as caught:
        TokenVerifier(settings).verify(token)
    assert caught.value.status == 401
    assert caught.value.headers == {"WWW-Authenticate": "Bearer"}


def test_token_signed_with_another_secret_is_unauthorized(settings: KitSettings) -> None:
    other = KitSettings(jwt_secret=SecretStr("a-completely-different-secret-0123456789abcdef"))
    token = issue_token(other, role=Role.ADMIN)
    with pytest.raises(Unauthorized, match="not valid"):
        TokenVerifier(settings).verify(token)


def test_token_for_another_audience_is_unauthorized(settings: KitSettings) -> None:
    other = settings.model_copy(update={"jwt_audience": "someone-else"})
    token = issue_token(other, role=Role.ADMIN)
    with pytest.raises(Unauthorized):
        TokenVerifier(settings).verify(token)


@pytest.mark.parametrize("token", ["", "not-a-jwt", "a.b.c"])
def test_garbage_is_unauthorized(settings: KitSettings, token: str) -> None:
    with pytest.raises(Unauthorized):
        TokenVerifier(settings).verify(token)


def test_token_with_unknown_role_is_unauthorized(settings: KitSettings) -> None:
    now = datetime.now(UTC)
    claims = {
        "sub": "x",
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "role": "superuser",
    }
    token = jwt.encode(claims, settings.jwt_secret.get_secret_value(), algorithm="HS256")
    with pytest.raises(Unauthorized, match="claims"):
        TokenVerifier(settings).verify(token)


def test_member_token_needs_a_member(settings: KitSettings) -> None:
    with pytest.raises(ValueError, match="member"):
        issue_token(settings, role=Role.MEMBER, person_id="person-7")


def test_front_desk_token_needs_a_site(settings: KitSettings) -> None:
    with pytest.raises(ValueError, match="site"):
        issue_token(settings, role=Role.FRONT_DESK)


def test_service_token_needs_a_service(settings: KitSettings) -> None:
    with pytest.raises(ValueError, match="service"):
        issue_token(settings, role=Role.SERVICE)


def test_member_acts_only_for_their_own_organisation() -> None:
    member = Principal(subject="p", role=Role.MEMBER, member_id="org-1", person_id="p")
    assert member.may_act_for_member("org-1")
    assert not member.may_act_for_member("org-2")
    assert not member.may_act_for_member("")


def test_member_without_member_id_acts_for_nobody() -> None:
    member = Principal(subject="p", role=Role.MEMBER)
    assert not member.may_act_for_member("org-1")


@pytest.mark.parametrize(
    "principal",
    [
        Principal(subject="d", role=Role.FRONT_DESK, sites=["rabat"]),
        Principal(subject="a", role=Role.ADMIN),
        Principal(subject="s", role=Role.SERVICE, service="bookings"),
    ],
)
def test_staff_and_services_act_for_any_member(principal: Principal) -> None:
    assert principal.may_act_for_member("org-1")
    assert principal.may_act_for_member("org-2")


def test_front_desk_acts_only_at_their_sites() -> None:
    desk = Principal(subject="d", role=Role.FRONT_DESK, sites=["rabat", "casa"])
    assert desk.may_act_at_site("rabat")
    assert desk.may_act_at_site("casa")
    assert not desk.may_act_at_site("tangier")
    assert not Principal(subject="d", role=Role.FRONT_DESK).may_act_at_site("rabat")


@pytest.mark.parametrize(
    "principal",
    [
        Principal(subject="a", role=Role.ADMIN),
        Principal(subject="s", role=Role.SERVICE, service="bookings"),
        Principal(subject="p", role=Role.MEMBER, member_id="org-1"),
    ],
)
def test_admins_services_and_members_are_not_bound_to_sites(principal: Principal) -> None:
    assert principal.may_act_at_site("rabat")
    assert principal.may_act_at_site("tangier")


def test_unsigned_alg_none_token_is_unauthorized(settings: KitSettings) -> None:
    """The classic forgery: a valid admin payload with `alg: none` and no signature."""
    now = datetime.now(UTC)
    claims = {
        "sub": "intruder",
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "role": "admin",
    }
    token = jwt.encode(claims, None, algorithm="none")  # type: ignore[arg-type]  # alg "none" requires key None
    assert token.endswith(".")  # header.payload. with an empty signature
    with pytest.raises(Unauthorized):
        TokenVerifier(settings).verify(token)


def test_token_signed_with_another_algorithm_is_unauthorized(settings: KitSettings) -> None:
    """HS512 with the right key is still refused: only the configured algorithm is accepted."""
    claims = {"sub": "x", "iss": settings.jwt_issuer, "aud": settings.jwt_audience, "role": "admin"}
    token = jwt.encode(claims, settings.jwt_secret.get_secret_value() * 2, algorithm="HS512")
    with pytest.raises(Unauthorized):
        TokenVerifier(settings).verify(token)


def test_a_verified_token_is_remembered_until_it_expires(settings: KitSettings) -> None:
    verifier = TokenVerifier(settings)
    token = issue_token(settings, role=Role.ADMIN, ttl=timedelta(seconds=2))
    first = verifier.verify(token)
    assert verifier.verify(token) is first  # not decoded again
    with pytest.raises(ValidationError):
        first.role = Role.MEMBER  # type: ignore[misc]  # shared between requests: frozen
    time.sleep(2.2)
    with pytest.raises(Unauthorized, match="expired"):
        verifier.verify(token)
