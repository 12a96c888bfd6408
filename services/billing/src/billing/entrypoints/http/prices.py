"""A site's price list: its staff and admins read it, admins publish a new version (If-Match: the
version read; 428 without, 412 when another admin published meanwhile)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response

from billing.adapters.documents import price_list_of
from billing.entrypoints.http.deps import Books
from billing.views import price_list_read
from parkgrid.api.billing import PriceListIn, PriceListRead, PriceListsRead
from parkgrid.http.access import Admin, Staff, at_site
from parkgrid.http.preconditions import etag, required_version

router = APIRouter(prefix="/v1/price-lists", tags=["price lists"])


@router.get("/{site_id}", response_model=PriceListsRead)
async def price_lists(site_id: str, principal: Staff, books: Books, response: Response) -> PriceListsRead:
    """The version in force now and every earlier one (an invoice line names the version that priced it)."""
    at_site(principal, site_id, hidden=True)
    versions = await books.prices.versions(site_id, fresh=True)
    current = versions[-1] if versions else None
    response.headers["ETag"] = etag(current.version if current else 0)
    return PriceListsRead(
        site_id=site_id,
        current=price_list_read(current) if current else None,
        versions=[price_list_read(v) for v in reversed(versions)],
    )


@router.put("/{site_id}", response_model=PriceListRead)
async def publish_price_list(
    site_id: str,
    body: PriceListIn,
    principal: Admin,
    books: Books,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> PriceListRead:
    """Publish the next version: charges from `effective_from` on are priced by it."""
    expected = required_version(if_match)
    draft = price_list_of({**body.model_dump(mode="json"), "site_id": site_id, "version": 0})
    saved = await books.publish_prices(draft, expected)
    response.headers["ETag"] = etag(saved.version)
    return price_list_read(saved)
