"""The printable invoice, opened through the web app: the browser holds no API token, so the web app
reads billing's `GET /v1/invoices/{id}/document` with the visitor's own and answers its HTML (the
invoice in its customer's language, right to left in Arabic) as it came. Billing decides who may
read which invoice; a refusal or billing down returns to the page the link was on, with the reason
as a line above it.

The PDF (billing's `document.pdf`) downloads the same way, under the file name billing gives it.

The page is billing's, served under the web app's address, so it is sandboxed: no script runs,
nothing is fetched from elsewhere, and no cache keeps it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from frontdesk.adapters.billing import Billing
from frontdesk.adapters.services import ServiceProblem, Unavailable
from frontdesk.entrypoints.http.pages import BillingClient
from frontdesk.entrypoints.http.staff_billing import billing_url
from frontdesk.entrypoints.http.staff_forms import done
from frontdesk.entrypoints.http.visitors import Visitor, member_visitor, staff_at

router = APIRouter()

DOCUMENT_HEADERS = {
    "Content-Security-Policy": "sandbox allow-modals; default-src 'none'; style-src 'unsafe-inline'; img-src data:",
    "Cache-Control": "private, no-store",
    "X-Content-Type-Options": "nosniff",
}
"""The relayed page may style itself and print (`allow-modals`), nothing else."""

MEMBER_INVOICES = "/member/invoices"
T = TypeVar("T")


async def relayed(fetch: Awaitable[T], visitor: Visitor, back: str, answer: Callable[[T], Response]) -> Response:
    """Billing's document as `answer` makes it a response; a refusal or billing down: back to `back`, said."""
    try:
        found = await fetch
    except ServiceProblem as exc:
        return done(back, visitor.t("billing.document_refused", detail=exc.detail))
    except Unavailable as exc:
        return done(back, visitor.t("unavailable", service=exc.service))
    return answer(found)


def printable(billing: Billing, visitor: Visitor, invoice_id: str, back: str) -> Awaitable[Response]:
    """The invoice's page, as billing wrote it, sandboxed."""
    page = billing.document(visitor.token, invoice_id)
    return relayed(page, visitor, back, lambda html: HTMLResponse(html, headers=DOCUMENT_HEADERS))


def downloaded(billing: Billing, visitor: Visitor, invoice_id: str, back: str) -> Awaitable[Response]:
    """The invoice's PDF as billing made it, to save (billing without PDF rendering: 503, said on the page)."""

    def attachment(found: tuple[bytes, str]) -> Response:
        pdf, name = found
        headers = {**DOCUMENT_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
        return Response(pdf, media_type="application/pdf", headers=headers)

    return relayed(billing.pdf(visitor.token, invoice_id), visitor, back, attachment)


@router.get("/staff/sites/{site_id}/members/{member_id}/billing/invoices/{invoice_id}/document")
async def staff_document(
    request: Request, billing: BillingClient, site_id: str, member_id: str, invoice_id: str
) -> Response:
    visitor = staff_at(request, site_id)
    return await printable(billing, visitor, invoice_id, billing_url(site_id, member_id))


@router.get("/staff/sites/{site_id}/members/{member_id}/billing/invoices/{invoice_id}/document.pdf")
async def staff_pdf(
    request: Request, billing: BillingClient, site_id: str, member_id: str, invoice_id: str
) -> Response:
    visitor = staff_at(request, site_id)
    return await downloaded(billing, visitor, invoice_id, billing_url(site_id, member_id))


@router.get("/member/invoices/{invoice_id}/document")
async def member_document(request: Request, billing: BillingClient, invoice_id: str) -> Response:
    return await printable(billing, member_visitor(request), invoice_id, MEMBER_INVOICES)


@router.get("/member/invoices/{invoice_id}/document.pdf")
async def member_pdf(request: Request, billing: BillingClient, invoice_id: str) -> Response:
    return await downloaded(billing, member_visitor(request), invoice_id, MEMBER_INVOICES)
