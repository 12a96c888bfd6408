"""What the catalogue's routes answer: offerings, one at a time or a page of a search.

An offering read is the published snapshot (`parkgrid.contracts.catalogue.OfferingSnapshot`)
with what the service adds to it: `id` (= `offering_id`), the aggregate's `version` (the
ETag) and when it was created and last changed. Instants are ISO-8601 strings with their offset.
"""

from __future__ import annotations

from pydantic import ConfigDict, Field

from parkgrid.contracts.catalogue import OfferingSnapshot
from parkgrid.http.models import ReadModel

Instant = str
"""An ISO-8601 date-time with its offset, as stored."""


class OfferingRead(OfferingSnapshot):
    """An offering as the catalogue holds it; members and staff see published ones only."""

    model_config = ConfigDict(from_attributes=True)

    id: str = Field(description="The offering's id (the same as `offering_id`).")
    version: int = Field(description="The offering's version; send it back as If-Match to change it.")
    created_at: Instant
    updated_at: Instant


class OfferingPage(ReadModel):
    """One page of a search; `next_cursor` continues the same search (same filters and sort)."""

    items: list[OfferingRead]
    next_cursor: str | None = None
