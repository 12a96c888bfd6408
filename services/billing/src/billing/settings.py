"""Settings of the billing service: the kit's, under billing's name, and when its period close runs."""

from __future__ import annotations

from pydantic import Field, SecretStr

from parkgrid.settings import KitSettings


class BillingSettings(KitSettings):
    service_name: str = Field("billing", validation_alias="PARKGRID_SERVICE_NAME")
    close_every_seconds: float = Field(
        3600.0,
        gt=0,
        validation_alias="BILLING_CLOSE_EVERY_SECONDS",
        description="How often the period close runs: it invoices every month that ended and is not invoiced yet, "
        "and finishes a close a crash interrupted (each step is idempotent).",
    )
    member_patience_seconds: float = Field(
        300.0,
        ge=0,
        validation_alias="BILLING_MEMBER_PATIENCE_SECONDS",
        description="How long a charge waits to hear of its member from community (its programme rate) before it "
        "is priced without: events of different topics arrive in no set order (billing.service_layer.charging).",
    )
    gateway_name: str = Field(
        "gateway",
        max_length=40,
        pattern=r"^[a-z0-9_-]+$",
        validation_alias="BILLING_GATEWAY_NAME",
        description="The online payment gateway's name, in payments it records (billing.adapters.gateway).",
    )
    gateway_secret: SecretStr | None = Field(
        None,
        validation_alias="BILLING_GATEWAY_SECRET",
        description="The secret the gateway signs its payment notices with; none: no online payments.",
    )
