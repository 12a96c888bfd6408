"""A member's invoices ("My invoices", in the member's top bar): the organisation's balance across
the network (owed, of which overdue), its invoices and credit notes with their printable document
(`invoice_documents`), the payments the park recorded, and its packs of room hours with what
is left of each. Read-only: payments are recorded at the
desk. Billing shows a member its own account only; billing down is a notice in place of each panel."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from frontdesk.domain.billing import hours, money, state_key
from frontdesk.domain.member_days import site_name
from frontdesk.entrypoints.http.member_home import site_names
from frontdesk.entrypoints.http.pages import BillingClient, Clients, page
from frontdesk.entrypoints.http.panels import attempt
from frontdesk.entrypoints.http.visitors import member_visitor, own

router = APIRouter(prefix="/member")


@router.get("/invoices", response_class=HTMLResponse)
async def my_invoices(request: Request, services: Clients, billing: BillingClient) -> HTMLResponse:
    visitor = member_visitor(request)
    member_id, _ = own(visitor)
    balance, documents, payments, packs, names = await asyncio.gather(
        attempt(billing.balance(visitor.token, member_id)),
        attempt(billing.invoices(visitor.token, member_id)),
        attempt(billing.payments(visitor.token, member_id)),
        attempt(billing.credit_packs(visitor.token, member_id)),
        site_names(services, visitor),
    )
    return page(
        request,
        "member_invoices.html",
        visitor,
        balance=balance,
        documents=documents,
        payments=payments,
        packs=packs,
        hours=hours,
        numbers={i.invoice_id: i.number for i in documents.data or []},
        state_key=state_key,
        site_name=lambda s: site_name(s, names, visitor.t),
        money=lambda minor, currency="MAD": money(minor, currency, visitor.t),
    )
