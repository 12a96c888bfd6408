"""The web app's settings: the kit's, plus where the six services it calls answer.

The kit's `development` (PARKGRID_ENV=development) lets the sign-in page issue demo tokens."""

from __future__ import annotations

from pydantic import Field

from parkgrid.settings import KitSettings


class FrontdeskSettings(KitSettings):
    service_name: str = Field("frontdesk", validation_alias="PARKGRID_SERVICE_NAME")
    catalogue_url: str = Field("http://127.0.0.1:8001", validation_alias="FRONTDESK_CATALOGUE_URL")
    bookings_url: str = Field("http://127.0.0.1:8002", validation_alias="FRONTDESK_BOOKINGS_URL")
    spaces_url: str = Field("http://127.0.0.1:8003", validation_alias="FRONTDESK_SPACES_URL")
    community_url: str = Field("http://127.0.0.1:8004", validation_alias="FRONTDESK_COMMUNITY_URL")
    insights_url: str = Field("http://127.0.0.1:8005", validation_alias="FRONTDESK_INSIGHTS_URL")
    billing_url: str = Field("http://127.0.0.1:8006", validation_alias="FRONTDESK_BILLING_URL")
    service_timeout: float = Field(5.0, gt=0, validation_alias="FRONTDESK_SERVICE_TIMEOUT")
    cookie_secure: bool = Field(False, validation_alias="FRONTDESK_COOKIE_SECURE")
    htmx_dir: str | None = Field(None, validation_alias="FRONTDESK_HTMX_DIR")
    live_heartbeat: float = Field(15.0, gt=0, validation_alias="FRONTDESK_LIVE_HEARTBEAT")
