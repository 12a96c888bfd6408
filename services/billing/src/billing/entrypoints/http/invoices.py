"""Invoices and credit notes: staff see those of their sites, a member its own (others do not exist
for them); the invoice reads as a page in its customer's language; admins issue credit notes."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.responses import HTMLResponse, Response

from billing.adapters.rendering import PdfUnavailable, invoice_html, invoice_pdf
from billing.entrypoints.http.deps import Books, Cursor, Limit
from billing.views import invoice_read
from parkgrid.api.billing import CreditNoteIn, InvoicePage, InvoiceRead
from parkgrid.clock import utc_now
from parkgrid.http.access import Admin, Scoped
from parkgrid.http.idempotency import command_id
from parkgrid.http.problems import ServiceUnavailable, problems

router = APIRouter(prefix="/v1/invoices", tags=["invoices"])


@router.get("", response_model=InvoicePage, responses=problems(422))
async def invoices(
    scope: Scoped,
    books: Books,
    member_id: Annotated[str | None, Query(max_length=100)] = None,
    site_id: Annotated[str | None, Query(max_length=100)] = None,
    period: Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")] = None,
    overdue: bool = False,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> InvoicePage:
    """Issued invoices and credit notes the caller may see, newest first, a page at a time (with
    `overdue`, a page may hold fewer than `limit`: follow `next_cursor` to the end)."""
    today = utc_now().date()
    found, following = await books.invoices.page(
        scope.query(),
        member_id=member_id,
        site_id=site_id,
        period=period,
        overdue_on=today if overdue else None,
        limit=limit,
        cursor=cursor,
    )
    return InvoicePage(items=[invoice_read(i, today) for i in found], next_cursor=following)


@router.get("/{invoice_id}", response_model=InvoiceRead, responses=problems(404))
async def invoice(invoice_id: str, scope: Scoped, books: Books) -> InvoiceRead:
    found = await books.invoice(invoice_id)
    scope.require(f"invoice {invoice_id}", site_id=found.site_id, member_id=found.customer.member_id)
    return invoice_read(found, utc_now().date())


@router.get("/{invoice_id}/document", response_class=HTMLResponse, responses=problems(404))
async def invoice_document(invoice_id: str, scope: Scoped, books: Books) -> HTMLResponse:
    """The invoice as a printable page, in its customer's language (fr, en or ar, right to left)."""
    found = await books.invoice(invoice_id)
    scope.require(f"invoice {invoice_id}", site_id=found.site_id, member_id=found.customer.member_id)
    return HTMLResponse(invoice_html(found))


@router.get(
    "/{invoice_id}/document.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, **problems(404, 503)},
)
async def invoice_pdf_document(invoice_id: str, scope: Scoped, books: Books) -> Response:
    """The invoice as PDF, to download (its number names the file)."""
    found = await books.invoice(invoice_id)
    scope.require(f"invoice {invoice_id}", site_id=found.site_id, member_id=found.customer.member_id)
    try:
        pdf = await asyncio.to_thread(invoice_pdf, found)
    except PdfUnavailable as exc:
        raise ServiceUnavailable(f"PDF rendering is not available on this host: {exc}") from None
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{found.number}.pdf"'},
    )


@router.post("/{invoice_id}/credit-notes", status_code=201, response_model=InvoiceRead, responses=problems(404, 409))
async def credit_note(
    invoice_id: str,
    body: CreditNoteIn,
    principal: Admin,
    books: Books,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> InvoiceRead:
    """A credit note taking back some lines of an issued invoice (all of them without `charge_ids`);
    the invoice itself never changes. The same Idempotency-Key is the same credit note."""
    note_id = "cn-" + command_id(f"billing.credit_note:{invoice_id}", idempotency_key)
    note = await books.credit(invoice_id, note_id, body.charge_ids)
    return invoice_read(note, utc_now().date())
