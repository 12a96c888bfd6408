"""Settings shared by every ParkGrid process, read from the environment.

Every address is configurable so that the same code runs against the local
infrastructure, testcontainers, or a production cluster without changes.
"""

from __future__ import annotations

from typing import Literal, TypeVar

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from parkgrid.zones import NETWORK_TIME_ZONE, TimeZone

S = TypeVar("S", bound="KitSettings")

# Public, in the repository: good for nothing but development (PARKGRID_ENV=development).
DEVELOPMENT_JWT_SECRET = "parkgrid-local-development-secret-change-me"
DEVELOPMENT_TICKET_KEY = "parkgrid-local-development-ticket-key"


class KitSettings(BaseSettings):
    """What the kit itself needs; each service extends it with its own fields."""

    # hide_input_in_errors: a refused setting's message must not print the environment (its secrets).
    model_config = SettingsConfigDict(env_file=None, extra="ignore", populate_by_name=True, hide_input_in_errors=True)

    service_name: str = Field("parkgrid", validation_alias="PARKGRID_SERVICE_NAME")
    kafka_bootstrap_servers: str = Field("127.0.0.1:9092", validation_alias="KAFKA_BOOTSTRAP_SERVERS")
    kafka_replication_factor: int = Field(1, ge=1, validation_alias="KAFKA_REPLICATION_FACTOR")
    # How clients authenticate to the brokers (deploy/production: SASL/SCRAM-SHA-512 over TLS,
    # one user per service); the local broker is PLAINTEXT. `parkgrid.kafka.client_options`
    # turns these into aiokafka's arguments, for every client the kit builds.
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT", validation_alias="KAFKA_SECURITY_PROTOCOL"
    )
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = Field(
        "SCRAM-SHA-512", validation_alias="KAFKA_SASL_MECHANISM"
    )
    kafka_sasl_username: str | None = Field(None, validation_alias="KAFKA_SASL_USERNAME")
    kafka_sasl_password: SecretStr | None = Field(None, validation_alias="KAFKA_SASL_PASSWORD")
    kafka_ssl_cafile: str | None = Field(
        None, validation_alias="KAFKA_SSL_CAFILE", description="CA bundle of the brokers' TLS; system CAs when unset."
    )
    # The local store is FerretDB, which has no retryable writes: the URI says so, and the driver
    # follows the URI (parkgrid.store.connect), so a production MongoDB URI gets its own settings.
    mongodb_uri: str = Field("mongodb://127.0.0.1:27017/?retryWrites=false", validation_alias="MONGODB_URI")
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
    default_time_zone: TimeZone = Field(
        NETWORK_TIME_ZONE,
        validation_alias="PARKGRID_DEFAULT_TIME_ZONE",
        description="The zone of a site this service has no zone for yet (its site event not seen).",
    )
    log_level: str = Field("INFO", validation_alias="PARKGRID_LOG_LEVEL")
    log_json: bool = Field(True, validation_alias="PARKGRID_LOG_JSON")
    environment: str = Field(
        "production",
        validation_alias="PARKGRID_ENV",
        description="`development` allows the public development secrets and the web app's demo sign-in; "
        "anything else refuses them. Unset is production (fail safe): the Makefile, the local scripts and "
        "the test plugin set `development` explicitly.",
    )
    jwt_secret: SecretStr = Field(
        SecretStr(DEVELOPMENT_JWT_SECRET),
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
    idempotency_takeover_seconds: float = Field(
        60.0,
        gt=0,
        validation_alias="PARKGRID_IDEMPOTENCY_TAKEOVER_SECONDS",
        description="How long a keyed command may stay in progress before a retry with its key "
        "takes it over (its process presumably died). Longer than any request lives.",
    )

    # --- the outbox relay's placement (`parkgrid relay <service>` runs it as a process of its own)
    relay: Literal["on", "off"] = Field(
        "on",
        validation_alias="PARKGRID_RELAY",
        description="off: this process writes outbox entries but publishes none; a separate "
        "`parkgrid relay <service>` process does, so it can be deployed, scaled and killed apart.",
    )

    @model_validator(mode="after")
    def _no_development_secret_outside_development(self) -> KitSettings:
        if self.development:
            return self
        if self.jwks_url is None and self.jwt_secret.get_secret_value() == DEVELOPMENT_JWT_SECRET:
            raise ValueError(
                f"PARKGRID_JWT_SECRET is the public development default, refused with PARKGRID_ENV={self.environment}: "
                "set a secret of your own, or PARKGRID_JWKS_URL to verify an OIDC issuer's tokens "
                "(in a checkout, for development: export PARKGRID_ENV=development)"
            )
        return self

    @property
    def development(self) -> bool:
        return self.environment == "development"

    @classmethod
    def of(cls: type[S], settings: KitSettings | None = None) -> S:
        """`settings` as this service's: the kit's fields as given, the service's own from the environment.

        The operator command and the test stack build any service from the kit's settings alone."""
        if isinstance(settings, cls):
            return settings
        if settings is None:
            return cls()
        return cls().model_copy(update=settings.model_dump())

    @property
    def database(self) -> str:
        return self.database_name or f"parkgrid_{self.service_name}"
