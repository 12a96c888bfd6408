"""The QR tickets' signing key is a secret of its own (issue 19, item 2): outside development
community refuses to start without PARKGRID_TICKET_KEY, or with a public development default,
and says why; development needs nothing."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from community.bootstrap import CommunitySettings
from parkgrid.settings import DEVELOPMENT_JWT_SECRET, DEVELOPMENT_TICKET_KEY, KitSettings

PRODUCTION = {"PARKGRID_ENV": "production", "PARKGRID_JWT_SECRET": "a-real-secret-of-the-park"}


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("PARKGRID_ENV", "PARKGRID_JWT_SECRET", "PARKGRID_TICKET_KEY", "PARKGRID_JWKS_URL"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def given(monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)


def test_production_without_a_ticket_key_refuses_to_start(environment: pytest.MonkeyPatch) -> None:
    given(environment, **PRODUCTION)
    with pytest.raises(ValidationError, match="PARKGRID_TICKET_KEY is required with PARKGRID_ENV=production"):
        CommunitySettings()


@pytest.mark.parametrize("key", [DEVELOPMENT_TICKET_KEY, DEVELOPMENT_JWT_SECRET])
def test_production_refuses_a_development_ticket_key(environment: pytest.MonkeyPatch, key: str) -> None:
    given(environment, **PRODUCTION, PARKGRID_TICKET_KEY=key)
    with pytest.raises(ValidationError, match="PARKGRID_TICKET_KEY is a public development default"):
        CommunitySettings()


def test_production_refuses_the_development_jwt_secret(environment: pytest.MonkeyPatch) -> None:
    given(environment, PARKGRID_ENV="staging", PARKGRID_TICKET_KEY="k" * 32)
    with pytest.raises(ValidationError, match="PARKGRID_JWT_SECRET is the public development default"):
        CommunitySettings()
    with pytest.raises(ValidationError, match="PARKGRID_JWT_SECRET is the public development default"):
        KitSettings()


def test_production_with_its_own_keys_starts(environment: pytest.MonkeyPatch) -> None:
    given(environment, **PRODUCTION, PARKGRID_TICKET_KEY="k" * 32)
    settings = CommunitySettings()
    assert settings.ticket_signing_key == "k" * 32
    assert not settings.development


def test_with_jwks_the_unused_development_jwt_secret_is_not_in_the_way(environment: pytest.MonkeyPatch) -> None:
    given(
        environment,
        PARKGRID_ENV="production",
        PARKGRID_JWKS_URL="https://id.example/jwks",
        PARKGRID_TICKET_KEY="k" * 32,
    )
    assert CommunitySettings().ticket_signing_key == "k" * 32


def test_development_needs_no_key(environment: pytest.MonkeyPatch) -> None:
    given(environment, PARKGRID_ENV="development")
    assert CommunitySettings().ticket_signing_key == DEVELOPMENT_TICKET_KEY
    assert CommunitySettings().development


def test_unset_is_production_and_refuses_the_development_defaults(environment: pytest.MonkeyPatch) -> None:
    """Development only because it says so: a process with no PARKGRID_ENV is production."""
    with pytest.raises(ValidationError, match="PARKGRID_JWT_SECRET is the public development default"):
        KitSettings()
    given(environment, PARKGRID_JWT_SECRET="a-real-secret-of-the-park")
    with pytest.raises(ValidationError, match="PARKGRID_TICKET_KEY is required with PARKGRID_ENV=production"):
        CommunitySettings()
