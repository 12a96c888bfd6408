"""Settings of the insights service: the kit's, plus the SMTP relay and the mailer's pace."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, model_validator

from parkgrid.settings import KitSettings

DEVELOPMENT_SEALING_KEY = "parkgrid-local-development-webhook-sealing-key"
"""Seals webhook secrets outside production only: public, so refused with PARKGRID_ENV=production."""


class InsightsSettings(KitSettings):
    service_name: str = Field("insights", validation_alias="PARKGRID_SERVICE_NAME")
    kpi_cache_seconds: float = Field(
        5.0, ge=0, validation_alias="INSIGHTS_KPI_CACHE_SECONDS", description="How long facts read for KPIs are reused."
    )
    smtp_host: str = Field("127.0.0.1", validation_alias="INSIGHTS_SMTP_HOST")
    smtp_port: int = Field(1025, ge=1, le=65535, validation_alias="INSIGHTS_SMTP_PORT")
    smtp_timeout_seconds: float = Field(10.0, gt=0, validation_alias="INSIGHTS_SMTP_TIMEOUT")
    smtp_security: Literal["none", "starttls", "tls"] = Field(
        "none",
        validation_alias="INSIGHTS_SMTP_SECURITY",
        description="none (a relay in the cluster), starttls (port 587) or tls (implicit TLS, port 465).",
    )
    smtp_user: str | None = Field(None, validation_alias="INSIGHTS_SMTP_USER", description="Login, over TLS only.")
    smtp_password: SecretStr | None = Field(None, validation_alias="INSIGHTS_SMTP_PASSWORD")
    smtp_ca_file: str | None = Field(
        None, validation_alias="INSIGHTS_SMTP_CA_FILE", description="CA bundle the relay's certificate is checked with."
    )
    mail_from: str = Field("ParkGrid <no-reply@parkgrid.local>", validation_alias="INSIGHTS_MAIL_FROM")
    mail_enabled: bool = Field(True, validation_alias="INSIGHTS_MAIL_ENABLED")
    mailer_interval_seconds: float = Field(
        2.0, gt=0, validation_alias="INSIGHTS_MAILER_INTERVAL", description="How often due mail is looked for."
    )
    periodic_interval_seconds: float = Field(
        300.0,
        gt=0,
        validation_alias="INSIGHTS_PERIODIC_INTERVAL",
        description="How often reminders and residency endings are looked for.",
    )
    mail_retry_seconds: float = Field(
        30.0, gt=0, validation_alias="INSIGHTS_MAIL_RETRY", description="First retry delay; doubles each attempt."
    )
    mail_max_attempts: int = Field(8, ge=1, validation_alias="INSIGHTS_MAIL_MAX_ATTEMPTS")
    notify_max_age_hours: float = Field(
        48.0,
        gt=0,
        validation_alias="INSIGHTS_NOTIFY_MAX_AGE_HOURS",
        description="Events older than this are history, not news: no mail (a new group replays from offset 0).",
    )
    visitor_retention_days: int = Field(
        30,
        ge=1,
        validation_alias="INSIGHTS_VISITOR_RETENTION_DAYS",
        description="Days a visitor's name and company are kept in the host's notice and mail (personal data).",
    )

    webhooks_enabled: bool = Field(True, validation_alias="INSIGHTS_WEBHOOKS_ENABLED")
    webhook_interval_seconds: float = Field(
        1.0, gt=0, validation_alias="INSIGHTS_WEBHOOK_INTERVAL", description="How often due deliveries are looked for."
    )
    webhook_timeout_seconds: float = Field(
        10.0, gt=0, validation_alias="INSIGHTS_WEBHOOK_TIMEOUT", description="How long one attempt may take."
    )
    webhook_lease_seconds: float = Field(
        60.0,
        gt=0,
        validation_alias="INSIGHTS_WEBHOOK_LEASE",
        description="How long a claimed delivery is its worker's; past it (the worker died) another may send it.",
    )
    webhook_retry_seconds: float = Field(
        30.0, gt=0, validation_alias="INSIGHTS_WEBHOOK_RETRY", description="First retry delay; doubles each attempt."
    )
    webhook_retry_max_seconds: float = Field(
        21600.0, gt=0, validation_alias="INSIGHTS_WEBHOOK_RETRY_MAX", description="The longest wait between attempts."
    )
    webhook_max_attempts: int = Field(
        20, ge=1, validation_alias="INSIGHTS_WEBHOOK_MAX_ATTEMPTS", description="Tries per delivery (~2.6 days)."
    )
    webhook_private_addresses: bool | None = Field(
        None,
        validation_alias="INSIGHTS_WEBHOOK_PRIVATE_ADDRESSES",
        description=(
            "Whether endpoints may resolve to private, loopback, link-local or other non-public addresses "
            "(a receiver inside the park's network). Unset: only outside production (a developer's receiver)."
        ),
    )
    webhook_rotation_grace_seconds: float = Field(
        86400.0,
        ge=0,
        validation_alias="INSIGHTS_WEBHOOK_ROTATION_GRACE",
        description="How long a rotated-out secret still signs beside the new one (receivers catch up).",
    )
    webhook_disable_after: int = Field(
        5,
        ge=1,
        validation_alias="INSIGHTS_WEBHOOK_DISABLE_AFTER",
        description="Deliveries given up in a row after which an endpoint is disabled and its owner mailed.",
    )

    webhook_sealing_key: SecretStr | None = Field(
        None,
        validation_alias="INSIGHTS_WEBHOOK_SEALING_KEY",
        description="The key that seals webhook secrets at rest (several, comma-separated: the first seals, all "
        "unseal, for rotating it); required unless PARKGRID_ENV=development (then the development key).",
    )

    @property
    def webhook_sealing_keys(self) -> str:
        return self.webhook_sealing_key.get_secret_value() if self.webhook_sealing_key else DEVELOPMENT_SEALING_KEY

    @model_validator(mode="after")
    def _sealing_key_outside_development(self) -> InsightsSettings:
        if self.development:
            return self
        keys = [k.strip() for k in self.webhook_sealing_keys.split(",")] if self.webhook_sealing_key else []
        if not any(keys):
            raise ValueError(
                f"INSIGHTS_WEBHOOK_SEALING_KEY is required with PARKGRID_ENV={self.environment}: "
                "the secret key that seals webhook secrets at rest (e.g. `openssl rand -base64 32`)"
            )
        if DEVELOPMENT_SEALING_KEY in keys:
            raise ValueError(
                "INSIGHTS_WEBHOOK_SEALING_KEY is the public development default, "
                f"refused with PARKGRID_ENV={self.environment}"
            )
        return self

    @property
    def webhooks_reach_private_addresses(self) -> bool:
        """Production sends only to public addresses unless told otherwise (no request forgery into
        the park's own network: a metadata service, an admin port); development and tests allow them."""
        if self.webhook_private_addresses is not None:
            return self.webhook_private_addresses
        return self.environment != "production"

    @model_validator(mode="after")
    def _login_only_over_tls(self) -> InsightsSettings:
        if self.smtp_user and self.smtp_security == "none":
            raise ValueError("INSIGHTS_SMTP_USER needs INSIGHTS_SMTP_SECURITY=starttls or tls (no password in clear)")
        return self

    @model_validator(mode="after")
    def _lease_outlasts_an_attempt(self) -> InsightsSettings:
        if self.webhook_lease_seconds <= self.webhook_timeout_seconds:
            raise ValueError("INSIGHTS_WEBHOOK_LEASE must outlast INSIGHTS_WEBHOOK_TIMEOUT (else two workers send)")
        return self
