"""Settings of the catalogue service: the kit's, under the catalogue's name."""

from __future__ import annotations

from pydantic import Field

from parkgrid.settings import KitSettings


class CatalogueSettings(KitSettings):
    service_name: str = Field("catalogue", validation_alias="PARKGRID_SERVICE_NAME")
    search_catch_up_seconds: float = Field(
        30.0,
        gt=0,
        validation_alias="CATALOGUE_SEARCH_CATCH_UP_SECONDS",
        description="How often search entries a failed write left behind are projected again.",
    )
