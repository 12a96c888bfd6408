"""The catalogue's reads as the HTTP read models of `parkgrid.api.catalogue`.

Queries only: an offering as answered, and a page of a search (entries chosen in
`catalogue.adapters.search`, then the offerings as stored).
"""

from __future__ import annotations

from catalogue.adapters.offerings import Offerings, offering_of
from catalogue.adapters.search import Search, find
from catalogue.domain.offering import Offering
from catalogue.service_layer.publication import snapshot
from parkgrid.api.catalogue import OfferingPage, OfferingRead


def offering_read(offering: Offering, version: int) -> OfferingRead:
    return OfferingRead.model_validate(
        {
            "id": offering.offering_id,
            "version": version,
            **snapshot(offering),
            "created_at": offering.created_at.isoformat(),
            "updated_at": offering.updated_at.isoformat(),
        }
    )


async def offering_page(offerings: Offerings, search: Search) -> OfferingPage:
    docs, next_cursor = await find(offerings.collection, offerings.search, search)
    return OfferingPage(items=[offering_read(offering_of(d), d["version"]) for d in docs], next_cursor=next_cursor)


NO_OFFERINGS = OfferingPage(items=[], next_cursor=None)
