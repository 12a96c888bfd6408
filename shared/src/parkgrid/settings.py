"""Settings shared by every ParkGrid process, read from the environment.

Every address is configurable so that the same code runs against the local
infrastructure, testcontainers, or a production cluster without changes.
"""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class KitSettings(BaseSettings):
    """What the kit itself needs; each service extends it with its own fields."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", populate_by_name=True)

    service_name: str = Field("parkgrid", validation_alias="PARKGRID_SERVICE_NAME")
    kafka_bootstrap_servers: str = Field("127.0.0.1:9092", validation_alias="KAFKA_BOOTSTRAP_SERVERS")
    kafka_replication_factor: int = Field(1, ge=1, validation_alias="KAFKA_REPLICATION_FACTOR")
    mongodb_uri: str = Field("mongodb://127.0.0.1:27017/", validation_alias="MONGODB_URI")
    database_name: str | None = Field(
        None,
        validation_alias="PARKGRID_DATABASE",
        description="Defaults to parkgrid_<service_name>.",
    )
    topic_prefix: str = Field(
        "",
        validation_alias="PARKGRID_TOPIC_PREFIX",
        description="Prepended to every topic name; tests use it to isolate runs.",
    )
    log_level: str = Field("INFO", validation_alias="PARKGRID_LOG_LEVEL")
    log_json: bool = Field(True, validation_alias="PARKGRID_LOG_JSON")
    jwt_secret: SecretStr = Field(
        SecretStr("parkgrid-local-development-secret-change-me"),
        validation_alias="PARKGRID_JWT_SECRET",
        description="HS256 key for local development tokens.",
    )
    jwt_issuer: str = Field("parkgrid-local", validation_alias="PARKGRID_JWT_ISSUER")
    jwt_audience: str = Field("parkgrid", validation_alias="PARKGRID_JWT_AUDIENCE")
    jwks_url: str | None = Field(
        None,
        validation_alias="PARKGRID_JWKS_URL",
        description="When set, tokens are verified against this OIDC issuer's keys (RS256/ES256), "
        "not the local secret.",
    )
    max_body_bytes: int = Field(1_000_000, validation_alias="PARKGRID_MAX_BODY_BYTES")

    @property
    def database(self) -> str:
        return self.database_name or f"parkgrid_{self.service_name}"
