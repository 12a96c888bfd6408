"""Issuing a credit note (admins): from an invoice's row on a member's billing page, a confirmation
page listing the invoice's lines, those its credit notes took back already shown as such, the rest
ticked; confirming asks billing for a credit note of the ticked lines with the form's
Idempotency-Key (a double submit is one credit note). The invoice itself never changes.

Only admins are shown the action and its page (a front desk gets 403 here); the POST is not kept
from anyone by the web app: billing decides, so a front desk's forged POST is billing's 403, said on
the billing page like any refusal."""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from frontdesk.domain.billing import credited_lines, money
from frontdesk.entrypoints.http.pages import BillingClient, Clients, form_of, page
from frontdesk.entrypoints.http.panels import attempt
from frontdesk.entrypoints.http.staff_billing import billing_url, organisation_name
from frontdesk.entrypoints.http.staff_forms import Outcome, back_to_form, done, form_refusal, new_key, run
from frontdesk.entrypoints.http.staff_sites import site_context
from frontdesk.entrypoints.http.visitors import NotAllowed, staff_at
from parkgrid.auth import Role

router = APIRouter(prefix="/staff")


def credit_note_url(site_id: str, member_id: str, invoice_id: str) -> str:
    return f"{billing_url(site_id, member_id)}/invoices/{invoice_id}/credit-note"


@router.get(
    "/sites/{site_id}/members/{member_id}/billing/invoices/{invoice_id}/credit-note", response_class=HTMLResponse
)
async def confirm_credit_note(
    request: Request, services: Clients, billing: BillingClient, site_id: str, member_id: str, invoice_id: str
) -> HTMLResponse:
    visitor = staff_at(request, site_id)
    if visitor.principal.role != Role.ADMIN:
        raise NotAllowed("credit notes are issued by admins")
    site = await site_context(services, visitor, site_id)
    invoice = await attempt(billing.invoice(visitor.token, invoice_id))
    documents = await attempt(billing.invoices(visitor.token, member_id, site_id))
    return page(
        request,
        "staff_credit_note.html",
        visitor,
        errors=form_refusal(request),
        **site.context(),
        member_id=member_id,
        member_name=await organisation_name(services, visitor, member_id),
        invoice=invoice,
        taken=credited_lines(invoice_id, documents.data or []),
        money=lambda minor, currency="MAD": money(minor, currency, visitor.t),
        key=new_key(),
        billing_url=billing_url(site_id, member_id),
        action=credit_note_url(site_id, member_id, invoice_id),
    )


@router.post("/sites/{site_id}/members/{member_id}/billing/invoices/{invoice_id}/credit-note")
async def issue_credit_note(
    request: Request, billing: BillingClient, site_id: str, member_id: str, invoice_id: str
) -> Response:
    visitor = staff_at(request, site_id)
    form = await form_of(request)
    lines = [
        value for name, value in parse_qsl((await request.body()).decode("utf-8", "replace")) if name == "charge_id"
    ]
    confirm = credit_note_url(site_id, member_id, invoice_id)
    if not lines:  # nothing ticked: said before billing is asked (billing would refuse an empty list)
        return back_to_form(confirm, Outcome(field="charge_id", message=visitor.t("billing.credit_none")))
    call = billing.credit_note(visitor.token, invoice_id, lines, form.get("idempotency_key"))
    outcome = await run(call, visitor, ["charge_ids"])
    if outcome.answer is None:
        if visitor.principal.role != Role.ADMIN:  # the confirmation page is not theirs: the line above the billing page
            return done(billing_url(site_id, member_id), outcome.message)
        return back_to_form(confirm, Outcome(field="charge_id" if outcome.field else None, message=outcome.message))
    note = outcome.answer
    return done(
        billing_url(site_id, member_id),
        visitor.t(
            "billing.credit_note_issued", number=note.number, amount=money(note.total_minor, note.currency, visitor.t)
        ),
    )
